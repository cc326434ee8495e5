import DescentTuning
import Foundation
import Testing

/// Studies on PostgreSQL under faults: worker processes killed with SIGKILL, the server stopped
/// and restarted mid-study, a server that stays down, a read-only role, passwords in URLs. Each
/// test starts a server of its own (scripts/postgres.sh), since it stops and restarts it; they
/// run where scripts/test.sh runs the suite (it installs PostgreSQL and sets DESCENT_TEST_POSTGRES).
@Suite(
  .enabled(
    if: ProcessInfo.processInfo.environment["DESCENT_TEST_POSTGRES"] != nil && TuneCommandTests.enabled,
    "no PostgreSQL test server (run scripts/test.sh) or no Fashion-MNIST"))
struct StudyChaosTests {
  let cli = CommandLineTests()

  /// A throw-away server on 127.0.0.1, stopped and deleted when the test lets go of it.
  final class Server {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("scripts/postgres.sh").path
    let folder = "/tmp/descent-postgres-test-\(UUID().uuidString.prefix(8))"
    /// The superuser's URL with its password in it.
    let url: String
    let password: String

    init() throws {
      let lines = try Self.shell("'\(Self.script)' start \(folder)").split(separator: "\n")
      func exported(_ name: String) throws -> String {
        let line = try #require(
          lines.first { $0.hasPrefix("export \(name)=") }, "scripts/postgres.sh printed no \(name)")
        return String(line.dropFirst("export \(name)=".count).dropFirst().dropLast())
      }
      password = try exported("PGPASSWORD")
      url = try exported("DESCENT_TEST_POSTGRES").replacingOccurrences(of: "descent@", with: "descent:\(password)@")
    }

    deinit { _ = try? Self.shell("'\(Self.script)' stop \(folder)") }

    func stop() throws { try Self.shell("'\(Self.script)' pause \(folder)") }
    func start() throws { try Self.shell("'\(Self.script)' resume \(folder)") }

    /// A new database's URL (with the password).
    func database() throws -> String {
      let name = "study_" + UUID().uuidString.prefix(8).lowercased()
      _ = try Self.shell("psql -q '\(url)' -c 'CREATE DATABASE \(name)'")
      return url[..<url.lastIndex(of: "/")!] + "/" + name
    }

    func sql(_ database: String, _ statement: String) throws -> String {
      try Self.shell("psql -qAt '\(database)' -c \"\(statement)\"")
    }

    /// Runs `command` with `sh -c`; its output goes through files, not pipes, which a server it
    /// starts could hold open.
    @discardableResult
    static func shell(_ command: String) throws -> String {
      let files = NSTemporaryDirectory() + "descent-shell-\(UUID().uuidString)"
      defer { for suffix in [".out", ".err"] { try? FileManager.default.removeItem(atPath: files + suffix) } }
      let process = Process()
      process.executableURL = URL(fileURLWithPath: "/bin/sh")
      process.arguments = ["-c", "(\(command)) >'\(files).out' 2>'\(files).err'"]
      (process.standardOutput, process.standardError) = (FileHandle.nullDevice, FileHandle.nullDevice)
      try process.run()
      process.waitUntilExit()
      let read = { (suffix: String) in
        String(decoding: FileManager.default.contents(atPath: files + suffix) ?? Data(), as: UTF8.self)
      }
      guard process.terminationStatus == 0 else { throw ShellError(command: command, message: read(".err")) }
      return read(".out")
    }

