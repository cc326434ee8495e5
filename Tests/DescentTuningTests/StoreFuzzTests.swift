import CSQLite
@testable import DescentTuning
import Foundation
import TestSupport
import Testing

/// A study store is input like a file: mutation fuzzing of SQLite study stores (`Mutator.cases`
/// cases), half as mutated bytes of the file, half as one stored value (any column of any row)
/// replaced by an extreme one (NULL, negative, huge, non-finite, text that is not JSON). Each store
/// is read as `descent tune --show` reads it (studies, trials, settings, the report and plots) and
/// opened to run one more trial; every failure must be a `TuningError` naming the store, never a
/// trap or a hang. A crash leaves its store at the path the failure names.
@Suite(.timeLimit(.minutes(5)))
struct StoreFuzzTests {
  static let space = try! SearchSpace([
    Hyperparameter("x", .float(low: 0, high: 1)), Hyperparameter("k", .categorical([.string("a"), .int(3)])),
    Hyperparameter("n", .int(low: 1, high: 8, step: 1)),
  ])

  /// A store of one study: complete, pruned and failed trials with intermediate values, and settings.
  static func seed(_ path: String) throws -> [UInt8] {
    do {
      let study = try Study(
        name: "s", storage: try SQLiteStorage(path: path), direction: .maximize, sampler: RandomSampler(seed: 5),
        space: space)
      try study.optimize(trials: 6, devices: ["cpu"]) { trial, _ in
        let x = try trial.suggestFloat("x", 0, 1)
        _ = try trial.suggest(space.parameters[1])
        let n = try trial.suggestInt("n", 1, 8)
        for step in 0..<3 { try trial.report(x * Double(step + 1), step: step) }
        if n == 8 { throw TrialPruned(step: 2) }
        if x > 0.9 { throw TuningError.lost(trial: 0) }
        return x + Double(n)
      }
      try study.storeSettings(#"{"space": "{}", "trials": 6}"#)
    }
    #expect(waitUntilGone(path + "-wal"), "the seed store's connection never closed")
    return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
  }

  static let extremes: [String] = [
    "NULL", "-1", "0", "4611686018427387904", "-9223372036854775808", "1e308", "-1e308", "'nan'", "'bogus'",
    "'{}'", "'[]'", "'{\"float\": 1}'", "''", "X'00FF'", "2147483648", "0.5",
  ]

  /// Replaces one value of the store at `path` (a seeded table, column and row) with an extreme one.
  static func replaceValue(in path: String, _ random: inout Mutator) {
    var db: OpaquePointer?
    guard sqlite3_open(path, &db) == SQLITE_OK else { return }
    defer { sqlite3_close(db) }
    let tables = ["descent", "studies", "domains", "trials", "parameters", "intermediate"]
    let table = tables[random.below(tables.count)]
    var statement: OpaquePointer?
    sqlite3_prepare_v2(db, "SELECT name FROM pragma_table_info('\(table)')", -1, &statement, nil)
    var columns: [String] = []
    while sqlite3_step(statement) == SQLITE_ROW { columns.append(String(cString: sqlite3_column_text(statement, 0))) }
    sqlite3_finalize(statement)
    guard !columns.isEmpty else { return }
    let column = columns[random.below(columns.count)], value = extremes[random.below(extremes.count)]
    let row = random.below(8)
    sqlite3_exec(
      db, "UPDATE \(table) SET \(column) = \(value) WHERE rowid = (SELECT rowid FROM \(table) LIMIT 1 OFFSET \(row))",
      nil, nil, nil)
  }

  /// Everything `tune --show` and a worker do with a store: any error must be a `TuningError`.
  /// Whether the store was used without one.
  @discardableResult
  static func use(_ path: String, caseNumber: Int) -> Bool {
    for side in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + side) }  // the last case's
    do {
      let store = try SQLiteStorage(path: path, readOnly: true)
      for (id, _, directions) in try store.studies() {
        let direction = directions[0]
        let trials = try store.trials(study: id)
        // What is read is in range, as a file's sizes are: counts and indexes from 0 to 2³¹ − 1.
        let inRange = 0...Int(Int32.max)
        for trial in trials {
          let counts = [trial.number, trial.retry] + (trial.gridIndex.map { [$0] } ?? []) + trial.intermediate.keys
          #expect(counts.allSatisfy(inRange.contains), "case \(caseNumber): trial read with \(counts)")
        }
        _ = try store.settings(study: id)
        let report = StudyReport(trials: trials, direction: direction, parameters: ["x", "k", "n"])
        _ = report.table(limit: 1000)
        _ = try report.json()
        _ = StudyPlots.history(trials, direction: direction)
        _ = StudyPlots.slice(trials, space: space)
        _ = StudyPlots.intermediate(trials)
      }
      if caseNumber % 4 == 0 {
        let study = try Study(
          name: "s", storage: try SQLiteStorage(path: path), direction: .maximize, sampler: RandomSampler(seed: 7),
          space: space)
        let count = try study.trials().count
        try study.optimize(trials: count + 1) { trial, _ in try trial.suggestFloat("x", 0, 1) }
      }
      return true
    } catch is TuningError {
    } catch {
      Issue.record("case \(caseNumber): \(type(of: error)) \(error), not a TuningError naming the store")
    }
    return false
  }

  @Test func studyStores() throws {
    let folder = try TestStudies.folder()
    let seed = try Self.seed(folder + "/seed.sqlite")
    var mutator = Mutator(seed: 0x57DB)
    let path = folder + "/study.sqlite"
    var used = [0, 0]  // cases used without an error: mutated bytes, replaced values
    mutator.run([seed], cases: Mutator.cases / 2, current: path) { _, caseNumber in
      if Self.use(path, caseNumber: caseNumber) { used[0] += 1 }
    }
    for caseNumber in 0..<Mutator.cases / 2 {
      try Data(seed).write(to: URL(fileURLWithPath: path))
      Self.replaceValue(in: path, &mutator)
      if Self.use(path, caseNumber: Mutator.cases / 2 + caseNumber) { used[1] += 1 }
    }
    // Neither half may be all refusals (then only the first check would be tested) or all uses.
    for count in used {
      #expect(count > Mutator.cases / 40 && count < Mutator.cases / 2 - Mutator.cases / 40, "\(used)")
    }
  }
}
