import Descent
import Foundation
import Synchronization

/// Thrown by an objective (or by
/// ``Trial/crossValidate(_:epochs:batchSize:monitor:augmentation:stopBefore:objectives:makeTrainer:)``) to end
/// its trial as PRUNED, as Optuna's `TrialPruned`.
public struct TrialPruned: Error, CustomStringConvertible {
  public let step: Int
  public init(step: Int) { self.step = step }
  public var description: String { "pruned at step \(step)" }
}

/// Thrown by an objective (or by
/// ``Trial/crossValidate(_:epochs:batchSize:monitor:augmentation:stopBefore:objectives:makeTrainer:)``) of a
/// study with ``Study/pausing`` that stopped at `step` after keeping its checkpoint with the
/// trial: the trial is stored PAUSED, to be continued from there if it is promoted.
public struct TrialPaused: Error, CustomStringConvertible {
  public let step: Int
  public init(step: Int) { self.step = step }
  public var description: String { "paused at step \(step)" }
}

/// One evaluation of the objective: the objective asks it for parameter values, reports
/// intermediate values, and asks whether to stop. Every suggestion and report is stored at once.
public struct Trial {
  /// From 0, in the order trials started in the study.
  public let number: Int
  /// The values suggested so far.
  public private(set) var parameters: [String: ParameterValue] = [:]
  /// The values reported so far, by step.
  public private(set) var intermediate: [Int: Double] = [:]
  /// Every objective's values reported so far by step, in a study of several objectives.
  public private(set) var intermediateValues: [Int: [Double]] = [:]
  /// Per-fold results to store with the trial (set by cross-validation).
  public var foldValues: [Double] = []
  /// The backend or device running the trial, as stored.
  public let device: String
  /// Which of the study's workers runs it (0-based), for objectives that keep one resource per worker.
  public let worker: Int
  let session: TrialSession
  /// Domains suggested so far, to catch one name used with two domains.
  private var domains: [String: Domain] = [:]

  /// The step a promoted trial continues after (its checkpoint's), nil for a trial that starts
  /// afresh. Its reported values up to there are in ``intermediate``.
  public let resumedStep: Int?
  /// Whether the study pauses a stopped trial rather than pruning it (``Study/pausing``): an
  /// objective that can should then keep a checkpoint and throw ``TrialPaused``.
  public var pausing: Bool { session.pausing }

  init(number: Int, device: String, worker: Int, session: TrialSession, resumed: [Int: Double] = [:]) {
    (self.intermediate, self.resumedStep) = (resumed, resumed.keys.max())
    self.number = number
    self.device = device
    self.worker = worker
    self.session = session
  }

  /// A value for `parameter` from the study's sampler, stored with the trial. Asking again for
  /// the same name returns the same value.
  /// - Throws: ``TuningError/redefined(trial:parameter:first:then:)`` for the same name with
  ///   another domain, ``TuningError/incompatible(study:parameter:stored:given:)`` when the study
  ///   used another domain for it, ``ConfigurationError`` for an invalid domain.
  public mutating func suggest(_ parameter: Hyperparameter) throws -> ParameterValue {
    if let value = parameters[parameter.name] {
      guard domains[parameter.name] == parameter.domain else {
        throw TuningError.redefined(
          trial: number, parameter: parameter.name,
          first: domains[parameter.name]?.description ?? "?", then: parameter.domain.description)
      }
      return value
    }
    try parameter.domain.validate(parameter.name)
    try session.register(parameter)
    let value: ParameterValue
    if let kept = session.fixed[parameter.name].flatMap(parameter.domain.member) {
      value = kept  // stored with the failed attempt and copied
    } else if let joint = session.relative[parameter.name].flatMap(parameter.domain.member) {
      value = joint
      try session.storage.setParameter(trial: session.id, parameter.name, value)
    } else {
      value = try session.sampler.sample(
        parameter,
        SamplingContext(
          trial: number, gridIndex: session.gridIndex,
          history: session.history, direction: session.directions[0], directions: session.directions))
      try session.storage.setParameter(trial: session.id, parameter.name, value)
    }
    parameters[parameter.name] = value
    domains[parameter.name] = parameter.domain
    return value
  }

  /// A real number in `low...high` (log-uniform when `log`; on multiples of `step` from `low`).
  public mutating func suggestFloat(
    _ name: String, _ low: Double, _ high: Double, log: Bool = false,
    step: Double? = nil
  ) throws -> Double {
    try suggest(Hyperparameter(name, .float(low: low, high: high, log: log, step: step))).number!
  }

  /// A whole number in `low...high` on the grid `low, low + step, …` (log-uniform when `log`).
  public mutating func suggestInt(
    _ name: String, _ low: Int, _ high: Int, log: Bool = false, step: Int = 1
  ) throws -> Int {
    Int(try suggest(Hyperparameter(name, .int(low: low, high: high, log: log, step: step))).number!)
  }

  /// One of `choices`.
  public mutating func suggestCategorical(_ name: String, _ choices: [ParameterValue]) throws -> ParameterValue {
    try suggest(Hyperparameter(name, .categorical(choices)))
  }

