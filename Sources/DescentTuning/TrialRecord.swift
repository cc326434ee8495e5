import Foundation

/// Where a trial is in its life.
public enum TrialState: String, Sendable, Codable, CaseIterable {
  /// WAITING: re-queued after a failure, to run again with the same parameters, or queued with
  /// chosen ones (``Study/enqueue(_:)``). PAUSED: stopped
  /// at a checkpoint kept in the store (a study with `pausing`), to be continued from there when
  /// it is promoted.
  case waiting = "WAITING", running = "RUNNING", complete = "COMPLETE", pruned = "PRUNED", paused = "PAUSED"
  case failed = "FAILED"
}

/// Whether the objective is to be made small (a loss) or large (an accuracy).
public enum Direction: String, Sendable, Codable {
  case minimize, maximize

  /// Whether `a` is better than `b` (NaN is never better).
  public func isBetter(_ a: Double, than b: Double) -> Bool { self == .minimize ? a < b : a > b }
}

/// A trial as the study stores it.
public struct TrialRecord: Sendable, Codable, Equatable {
  /// From 0, in the order trials started in the study (across every process).
  public var number: Int
  public var state: TrialState
  /// The parameters the trial was suggested, by name.
  public var parameters: [String: ParameterValue]
  /// The objective's result (for cross-validation the mean over folds); nil unless COMPLETE.
  public var value: Double?
  /// One value per cross-validation fold, when the objective reported them.
  public var foldValues: [Double]
  /// Reported intermediate values by step (epochs, from 1).
  public var intermediate: [Int: Double]
  /// The device or backend that ran it.
  public var device: String
  public var started: Date
  public var finished: Date?
  /// Why it FAILED.
  public var error: String?
  /// The grid point it ran (grid search only).
  public var gridIndex: Int?
  /// Marked FAILED by a later process because its own process was gone: not counted toward the
  /// requested number of trials.
  public var lost: Bool
  /// How many failed attempts with these parameters came before this one (`retryFailed`).
  public var retry: Int = 0
  /// A FAILED trial re-queued as a WAITING copy, which counts in its place.
  public var replaced: Bool = false
  /// A COMPLETE trial's results in a study of several objectives, one per direction (``value``
  /// is nil there); empty in a study of one.
  public var values: [Double] = []
  /// Its constraints' values, when the study has constraints: feasible when every one is ≤ 0.
  public var constraints: [Double] = []
  /// In a study of several objectives, every objective's intermediate value by step, when the
  /// objective reported them (``Trial/report(_:step:)-([Double],_)``); ``intermediate`` holds the first's.
  public var intermediateValues: [Int: [Double]] = [:]

  /// The last reported step, if any.
  public var lastStep: Int? { intermediate.keys.max() }

  /// The value a trial that stopped early (PRUNED or PAUSED) ranks by: the one at its last step.
  /// COMPLETE trials rank by ``value``.
  public var lastValue: Double? { lastStep.flatMap { intermediate[$0] } }

  /// Whether the trial stopped early with reported values: PRUNED, or PAUSED at a checkpoint.
  public var stoppedEarly: Bool { state == .pruned || state == .paused }

  /// Standard deviation of ``foldValues`` (population, as scikit-learn's `cv_results_` `std_test_score`).
  public var foldStandardDeviation: Double? {
    guard foldValues.count > 1 else { return nil }
    let mean = foldValues.reduce(0, +) / Double(foldValues.count)
    return (foldValues.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(foldValues.count)).squareRoot()
  }

  /// Whether every constraint holds (no constraint: true).
  public var isFeasible: Bool { constraints.allSatisfy { $0 <= 0 } }

  /// Seconds from start to finish.
  public var seconds: Double? { finished.map { $0.timeIntervalSince(started) } }
}
