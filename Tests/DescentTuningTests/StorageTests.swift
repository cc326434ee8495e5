import CSQLite
import Foundation
import TestSupport
@testable import DescentTuning
import Testing

/// Study storage, written once and run against every engine in ``TestStudies/storages``.
struct StorageTests {
  static let names = TestStudies.storages.map(\.name)
  static func make(_ name: String) throws -> any StudyStorage {
    try TestStudies.storages.first { $0.name == name }!.make()
  }

  @Test(
    "the storage suites run on PostgreSQL too under CI=true",
    .enabled(
      if: ProcessInfo.processInfo.environment["CI"] == "true", "CI is not set: without a server only SQLite runs"))
  func postgresIsTestedUnderCI() {
    #expect(TestStudies.postgres != nil, "DESCENT_TEST_POSTGRES is not set: scripts/test.sh starts the server")
  }

  static let space = try! SearchSpace([
    Hyperparameter("x", .float(low: 0, high: 1)), Hyperparameter("k", .categorical([.string("a"), .string("b")])),
  ])

  /// Enqueued trials run first, in order, with their values; a value outside its domain is
  /// sampled instead (and replaced in the store), and they count toward the number of trials.
  @Test(arguments: names)
  func enqueuedTrialsRunFirstWithTheirValues(_ engine: String) throws {
    let study = try Study(
      storage: try Self.make(engine), direction: .minimize, sampler: RandomSampler(seed: 1), space: Self.space)
    try study.enqueue(["x": .float(0.25), "k": .string("b")])
    try study.enqueue(["x": .float(7)])
    try study.optimize(trials: 3) { trial, _ in
      _ = try trial.suggestCategorical("k", ["a", "b"])
      return try trial.suggestFloat("x", 0, 1)
    }
    let trials = try study.trials()
    #expect(trials.count == 3 && trials.allSatisfy { $0.state == .complete })
    #expect(trials[0].parameters == ["x": .float(0.25), "k": .string("b")])
    let x = try #require(trials[1].parameters["x"]?.number)
    #expect((0...1).contains(x) && trials[1].value == x)
  }

  @Test(arguments: names)
  func trialsRoundTripWithEveryField(_ engine: String) throws {
    let storage = try Self.make(engine)
    let study = try Study(
      name: "round trip", storage: storage, direction: .maximize, sampler: RandomSampler(seed: 1), space: Self.space)
    try study.optimize(trials: 4) { trial, _ in
      let x = try trial.suggestFloat("x", 0, 1)
      _ = try trial.suggestCategorical("k", ["a", "b"])
      try trial.report(x / 2, step: 1)
      try trial.report(x, step: 2)
      trial.foldValues = [x - 0.1, x + 0.1]
      if trial.number == 1 { throw TrialPruned(step: 2) }
      if trial.number == 2 {
        struct Boom: Error, CustomStringConvertible { var description: String { "boom" } }; throw Boom()
      }
      return x
    }
    let trials = try study.trials()
    #expect(trials.map(\.number) == [0, 1, 2, 3])
    #expect(trials.map(\.state) == [.complete, .pruned, .failed, .complete])
    #expect(trials[2].error == "boom" && trials[2].value == nil && !trials[2].lost)
    for trial in trials {
      let x = trial.parameters["x"]!.number!
      #expect(trial.intermediate == [1: x / 2, 2: x])
      #expect(trial.foldValues == [x - 0.1, x + 0.1])
      #expect(trial.device == "cpu" && trial.finished != nil && trial.finished! >= trial.started)
    }
    #expect(trials[0].value == trials[0].parameters["x"]!.number!)
    #expect(try study.bestTrial()?.number == (trials[0].value! > trials[3].value! ? 0 : 3))
    #expect(try storage.studies().map(\.name) == ["round trip"])
  }