    struct ShellError: Error { let command: String, message: String }
  }

  /// `descent automl` on a PostgreSQL study, killed with SIGKILL mid-search and run again: it
  /// continues (AutoMLCommandTests.killedMidSearchItContinues).
  @Test func automlKilledMidSearchContinues() throws {
    let server = try Server()
    try AutoMLCommandTests.killedMidSearchItContinues(storage: try server.database(), cli: cli)
  }

  /// 4 worker processes on one study; workers killed with SIGKILL at random moments and replaced,
  /// the server stopped for a second and restarted once: the study ends with exactly the requested
  /// trials, each COMPLETE with every epoch's value, none RUNNING or WAITING, and (grid) every
  /// point once. Killed trials are re-queued with their parameters (--retry-failed 10: more than
  /// the kills, since a re-queued trial is claimed first and may be the next one killed).
  @Test(arguments: ["tpe", "grid", "cmaes", "nsga2"])
  func killedWorkersAndARestartedServerLeaveExactlyTheRequestedTrials(sampler: String) throws {
    let server = try Server()
    let database = try server.database()
    let (folder, path) = try TuneCommandTests.space(
      sampler == "grid"
        ? #"{"epochs": 2, "backend": "cpu", "hidden": [8], "learning-rate": {"choice": [0.001, 0.003, 0.01, 0.03, "#
          + #"0.1, 0.3]}, "optimizer": {"choice": ["adam", "sgd", "rmsprop"]}}"#
        : #"{"epochs": 2, "backend": "cpu", "hidden": [8], "learning-rate": {"float": [1e-3, 1e-1], "log": true}, "#
          + #""optimizer": {"choice": ["adam", "sgd"]}}"#
    )
    let target = sampler == "grid" ? 18 : 30
    // NSGA-II (two objectives) and CMA-ES replay the store: killed workers must not break that.
    let create = try cli.run(
      [
        "tune", "--space", path, "--storage", database, "--study", "chaos", "--sampler", sampler,
        "--trials", sampler == "grid" ? "100" : "\(target)", "--pruner", "none", "--limit", "1000",
        "--retry-failed", "10", "--create",
      ] + (sampler == "nsga2" ? ["--objectives", "accuracy,loss"] : []))
    try #require(create.status == 0, "\(create.error)")
    let store = try PostgreSQLStorage(url: database)
    let id = try #require(try store.studies().first { $0.name == "chaos" }?.id)
    let worker = [
      "tune", "--storage", database, "--study", "chaos", "--worker", "--workers", "1", "--output", folder, "--quiet",
    ]
    var landed = 0  // kills that left a trial RUNNING
    try Self.killWorkers(4, worker, rounds: 8, restartingServerIn: 4, server: server, store: store, study: id) {
      number in
      // Still RUNNING, or already marked lost by another worker: either way it did not finish.
      if try store.trials(study: id)[number].state != .complete { landed += 1 }
    }
    let trials = try store.trials(study: id)
    let counted = trials.filter { !$0.lost && !$0.replaced }
    #expect(counted.count == target, "\(trials.map { "\($0.number) \($0.state) lost \($0.lost) retry \($0.retry)" })")
    #expect(
      counted.allSatisfy { $0.state == .complete && $0.intermediate.keys.sorted() == [1, 2] },
      "\(counted.filter { $0.state != .complete }.map { "\($0.number) \($0.state) \($0.error ?? "")" })")
    #expect(!trials.contains { $0.state == .running || $0.state == .waiting })
    let lost = trials.filter(\.lost)
    #expect(landed > 0 && lost.count == landed, "\(landed) kills left a trial RUNNING; \(lost.count) trials lost")
    #expect(lost.allSatisfy { $0.state == .failed && $0.replaced && $0.error?.hasPrefix("lost: ") == true })
    #expect(trials.filter { $0.state == .failed }.count == lost.count)
    // Each lost trial ran again, with the parameters it had stored before the kill (and its grid
    // point), in a later trial that counts.
    #expect(
      lost.allSatisfy { trial in
        counted.contains { again in
          again.retry > trial.retry && again.gridIndex == trial.gridIndex
            && trial.parameters.allSatisfy { again.parameters[$0.key] == $0.value }
        }
      })
    if sampler == "grid" {
      #expect(Set(counted.compactMap(\.gridIndex)) == Set(0..<target) && counted.count == target)
      #expect(Set(counted.map(\.parameters)).count == target)
    }
  }

  /// Population-based training on PostgreSQL: 4 members, 3 worker processes, workers killed with
  /// SIGKILL at random moments while a member runs and replaced, the server stopped for a second
  /// and restarted: the population ends with 4 counted members, each COMPLETE with a value at every
  /// epoch and a lineage whose copies name members; a member killed after a checkpoint is paused
  /// again there (not lost), one killed before its first is lost and replaced.
  @Test func killedWorkersAndARestartedServerLeaveAWholePopulation() throws {
    let server = try Server()
    let database = try server.database()
    let (folder, path) = try TuneCommandTests.space(
      #"{"epochs": 3, "backend": "cpu", "hidden": [128], "batch-size": 32, "#
        + #""learning-rate": {"float": [1e-3, 1e-1], "log": true}, "dropout": {"float": [0, 0.3]}}"#)
    // Members of ~1.5 s an epoch on a Zen 5 core (48 000 rows), so that the kills land while they
    // run: with 2 000 rows a member took 0.2 s and the population ended after the first kill.
    let create = try cli.run([
      "tune", "--space", path, "--storage", database, "--study", "pbt", "--pbt", "4", "--interval", "1",
      "--limit", "60000", "--create",
    ])
    try #require(create.status == 0, "\(create.error)")
    let store = try PostgreSQLStorage(url: database)
    let id = try #require(try store.studies().first { $0.name == "pbt" }?.id)
    let worker = [
      "tune", "--storage", database, "--study", "pbt", "--worker", "--workers", "1", "--output", folder, "--quiet",
    ]
    var kills = 0
    try Self.killWorkers(3, worker, rounds: 5, restartingServerIn: 2, server: server, store: store, study: id) { _ in
      kills += 1
    }
    #expect(kills >= 2, "only \(kills) workers were killed while a member ran")
    let trials = try store.trials(study: id)
    let members = trials.filter { !$0.lost && !$0.replaced }
    #expect(members.count == 4, "\(trials.map { "\($0.number) \($0.state) \($0.error ?? "")" })")
    for member in members {
      #expect(member.state == .complete && member.intermediate.keys.sorted() == [1, 2, 3], "member \(member.number)")
      let bytes = try #require(
        try store.artifact(name: PopulationBasedTraining.lineageName, study: id, number: member.number))
      let lineage = try JSONDecoder().decode(PopulationBasedTraining.Lineage.self, from: Data(bytes))
      #expect(lineage.events.dropFirst().allSatisfy { event in members.contains { $0.number == event.donor } })
    }
    #expect(trials.filter(\.lost).allSatisfy { $0.state == .failed && $0.error?.hasPrefix("lost: ") == true })
  }

  /// Runs `count` worker processes (`tune` with `worker`'s arguments) on study `id`, then for
  /// `rounds` rounds waits 0.2–0.6 s and either stops the server for a second and starts it again
  /// (round `restartRound`, once every worker has connected) or kills with SIGKILL a worker that
  /// holds a RUNNING trial, calls `killed` with that trial's number and starts a worker in its
  /// place; the rounds end early once no worker has held a trial for 30 s. One more worker, 1.5 s
  /// after the last kill, re-queues what the killed ones left RUNNING; then every worker is
  /// waited for, and each must have ended by the kill or with status 0.
  static func killWorkers(
    _ count: Int, _ worker: [String], rounds: Int, restartingServerIn restartRound: Int, server: Server,
    store: PostgreSQLStorage, study id: Int64, killed: (Int) throws -> Void
  ) throws {
    var workers = try (0..<count).map { _ in try TuneCommandTests.start(worker) }
    var generator = SystemRandomNumberGenerator()
    for round in 0..<rounds {
      Thread.sleep(forTimeInterval: Double.random(in: 0.2...0.6, using: &generator))
      if round == restartRound {
        Thread.sleep(forTimeInterval: 1)
        try server.stop()
        Thread.sleep(forTimeInterval: 1)
        try server.start()
        continue
      }
      var running: (number: Int, victim: Int)?
      let deadline = Date().addingTimeInterval(30)
      while running == nil && Date() < deadline {
        running = try store.runningTrials(study: id).lazy.compactMap { trial in
          workers.firstIndex { $0.processIdentifier == trial.owner.pid }.map { (trial.number, $0) }
        }.first
        if running == nil { Thread.sleep(forTimeInterval: 0.005) }
      }
      guard let running else { break }
      kill(workers[running.victim].processIdentifier, SIGKILL)
      workers[running.victim].waitUntilExit()
      try killed(running.number)
      workers[running.victim] = try TuneCommandTests.start(worker)
    }
    Thread.sleep(forTimeInterval: 1.5)
    workers.append(try TuneCommandTests.start(worker))
    for process in workers {
      process.waitUntilExit()
      #expect(
        process.terminationReason == .uncaughtSignal || process.terminationStatus == 0,
        "a worker ended with status \(process.terminationStatus)")
    }
  }

  /// With the server gone for longer than the retry window, the error names the host and libpq's
  /// message; committed trials are all there when it comes back.
  @Test func aServerThatStaysDownIsAClearError() throws {
    let server = try Server()
    let database = try server.database()
    let study = try Study(
      name: "down", storage: try PostgreSQLStorage(url: database, retryWindow: 1.5), direction: .minimize,
      sampler: RandomSampler(seed: 1))
    try study.optimize(trials: 3) { trial, _ in try trial.suggestFloat("x", 0, 1) }
    try server.stop()
    do {
      try study.optimize(trials: 6) { trial, _ in try trial.suggestFloat("x", 0, 1) }
      Issue.record("a study ran with its server down")
    } catch {
      let text = "\(error)"
      #expect(text.contains("no answer from 127.0.0.1 for 1 s"), "\(text)")
      #expect(text.contains("Connection refused") || text.contains("terminating connection"), "\(text)")
      #expect(!text.contains(server.password))
    }
    try server.start()
    #expect(try study.trials().filter { $0.state == .complete }.count == 3)
  }

  /// A password in the URL appears nowhere: not in output, errors, `--show`, files or the study.
  @Test func aPasswordInTheURLIsNeverShownOrStored() throws {
    let server = try Server()
    let database = try server.database()
    let (folder, path) = try TuneCommandTests.space(TuneCommandTests.tiny)
    let runs = [
      try cli.run([
        "tune", "--space", path, "--storage", database, "--study", "secret", "--trials", "3", "--limit", "300",
        "--output", folder,
      ]),
      try cli.run(["tune", "--storage", database, "--study", "secret", "--show", "--output", "\(folder)/shown"]),
      try cli.run(["tune", "--storage", database, "--study", "missing", "--worker"]),
      try cli.run([
        "tune", "--storage", database.replacingOccurrences(of: server.password, with: "wrong-\(server.password)"),
        "--study", "secret", "--show",
      ]),
    ]
    #expect(runs[0].status == 0 && runs[1].status == 0, "\(runs[0].error)")
    #expect(runs[0].output.contains("postgresql://descent@127.0.0.1:"))
    #expect(runs[2].error.contains("no study 'missing'"), "\(runs[2].error)")
    #expect(runs[3].error.contains("password authentication failed"), "\(runs[3].error)")
    for run in runs { #expect(!(run.output + run.error).contains(server.password)) }
    #expect(
      runs[1].output.contains("wrote \(folder)/shown/trials.csv, trials.json, history.svg, slice.svg, intermediate.svg")
    )
    for file in try FileManager.default.subpathsOfDirectory(atPath: folder) {
      let text = String(decoding: FileManager.default.contents(atPath: "\(folder)/\(file)") ?? Data(), as: UTF8.self)
      #expect(!text.contains(server.password), "\(file)")
    }
    let stored = try server.sql(
      database,
      "SELECT concat_ws(' ', s.name, s.settings, t.device, t.host, t.error) "
        + "FROM studies s JOIN trials t ON t.study = s.id"
    )
    #expect(!stored.isEmpty && !stored.contains(server.password))
  }

  /// A role with SELECT rights only can `--show` a study but not run its trials.
  @Test func aReadOnlyRoleCanShowButNotRunTrials() throws {
    let server = try Server()
    let database = try server.database()
    let (folder, path) = try TuneCommandTests.space(TuneCommandTests.tiny)
    let created = try cli.run([
      "tune", "--space", path, "--storage", database, "--study", "shared", "--trials", "2",
      "--limit", "300", "--output", folder, "--quiet",
    ])
    try #require(created.status == 0, "\(created.error)")
    let name = database[database.index(after: database.lastIndex(of: "/")!)...]
    _ = try server.sql(
      database,
      "CREATE ROLE reader LOGIN PASSWORD 'reading'; GRANT CONNECT ON DATABASE \(name) TO reader; GRANT SELECT ON ALL "
        + "TABLES IN SCHEMA public TO reader"
    )
    let reader = database.replacingOccurrences(of: "descent:\(server.password)@", with: "reader:reading@")
    let show = try cli.run(["tune", "--storage", reader, "--study", "shared", "--show"])
    #expect(show.status == 0 && show.output.contains("COMPLETE"), "\(show.error)")
    let work = try cli.run(["tune", "--storage", reader, "--study", "shared", "--worker", "--output", folder])
    #expect(work.status != 0)
    #expect(
      work.error.contains("permission denied")
        && work.error.contains("this role may read studies (--show) but not run trials"),
      "\(work.error)")
  }
}
