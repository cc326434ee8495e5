/// A study that cannot go on: its store, or a mismatch with what it holds.
public enum TuningError: Error, Equatable, CustomStringConvertible {
  /// The study store at `path` could not be used; `reason` says why (SQLite's message and code).
  case storage(path: String, reason: String)
  /// `path` exists but is not a Descent study store (another database, another file).
  case notAStudy(path: String, reason: String)
  /// No study called `study` in the store at `path`; `available` lists those there are.
  case noSuchStudy(path: String, study: String, available: [String])
  /// The study already holds `parameter` with another domain (or direction, for `"direction"`).
  case incompatible(study: String, parameter: String, stored: String, given: String)
  /// `trial` was suggested `parameter` twice with different domains.
  case redefined(trial: Int, parameter: String, first: String, then: String)
  /// Grid search needs declared values for `parameter`, which the space does not have.
  case notInGrid(parameter: String)
  /// `trial` was marked FAILED by another process (no heartbeat within the grace period) while it ran.
  case lost(trial: Int)

  public var description: String {
    switch self {
    case let .storage(path, reason): "study storage \(path): \(reason)"
    case let .notAStudy(path, reason): "\(path) is not a Descent study file: \(reason)"
    case let .noSuchStudy(path, study, available):
      "no study '\(study)' in \(path) "
        + "(\(available.isEmpty ? "it holds none" : "it holds: \(available.joined(separator: ", "))"))"
    case let .incompatible(study, parameter, stored, given):
      "study '\(study)' has \(parameter) as \(stored), not \(given): use another study name or the same space"
    case let .redefined(trial, parameter, first, then):
      "trial \(trial) suggested \(parameter) as \(first), then as \(then)"
    case let .notInGrid(parameter): "\(parameter) is not in the grid sampler's search space"
    case let .lost(trial): "trial \(trial) was marked FAILED by another process after missing its heartbeats"
    }
  }
}
