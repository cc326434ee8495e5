import DescentTuning
import Foundation

/// Fresh study stores for tests: one SQLite file in a new temporary folder per call.
enum TestStudies {
  static func folder() throws -> String {
    let path = NSTemporaryDirectory() + "descent-tuning-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }

  /// Every kind of storage the suite runs against, each a real engine: a new SQLite file.
  static let storages: [(name: String, make: @Sendable () throws -> any StudyStorage)] = [
    ("sqlite", { try SQLiteStorage(path: try folder() + "/study.sqlite") }),
  ]

  /// A study of `objective` over `space` in a fresh store.
  static func run(_ space: SearchSpace, sampler: any Sampler, trials: Int, direction: Direction = .minimize,
                  storage: (any StudyStorage)? = nil,
                  objective: @escaping @Sendable ([String: ParameterValue]) -> Double) throws -> [TrialRecord] {
    let study = try Study(storage: try storage ?? SQLiteStorage(path: try folder() + "/study.sqlite"), direction: direction,
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