  /// One of the strings `choices`.
  public mutating func suggestCategorical(_ name: String, _ choices: [String]) throws -> String {
    try suggest(Hyperparameter(name, .categorical(choices.map { .string($0) }))).description
  }

  /// Stores `value` as the result at `step` (an epoch, from 1), for pruners and the plots.
  public mutating func report(_ value: Double, step: Int) throws {
    try ConfigurationError.require(step >= 1, "report step", step, ">= 1")
    intermediate[step] = value
    try session.storage.report(trial: session.id, step: step, value: value, values: [])
  }

  /// In a study of several objectives: every objective's value at `step`, for ``ParetoPruner``
  /// (the plots show the first).
  /// - Throws: ``ConfigurationError`` unless there is one value per objective.
  public mutating func report(_ values: [Double], step: Int) throws {
    try ConfigurationError.require(step >= 1, "report step", step, ">= 1")
    try ConfigurationError.require(
      values.count == session.directions.count, "reported values", values.count,
      "one per objective (\(session.directions.count))")
    (intermediate[step], intermediateValues[step]) = (values[0], values)
    try session.storage.report(trial: session.id, step: step, value: values[0], values: values)
  }

  /// Stores `data` with the trial under `name` (replacing what was stored under it), for later
  /// readers of the study on any machine: ``Study/artifact(_:trial:)``.
  public func keep(_ data: [UInt8], as name: String) throws {
    try session.storage.storeArtifact(data, name: name, trial: session.id)
  }

  /// What this trial kept under `name` (by an earlier attempt, or before it was paused), or nil.
  public func kept(_ name: String) throws -> [UInt8]? {
    try session.storage.artifact(name: name, study: session.study, number: number)
  }

  /// Removes what the trial kept under `name` (a checkpoint no longer needed), if anything.
  public func discard(_ name: String) throws {
    try session.storage.removeArtifact(name: name, trial: session.id)
  }

  /// Whether the study's `timeout` has passed: the trial should stop (``shouldPrune`` says so).
  public var isPastDeadline: Bool { session.deadline.map { Date() >= $0 } ?? false }

  /// Whether the study's pruner would stop this trial now, judged against every trial of the
  /// study as stored this moment (other processes' included), or the study's `timeout` has
  /// passed: a running trial stops there too, and is stored as PRUNED (with ``Study/pausing``:
  /// PAUSED) at its last step.
  public var shouldPrune: Bool {
    get throws {
      if isPastDeadline { return true }
      let history = try session.storage.trials(study: session.study).filter { $0.number != number }
      let record = TrialRecord(
        number: number, state: .running, parameters: parameters, value: nil, foldValues: [],
        intermediate: intermediate, device: device, started: Date(), finished: nil, error: nil,
        gridIndex: session.gridIndex, lost: false, intermediateValues: intermediateValues)
      return session.pruner.shouldPrune(record, history: history, direction: session.directions[0])
    }
  }
}

/// What a trial needs from its study: where to store, how to sample and prune.
final class TrialSession: Sendable {
  let storage: any StudyStorage
  let study: Int64
  let id: Int64
  let gridIndex: Int?
  /// Values a re-queued trial keeps from its failed attempt.
  let fixed: [String: ParameterValue]
  let sampler: any Sampler
  let pruner: any Pruner
  let directions: [Direction]
  /// When the study's `timeout` ends, if it has one.
  let deadline: Date?
  /// The study's other trials when this one started (what the sampler learns from).
  let history: [TrialRecord]
  let registered: RegisteredDomains
  let pausing: Bool
  /// The sampler's joint values for this trial (``Sampler/sampleRelative(_:_:)``).
  let relative: [String: ParameterValue]

  init(
    storage: any StudyStorage, study: Int64, started: StartedTrial, sampler: any Sampler,
    pruner: any Pruner, directions: [Direction], deadline: Date?, history: [TrialRecord],
    registered: RegisteredDomains,
    pausing: Bool, relative: [String: ParameterValue]
  ) {
    (self.pausing, self.relative) = (pausing, relative)
    (self.storage, self.study, self.id, self.gridIndex, self.fixed) = (
      storage, study, started.id, started.gridIndex, started.parameters
    )
    (self.sampler, self.pruner, self.directions, self.deadline, self.history, self.registered) = (
      sampler, pruner, directions, deadline, history, registered
    )
  }

  /// Stores the parameter's domain with the study the first time this process sees it.
  func register(_ parameter: Hyperparameter) throws {
    guard registered.insert(parameter) else { return }
    try storage.register(parameter.name, parameter.domain, study: study)
  }
}

/// The parameters a study object has already checked against its store.
final class RegisteredDomains: Sendable {
  private let seen = Mutex<[String: Hyperparameter]>([:])

  /// Whether `parameter` is new here (a changed domain counts as new, so the store checks it).
  func insert(_ parameter: Hyperparameter) -> Bool {
    seen.withLock { seen in
      guard seen[parameter.name]?.domain != parameter.domain else { return false }
      seen[parameter.name] = parameter
      return true
    }
  }

  func contains(_ name: String) -> Bool { seen.withLock { $0[name] != nil } }

  /// Every parameter seen, by name: the space a joint sampler searches.
  var all: [Hyperparameter] { seen.withLock { $0.values.sorted { $0.name < $1.name } } }
}
