@testable import DescentTuning
import Foundation
import Testing

/// Fresh study stores for tests: one SQLite file in a new temporary folder, or one new database on
/// the PostgreSQL server scripts/test.sh starts (scripts/postgres.sh), per call.
enum TestStudies {
  static func folder() throws -> String {
    let path = NSTemporaryDirectory() + "descent-tuning-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }

  /// The throw-away server's URL (a superuser; its password in `PGPASSWORD`), if one runs.
  static let postgres = ProcessInfo.processInfo.environment["DESCENT_TEST_POSTGRES"]

  /// The URL of a new, empty database on that server.
  static func postgresDatabase() throws -> String {
    let server = try #require(postgres, "DESCENT_TEST_POSTGRES is not set: run the suite with scripts/test.sh")
    let name = "descent_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    try PostgreSQLConnection(url: server).query("CREATE DATABASE \(name)")
    return server[..<server.lastIndex(of: "/")!] + "/" + name
  }

  /// Every kind of storage the suite runs against, each a real engine: a new SQLite file, and a
  /// new database on the test server when there is one.
  static let storages: [(name: String, make: @Sendable () throws -> any StudyStorage)] = {
    let sqlite: @Sendable () throws -> any StudyStorage = { try SQLiteStorage(path: try folder() + "/study.sqlite") }
    let postgresql: @Sendable () throws -> any StudyStorage = { try PostgreSQLStorage(url: try postgresDatabase()) }
    return [("sqlite", sqlite)] + (postgres == nil ? [] : [("postgresql", postgresql)])
  }()

  /// A study of `objective` over `space` in a fresh store.
  static func run(
    _ space: SearchSpace, sampler: any Sampler, trials: Int, direction: Direction = .minimize,
    storage: (any StudyStorage)? = nil,
    objective: @escaping @Sendable ([String: ParameterValue]) -> Double
  ) throws -> [TrialRecord] {
    let study = try Study(
      storage: try storage ?? SQLiteStorage(path: try folder() + "/study.sqlite"), direction: direction,
      sampler: sampler, space: space)
    try study.optimize(trials: trials) { trial, _ in
      for parameter in space.parameters where parameter.isActive(given: trial.parameters) {
        _ = try trial.suggest(parameter)
      }
      return objective(trial.parameters)
    }
    return try study.trials()
  }
}
