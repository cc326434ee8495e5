import Descent

/// Decides from intermediate values whether a running trial should stop early.
public protocol Pruner: Sendable {
  /// Whether `trial` (RUNNING, with its reported values) should stop, given the study's trials.
  func shouldPrune(_ trial: TrialRecord, history: [TrialRecord], direction: Direction) -> Bool
  /// Whether it judges studies of several objectives (by their intermediate vectors).
  var handlesSeveralObjectives: Bool { get }
}

extension Pruner {
  public var handlesSeveralObjectives: Bool { false }
}

/// Pruning with several objectives (Optuna raises `NotImplementedError` there; its issue 3450):
/// at each judged step, a trial whose reported vector (``Trial/report(_:step:)-([Double],_)``) is
/// dominated by another trial's at the same step — by the step's Pareto front — stops. It waits for
/// `startupTrials` other trials to have reported the step and never judges the first
/// `warmupSteps` steps. A NaN in the vector prunes.
public struct ParetoPruner: Pruner {
  public let directions: [Direction]
  public var startupTrials: Int, warmupSteps: Int

  /// - Throws: ``ConfigurationError`` for no direction or a negative count.
  public init(directions: [Direction], startupTrials: Int = 5, warmupSteps: Int = 0) throws {
    try ConfigurationError.require(!directions.isEmpty, "directions", "[]", "one per objective")
    try ConfigurationError.require(startupTrials >= 0, "startupTrials", startupTrials, ">= 0")
    try ConfigurationError.require(warmupSteps >= 0, "warmupSteps", warmupSteps, ">= 0")
    (self.directions, self.startupTrials, self.warmupSteps) = (directions, startupTrials, warmupSteps)
  }

  public var handlesSeveralObjectives: Bool { true }

  public func shouldPrune(_ trial: TrialRecord, history: [TrialRecord], direction: Direction) -> Bool {
    guard let step = trial.lastStep, step > warmupSteps, let mine = trial.intermediateValues[step],
      mine.count == directions.count
    else { return false }
    if mine.contains(where: \.isNaN) { return true }
    let minimize = { (values: [Double]) in zip(values, directions).map { $1 == .minimize ? $0 : -$0 } }
    let others = history.filter { $0.number != trial.number }.compactMap { $0.intermediateValues[step] }
      .filter { $0.count == directions.count && !$0.contains(where: \.isNaN) }
    guard others.count >= max(1, startupTrials) else { return false }
    let point = minimize(mine)
    return others.contains { Pareto.dominates(minimize($0), point) }
  }
}

/// Never prunes.
public struct NoPruner: Pruner {
  public init() {}
  public func shouldPrune(_ trial: TrialRecord, history: [TrialRecord], direction: Direction) -> Bool { false }
}

/// Optuna's `MedianPruner`: stops a trial whose best value so far is worse than the median of
/// the COMPLETE trials' values at the same step. It waits for `startupTrials` complete trials,
/// never judges the first `warmupSteps` steps (steps count from 1), and then judges every
/// `interval`-th step from `warmupSteps + 1` on. A NaN value prunes.
public struct MedianPruner: Pruner {
  public var startupTrials: Int, warmupSteps: Int, interval: Int

  /// - Throws: ``ConfigurationError`` for a negative count or an interval below 1.
  public init(startupTrials: Int = 5, warmupSteps: Int = 0, interval: Int = 1) throws {
    try ConfigurationError.require(startupTrials >= 0, "startupTrials", startupTrials, ">= 0")
    try ConfigurationError.require(warmupSteps >= 0, "warmupSteps", warmupSteps, ">= 0")
    try ConfigurationError.require(interval >= 1, "interval", interval, ">= 1")
    (self.startupTrials, self.warmupSteps, self.interval) = (startupTrials, warmupSteps, interval)
  }

  public func shouldPrune(_ trial: TrialRecord, history: [TrialRecord], direction: Direction) -> Bool {
    let complete = history.filter { $0.state == .complete }
    guard complete.count >= max(1, startupTrials), let step = trial.lastStep, step > warmupSteps,
      (step - warmupSteps - 1) % interval == 0
    else { return false }
    let values = trial.intermediate.values
    guard !values.contains(where: \.isNaN) else { return true }
    let best = direction == .minimize ? values.min()! : values.max()!
    let others = complete.compactMap { $0.intermediate[step] }.filter { !$0.isNaN }.sorted()
    guard !others.isEmpty else { return false }
    let middle = others.count / 2
    let median = others.count % 2 == 1 ? others[middle] : (others[middle - 1] + others[middle]) / 2
    return direction.isBetter(median, than: best)
  }
}

/// Asynchronous successive halving (ASHA; Li et al., "A System for Massively Parallel
/// Hyperparameter Tuning", MLSys 2020), as Optuna's `SuccessiveHalvingPruner`: rung `r` is at
/// step `minimumResource · reductionFactor^r`. A trial reaching a rung is compared with every
/// trial (any state) that reached it before, and continues only if it is in their top
/// `1/reductionFactor` (the first few trials at a rung always continue); otherwise it is pruned.
public struct SuccessiveHalvingPruner: Pruner {
  public var minimumResource: Int, reductionFactor: Int

  /// - Throws: ``ConfigurationError`` for a resource below 1 or a factor below 2.
  public init(minimumResource: Int = 1, reductionFactor: Int = 4) throws {
    try ConfigurationError.require(minimumResource >= 1, "minimumResource", minimumResource, ">= 1")
    try ConfigurationError.require(reductionFactor >= 2, "reductionFactor", reductionFactor, ">= 2")
    (self.minimumResource, self.reductionFactor) = (minimumResource, reductionFactor)
  }

  /// The steps at which trials are compared, up to `maximum`.
  public func rungs(upTo maximum: Int) -> [Int] {
    var steps: [Int] = [], step = minimumResource
    while step <= maximum {
      steps.append(step)
      step *= reductionFactor
    }
    return steps
  }

  public func shouldPrune(_ trial: TrialRecord, history: [TrialRecord], direction: Direction) -> Bool {
    guard let step = trial.lastStep, rungs(upTo: step).last == step, let value = trial.intermediate[step] else {
      return false
    }
    guard !value.isNaN else { return true }
    var competing = history.filter { $0.number != trial.number }.compactMap { $0.intermediate[step] }.filter {
      !$0.isNaN
    }
    competing.append(value)
    competing.sort { direction.isBetter($0, than: $1) }
    let promotable = max(0, competing.count / reductionFactor - 1)
    return direction.isBetter(competing[promotable], than: value)
  }
}

/// `base`, except that the study's first `spared` trials are never stopped by it: the settings a
/// study starts from (``Study/enqueue(_:)`` before any other trial; `descent automl`'s known good
/// ones) train to their last epoch and make full-length members for ensemble selection, whatever
/// their early epochs look like. Other trials still compare with their values at each rung. The
/// study's timeout pauses them as any trial.
public struct SparingPruner: Pruner {
  public var base: any Pruner
  public var spared: Int

  public init(_ base: any Pruner, sparing spared: Int) {
    (self.base, self.spared) = (base, spared)
  }

  public var handlesSeveralObjectives: Bool { base.handlesSeveralObjectives }

  public func shouldPrune(_ trial: TrialRecord, history: [TrialRecord], direction: Direction) -> Bool {
    trial.number >= spared && base.shouldPrune(trial, history: history, direction: direction)
  }
}