  @Test(arguments: names)
  func anIncompatibleSpaceOrDirectionIsRefusedNamingIt(_ engine: String) throws {
    let storage = try Self.make(engine)
    _ = try Study(storage: storage, direction: .minimize, space: Self.space)
    let changed = try SearchSpace([
      Hyperparameter("x", .float(low: 0, high: 2)), Hyperparameter("k", .categorical([.string("a"), .string("b")])),
    ])
    #expect(
      throws: TuningError.incompatible(
        study: "default", parameter: "x", stored: "float in [0.0, 1.0]", given: "float in [0.0, 2.0]")
    ) {
      try Study(storage: storage, direction: .minimize, space: changed)
    }
    #expect(
      throws: TuningError.incompatible(study: "default", parameter: "direction", stored: "minimize", given: "maximize")
    ) {
      try Study(storage: storage, direction: .maximize)
    }
    // a define-by-run objective that changes a domain fails its trial, naming the parameter
    let study = try Study(storage: storage, direction: .minimize)
    try study.optimize(trials: 1) { trial, _ in try trial.suggestFloat("x", 0, 5) }
    #expect(try study.trials().last?.error?.contains("has x as float in [0.0, 1.0], not float in [0.0, 5.0]") == true)
    // another study in the same store is independent
    _ = try Study(name: "other", storage: storage, direction: .maximize, space: changed)
  }

  @Test(arguments: names)
  func runningTrialsOfDeadProcessesAreMarkedFailedAndTheStudyContinues(_ engine: String) throws {
    let storage = try Self.make(engine)
    let study = try Study(storage: storage, direction: .minimize, sampler: RandomSampler())
    try study.optimize(trials: 2) { trial, _ in try trial.suggestFloat("x", 0, 1) }
    let id = try storage.openStudy("default", direction: .minimize)
    // a trial of a process that is gone (pid 2³¹−1 on this host) and one of another host whose
    // heartbeat stopped long ago; and one of another host that is still beating
    let gone = try storage.startTrial(
      study: id, target: 10, gridSize: nil, device: "cpu",
      owner: TrialOwner(host: TrialOwner.current.host, pid: Int32.max))!
    let silent = try storage.startTrial(
      study: id, target: 10, gridSize: nil, device: "cpu", owner: TrialOwner(host: "elsewhere", pid: 1))!
    let alive = try storage.startTrial(
      study: id, target: 10, gridSize: nil, device: "cpu", owner: TrialOwner(host: "elsewhere", pid: 2))!
    let reopened = try Study(
      storage: storage, direction: .minimize, sampler: RandomSampler(), heartbeatInterval: 0.1, gracePeriod: 0.5)
    var trials = try reopened.trials()
    #expect(trials[gone.number].state == .failed && trials[gone.number].lost)
    #expect(trials[gone.number].error?.hasPrefix("lost: its process \(Int32.max) on ") == true)
    #expect(trials[silent.number].state == .running && trials[alive.number].state == .running)
    Thread.sleep(forTimeInterval: 0.7)
    try storage.heartbeat(trial: alive.id)
    #expect(try reopened.failLostTrials() == [silent.number])
    trials = try reopened.trials()
    #expect(trials[silent.number].error?.contains("no heartbeat from process 1 on elsewhere") == true)
    // lost trials do not count: 2 done + 1 still running + 3 new = 6
    try reopened.optimize(trials: 6) { trial, _ in try trial.suggestFloat("x", 0, 1) }
    trials = try reopened.trials()
    #expect(trials.filter { !$0.lost }.count == 6)
    #expect(trials.filter { $0.state == .complete }.count == 5)
  }

  @Test(arguments: names)
  func workersAndStudiesSharingAStoreRunEachGridPointOnce(_ engine: String) throws {
    let storage = try Self.make(engine)
    let space = try SearchSpace([
      Hyperparameter("a", .int(low: 0, high: 5)), Hyperparameter("b", .categorical([.bool(true), .bool(false)])),
    ])
    let grid = try GridSampler(space)
    let studies = try (0..<2).map { _ in try Study(storage: storage, direction: .minimize, sampler: grid, space: space)
    }
    DispatchQueue.concurrentPerform(iterations: 2) { index in
      try! studies[index].optimize(trials: 100, devices: ["cpu:0", "cpu:1"]) { trial, _ in
        for parameter in space.parameters { _ = try trial.suggest(parameter) }
        Thread.sleep(forTimeInterval: 0.002)
        return 0
      }
    }
    let trials = try studies[0].trials()
    #expect(trials.count == 12)
    #expect(Set(trials.map(\.parameters)).count == 12)
    #expect(Set(trials.map(\.device)) == ["cpu:0", "cpu:1"])
  }

  /// `retryFailed`: a failed trial is re-queued with the parameters it had (and its grid point),
  /// the copy runs before any new trial and counts in its place; after the limit it stays FAILED.
  @Test(arguments: names)
  func failedTrialsAreRetriedWithTheirParametersUpToTheLimit(_ engine: String) throws {
    let storage = try Self.make(engine)
    let study = try Study(storage: storage, direction: .minimize, sampler: RandomSampler(seed: 4), retryFailed: 2)
    struct Flaky: Error {}
    // The first parameter set always fails; the second fails once; the rest succeed.
    let attempts = Attempts()
    try study.optimize(trials: 4) { trial, _ in
      let x = try trial.suggestFloat("x", 0, 1)
      _ = try trial.suggestCategorical("k", [.string("a"), .string("b")])
      let (order, attempt) = attempts.next(x)
      if order == 0 || (order == 1 && attempt == 0) { throw Flaky() }
      return x
    }
    let trials = try study.trials()
    // Trial 0 fails, its copies are trials 1 and 2 (a retry runs before any new trial), the limit
    // leaves trial 2 FAILED; trial 3 fails once and its copy, trial 4, completes.
    let first = trials.filter { $0.parameters == trials[0].parameters }
    #expect(
      first.map(\.number) == [0, 1, 2] && first.map(\.retry) == [0, 1, 2] && first.allSatisfy { $0.state == .failed })
    #expect(first.map(\.replaced) == [true, true, false])
    let second = trials.filter { $0.parameters == trials[3].parameters }
    #expect(
      second.map(\.number) == [3, 4] && second.map(\.state) == [.failed, .complete] && second.map(\.retry) == [0, 1])
    #expect(trials.count == 7 && trials.filter { !$0.lost && !$0.replaced }.count == 4)
  }

  final class OpenResults: @unchecked Sendable {
    private let lock = NSLock()
    private var failures: [String] = []
    var errors: [String] { lock.withLock { failures } }
    func add(_ result: Result<SQLiteStorage, any Error>) {
      if case let .failure(error) = result { lock.withLock { failures.append("\(error)") } }
    }
  }

  /// Attempts per parameter value, and the order in which values first came.
  final class Attempts: @unchecked Sendable {
    private let lock = NSLock()
    private var seen: [Double: Int] = [:], order: [Double] = []
    func next(_ x: Double) -> (order: Int, attempt: Int) {
      lock.withLock {
        if seen[x] == nil { order.append(x) }
        defer { seen[x, default: 0] += 1 }
        return (order.firstIndex(of: x)!, seen[x] ?? 0)
      }
    }
  }

  /// A store is input: a trial number, step or count out of range, an unknown state or damaged
  /// JSON is an error naming the trial and field, never a trap later (a plot of trial 2⁶² trapped).
  @Test func damagedTrialRowsAreNamed() throws {
    func store() throws -> String {
      let path = try TestStudies.folder() + "/study.sqlite"
      let study = try Study(
        storage: try SQLiteStorage(path: path), direction: .minimize, sampler: RandomSampler(seed: 1))
      try study.optimize(trials: 2) { trial, _ in
        let x = try trial.suggestFloat("x", 0, 1)
        try trial.report(x, step: 1)
        return x
      }
      return path
    }
    let cases: [(String, String)] = [
      ("UPDATE trials SET number = 4611686018427387904 WHERE number = 1", "number is 4611686018427387904, not a whole"),
      ("UPDATE trials SET number = -1 WHERE number = 1", "number is -1, not a whole number"),
      ("UPDATE intermediate SET step = 4294967296", "intermediate step is 4294967296"),
      ("UPDATE trials SET state = 'DONE' WHERE number = 1", "state \"DONE\" is not a trial state"),
      ("UPDATE trials SET fold_values = '[1, ' WHERE number = 1", "fold values is damaged"),
      ("UPDATE parameters SET value = '{' WHERE name = 'x'", "parameter x is damaged"),
    ]
    for (sql, message) in cases {
      let path = try store()
      var db: OpaquePointer?
      sqlite3_open(path, &db)
      sqlite3_busy_timeout(db, 10_000)  // the study's last heartbeat may still be writing
      #expect(sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK, "\(sql)")
      sqlite3_close(db)
      let storage = try SQLiteStorage(path: path)
      let id = try #require(try storage.studies().first?.id)
      let error = #expect(throws: TuningError.self, "\(sql)") { try storage.trials(study: id) }
      #expect("\(error.map { "\($0)" } ?? "")".contains(message), "\(sql): \(error.map { "\($0)" } ?? "none")")
    }
    // The plots draw whatever numbers a library caller hands them without trapping.
    let far = TrialRecord(
      number: 1 << 62, state: .complete, parameters: ["x": .float(0.5)], value: 1, foldValues: [], intermediate: [:],
      device: "cpu", started: Date(), finished: Date(), lost: false)
    let space = try SearchSpace([Hyperparameter("x", .float(low: 0, high: 1))])
    #expect(StudyPlots.slice([far], space: space).hasPrefix("<svg"))
  }

  /// The schema is versioned: a store written by a newer Descent is refused naming both versions,
  /// and a version 1 file (before retries, settings, artifacts, PAUSED trials and studies of
  /// several objectives) is upgraded in place, its trials kept.
  @Test func schemaVersionsAreCheckedAndUpgraded() throws {
    let folder = try TestStudies.folder()
    let path = folder + "/study.sqlite"
    do {
      let study = try Study(
        storage: try SQLiteStorage(path: path), direction: .minimize, sampler: RandomSampler(seed: 1))
      try study.optimize(trials: 3) { trial, _ in try trial.suggestFloat("x", 0, 1) }
    }
    func execute(_ sql: String) {
      var db: OpaquePointer?
      sqlite3_open(path, &db)
      sqlite3_busy_timeout(db, 10_000)  // a closing connection's checkpoint may still hold the file
      #expect(sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK, "\(sql)")
      sqlite3_close(db)
    }
    execute("UPDATE descent SET value = '6' WHERE key = 'version'")
    #expect(
      throws: TuningError.notAStudy(
        path: path, reason: "schema version 6 is newer than this Descent's (5): use a newer descent")
    ) {
      try SQLiteStorage(path: path)
    }
    // Back to version 1's tables: without the columns and index version 2 added, version 3's
    // artifacts and version 5's objective and constraint values (final and intermediate).
    execute(
      """
      ALTER TABLE trials DROP COLUMN objective_values; ALTER TABLE trials DROP COLUMN constraint_values;
      ALTER TABLE intermediate DROP COLUMN objective_values;
      DROP TABLE artifacts; DROP INDEX trials_token; ALTER TABLE trials DROP COLUMN token;
      ALTER TABLE trials DROP COLUMN replaced;
      ALTER TABLE trials DROP COLUMN retry; ALTER TABLE studies DROP COLUMN claims; ALTER TABLE studies DROP
      COLUMN settings;
      UPDATE descent SET value = '1' WHERE key = 'version'
      """)
    // Four processes' worth of connections open the old file at once: one upgrades it, the
    // others find it upgraded (none repeats the ALTERs and fails on a duplicate column).
    let opened = OpenResults()
    DispatchQueue.concurrentPerform(iterations: 4) { _ in opened.add(Result { try SQLiteStorage(path: path) }) }
    #expect(opened.errors.isEmpty, "\(opened.errors)")
    let storage = try SQLiteStorage(path: path)
    let study = try Study(storage: storage, direction: .minimize, sampler: RandomSampler(seed: 1), retryFailed: 1)
    try study.optimize(trials: 5) { trial, _ in try trial.suggestFloat("x", 0, 1) }
    #expect(try study.trials().filter { $0.state == .complete }.count == 5)
    try study.storeSettings("{}")
    #expect(try study.settings() == "{}")
    try study.optimize(trials: 6) { trial, _ in
      try trial.keep([0, 1, 255, 7], as: "bytes")
      return try trial.suggestFloat("x", 0, 1)
    }
    #expect(try study.artifact("bytes", trial: 5) == [0, 1, 255, 7] && study.artifact("bytes", trial: 4) == nil)
    let two = try Study(
      name: "two", storage: storage, directions: [.minimize, .maximize], sampler: RandomSampler(seed: 1))
    try two.optimize(trials: 2) { trial, _ in
      let x = try trial.suggestFloat("x", 0, 1)
      return [x, 1 - x]
    }
    #expect(try two.trials().allSatisfy { $0.values.count == 2 && $0.value == nil && $0.state == .complete })
  }

  @Test func filesThatAreNotStudiesAreClearErrors() throws {
    let folder = try TestStudies.folder()
    let text = folder + "/notes.txt"
    try Data(String(repeating: "not a database\n", count: 200).utf8).write(to: URL(fileURLWithPath: text))
    #expect(throws: TuningError.self) { try SQLiteStorage(path: text) }
    do { _ = try SQLiteStorage(path: text) } catch {
      #expect("\(error)".hasPrefix("\(text) is not a Descent study file: file is not a database"))
    }
    // another application's SQLite database (in the default rollback-journal mode), refused
    // unchanged: its bytes (the journal mode is in its header) are as they were, writable or not
    var db: OpaquePointer?
    sqlite3_open(folder + "/other.sqlite", &db)
    sqlite3_exec(db, "CREATE TABLE songs (title TEXT)", nil, nil, nil)
    sqlite3_close(db)
    let before = try Data(contentsOf: URL(fileURLWithPath: folder + "/other.sqlite"))
    #expect(before[18] == 1 && before[19] == 1)  // the legacy (non-WAL) format versions
    for readOnly in [false, true] {
      do {
        _ = try SQLiteStorage(path: folder + "/other.sqlite", readOnly: readOnly)
        Issue.record("opened another application's database")
      } catch {
        #expect(
          "\(error)"
            == "\(folder)/other.sqlite is not a Descent study file: a database without Descent's tables (it has songs)")
      }
      #expect(try Data(contentsOf: URL(fileURLWithPath: folder + "/other.sqlite")) == before)
      #expect(!FileManager.default.fileExists(atPath: folder + "/other.sqlite-wal"))
    }
    // an empty file is a new store when writing, and refused (and left empty) when reading only
    FileManager.default.createFile(atPath: folder + "/empty.sqlite", contents: nil)
    #expect(throws: TuningError.notAStudy(path: folder + "/empty.sqlite", reason: "an empty database")) {
      try SQLiteStorage(path: folder + "/empty.sqlite", readOnly: true)
    }
    #expect(try Data(contentsOf: URL(fileURLWithPath: folder + "/empty.sqlite")).isEmpty)
    // a missing file is not created when reading
    #expect(throws: TuningError.storage(path: folder + "/missing.sqlite", reason: "no such file")) {
      try SQLiteStorage(path: folder + "/missing.sqlite", create: false)
    }
    #expect(!FileManager.default.fileExists(atPath: folder + "/missing.sqlite"))
    // names with quotes and SQL reach the database only as values
    let storage = try SQLiteStorage(path: folder + "/study.sqlite")
    let name = "x'); DROP TABLE trials; --"
    let study = try Study(name: name, storage: storage, direction: .minimize, sampler: RandomSampler())
    try study.optimize(trials: 1) { trial, _ in try trial.suggestFloat(name, 0, 1) }
    #expect(try storage.studies().map(\.name) == [name])
    #expect(try study.trials().first?.parameters[name] != nil)
  }

  /// A read-only store is read and never written: a write through it fails, and its file keeps
  /// its bytes. (That it opens in a read-only folder, where SQLite cannot create the `-shm`
  /// index, is checked as another user by TuneCommandTests.showReadsAReadOnlyStore.)
  @Test func readOnlyStoresAreNeverWritten() throws {
    let folder = try TestStudies.folder()
    let path = folder + "/study.sqlite"
    do {
      let study = try Study(
        name: "s", storage: try SQLiteStorage(path: path), direction: .minimize, sampler: RandomSampler(seed: 3))
      try study.optimize(trials: 3) { trial, _ in try trial.suggestFloat("x", 0, 1) }
    }
    #expect(waitUntilGone(path + "-wal"), "the study's last connection never closed")
    let before = try Data(contentsOf: URL(fileURLWithPath: path))
    let store = try SQLiteStorage(path: path, readOnly: true)
    let studies = try store.studies()
    #expect(studies.map(\.name) == ["s"])
    #expect(try store.trials(study: studies[0].id).count == 3)
    #expect(throws: TuningError.self) { try store.openStudy("another", direction: .minimize) }
    #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
  }

  /// A study file cut short (a full disk, a partial copy) or with a page overwritten is a
  /// `TuningError` naming the file when it is opened or read, never a crash or an empty study.
  @Test func damagedStudyFilesAreClearErrors() throws {
    let folder = try TestStudies.folder()
    let path = folder + "/study.sqlite"
    do {
      let study = try Study(
        name: "s", storage: try SQLiteStorage(path: path), direction: .minimize,
        sampler: RandomSampler(seed: 3))
      try study.optimize(trials: 100) { trial, _ in try trial.suggestFloat("x", 0, 1) }  // several pages
    }
    // Everything into the main file, as the last connection's close does (the study's worker
    // threads may hold theirs a moment after optimize returns).
    #expect(waitUntilGone(path + "-wal"), "the study's last connection never closed")
    var db: OpaquePointer?
    sqlite3_open(path, &db)
    sqlite3_busy_timeout(db, 10_000)  // a closing connection's checkpoint may still hold the file (seen under load)
    #expect(sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", nil, nil, nil) == SQLITE_OK)
    sqlite3_close(db)
    let original = try Data(contentsOf: URL(fileURLWithPath: path))
    let pageSize = Int(original[16]) << 8 | Int(original[17])  // the header's page size, big-endian
    try #require(original.count >= 8 * pageSize, "\(original.count) bytes in pages of \(pageSize)")
    func damaged(_ bytes: Data) throws -> String {
      try bytes.write(to: URL(fileURLWithPath: path))
      for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
      do {
        let storage = try SQLiteStorage(path: path, create: false)
        let trials = try Study(name: "s", storage: storage, direction: .minimize, sampler: RandomSampler()).trials()
        return "read \(trials.count) trials"
      } catch let error as TuningError {
        #expect("\(error)".hasPrefix(path))
        return "\(error)"
      }
    }
    // Half the pages gone: the trials' b-tree points past the end of the file.
    let truncated = try damaged(original.prefix(original.count / 2))
    #expect(truncated.contains("is not a Descent study file: database disk image is malformed"), "\(truncated)")
    // Every page after the first (the schema) overwritten with a pattern that is no b-tree page type.
    var overwritten = original
    overwritten.replaceSubrange(
      pageSize..<original.count, with: Data(repeating: 0x5A, count: original.count - pageSize))
    let garbage = try damaged(overwritten)
    #expect(garbage.contains("is not a Descent study file: database disk image is malformed"), "\(garbage)")
    // The header's magic string damaged.
    var header = original
    header.replaceSubrange(0..<16, with: Data(repeating: 0, count: 16))
    #expect(try damaged(header).contains("is not a Descent study file: file is not a database"))
    // The intact file still reads: the damage, not the test's copying, made the errors.
    #expect(try damaged(original) == "read 100 trials")
  }
}
