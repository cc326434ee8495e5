import Descent
import Foundation
import Synchronization

/// A named optimization: trials of an objective under one sampler and pruner, stored in a
/// ``StudyStorage`` that any number of processes may share (Optuna's `Study`).
///
/// Crash safety: every trial's process sends heartbeats while it runs. When a study is opened or
/// a trial starts, RUNNING trials whose process is gone (same host, dead pid) or whose last
/// heartbeat is older than `gracePeriod` are marked FAILED (and "lost": they do not count toward
/// the requested number of trials), so no trial stays RUNNING forever.
public final class Study: Sendable {
  public let name: String
  public let storage: any StudyStorage
  /// The first objective's direction (the only one's, in a study of one).
  public let direction: Direction
  /// One direction per objective. A study of several finds a Pareto front (``paretoFront()``)
  /// rather than one best trial.
  public let directions: [Direction]
  /// How many constraint values its objectives return after their results (feasible: all ≤ 0).
  public let constraintCount: Int
  public let sampler: any Sampler
  public let pruner: any Pruner
  /// Seconds between heartbeats of a running trial.
  public let heartbeatInterval: Double
  /// Seconds without a heartbeat after which another process marks a trial FAILED.
  public let gracePeriod: Double
  /// How many times a FAILED trial (an error, or lost with its process) is re-queued with the same
  /// parameters, as Optuna's `RetryFailedTrialCallback(max_retry)`.
  public let retryFailed: Int
  /// Whether a trial the pruner or the timeout stops is PAUSED at a checkpoint kept in the store
  /// instead of PRUNED (by objectives that keep one, as
  /// ``Trial/crossValidate(_:epochs:batchSize:monitor:augmentation:stopBefore:objectives:makeTrainer:)`` does), and
  /// promoted later: before starting a new trial, a worker continues a PAUSED one from its
  /// checkpoint when the pruner, asked again with the study's trials as they are then, lets it go
  /// on (the highest step first, then the best value). With ``SuccessiveHalvingPruner`` this is
  /// ASHA's promotion, and a promoted trial's result equals an uninterrupted run's bit for bit.
  public let pausing: Bool
  /// With ``pausing``: at most this many PAUSED trials keep their checkpoints — after a trial
  /// pauses, the others are pruned, those furthest from a promotion first
  /// (``prunePaused(keeping:)``), which bounds the store's size; nil keeps every one.
  public let pausedLimit: Int?
  let id: Int64
  let registered = RegisteredDomains()

  /// Opens study `name` in `storage`, creating it if new; with a `space`, checks every parameter
  /// against the domains the study already holds. `retryFailed` re-queues each failed trial up to
  /// that many times; `pausing` pauses stopped trials to promote them later (``pausing``), keeping
  /// the checkpoints of at most `pausedLimit` of them (``pausedLimit``).
  /// - Throws: ``TuningError/incompatible(study:parameter:stored:given:)`` naming the parameter or
  ///   the direction that differs; storage errors.
  public convenience init(
    name: String = "default", storage: any StudyStorage, direction: Direction, sampler: any Sampler = TPESampler(),
    pruner: any Pruner = NoPruner(), space: SearchSpace? = nil, heartbeatInterval: Double = 5,
    gracePeriod: Double = 60, retryFailed: Int = 0, pausing: Bool = false, pausedLimit: Int? = nil
  ) throws {
    try self.init(
      name: name, storage: storage, directions: [direction], sampler: sampler, pruner: pruner, space: space,
      heartbeatInterval: heartbeatInterval, gracePeriod: gracePeriod, retryFailed: retryFailed, pausing: pausing,
      pausedLimit: pausedLimit)
  }

  /// A study of one objective per entry of `directions`, whose objectives return that many
  /// results and then `constraints` constraint values (feasible when all are ≤ 0), for a sampler
  /// that handles several (``NSGAIISampler``, ``TPESampler``, ``RandomSampler``, ``GridSampler``); a
  /// pruner must judge several (``ParetoPruner``) or be ``NoPruner``, and trials do not pause. Otherwise
  /// as the initializer of one `direction`.
  /// - Throws: ``ConfigurationError`` naming the sampler or pruner that cannot, storage errors.
  public init(
    name: String = "default", storage: any StudyStorage, directions: [Direction], constraints: Int = 0,
    sampler: any Sampler, pruner: any Pruner = NoPruner(), space: SearchSpace? = nil, heartbeatInterval: Double = 5,
    gracePeriod: Double = 60, retryFailed: Int = 0, pausing: Bool = false, pausedLimit: Int? = nil
  ) throws {
    try ConfigurationError.require(heartbeatInterval > 0, "heartbeatInterval", heartbeatInterval, "> 0")
    try ConfigurationError.require(retryFailed >= 0, "retryFailed", retryFailed, ">= 0")
    try ConfigurationError.require(!directions.isEmpty, "directions", "[]", "one per objective")
    try ConfigurationError.require(constraints >= 0, "constraints", constraints, ">= 0")
    if directions.count > 1 || constraints > 0 {
      try ConfigurationError.require(
        sampler.handlesSeveralObjectives, "sampler", "\(type(of: sampler))",
        "NSGAIISampler, TPESampler, RandomSampler or GridSampler for several objectives or constraints")
    }
    if directions.count > 1 {
      try ConfigurationError.require(
        (pruner is NoPruner || pruner.handlesSeveralObjectives) && !pausing, "pruner", "\(type(of: pruner))",
        "NoPruner or ParetoPruner with several objectives")
    }
    try ConfigurationError.require((pausedLimit ?? 0) >= 0, "pausedLimit", pausedLimit ?? 0, ">= 0")
    (self.retryFailed, self.pausing, self.constraintCount) = (retryFailed, pausing, constraints)
    self.pausedLimit = pausedLimit
    try ConfigurationError.require(gracePeriod > heartbeatInterval, "gracePeriod", gracePeriod, "> heartbeatInterval")
    (self.name, self.storage, self.directions, self.sampler, self.pruner) = (name, storage, directions, sampler, pruner)
    direction = directions[0]
    (self.heartbeatInterval, self.gracePeriod) = (heartbeatInterval, gracePeriod)
    id = try storage.openStudy(name, directions: directions)
    for parameter in space?.parameters ?? [] where registered.insert(parameter) {
      try storage.register(parameter.name, parameter.domain, study: id)
    }
    // What trials of other processes suggested: a joint sampler's space from the first trial on.
    for (name, domain) in try storage.domains(study: id) where !registered.contains(name) {
      _ = registered.insert(Hyperparameter(name, domain))
    }
    try failLostTrials()
  }

  /// Every trial, by number.
  public func trials() throws -> [TrialRecord] { try storage.trials(study: id) }

  /// Free-form settings stored with the study (`descent tune` keeps its options there for the
  /// workers that join), or nil.
  public func settings() throws -> String? { try storage.settings(study: id) }
  public func storeSettings(_ settings: String) throws { try storage.storeSettings(settings, study: id) }
  /// What trial `number` kept under `name` (``Trial/keep(_:as:)``), or nil.
  public func artifact(_ name: String, trial number: Int) throws -> [UInt8]? {
    try storage.artifact(name: name, study: id, number: number)
  }

  /// Queues a trial that suggests `parameters` (Optuna's `enqueue_trial`): known good settings to
  /// start a search from. It is claimed before any new trial and counts toward the study's number
  /// of trials; parameters it does not hold, or whose value is outside the domain a trial asks
  /// with, are sampled as usual.
  public func enqueue(_ parameters: [String: ParameterValue]) throws {
    try storage.enqueueTrial(study: id, parameters: parameters)
  }

  /// The COMPLETE trial with the best value that keeps the constraints (the lowest number among
  /// ties), if any; nil in a study of several objectives (see ``paretoFront()``).
  public func bestTrial() throws -> TrialRecord? { Self.best(try trials(), direction) }

  /// The COMPLETE trials no other dominates (as good in every objective and better in one;
  /// with constraints, feasible ones first: ``Pareto/dominates(_:_:)``), by number. In a study of
  /// one objective, the best trials.
  public func paretoFront() throws -> [TrialRecord] { Pareto.front(try trials(), directions: directions) }

  static func best(_ trials: [TrialRecord], _ direction: Direction) -> TrialRecord? {
    trials.filter { $0.state == .complete && ($0.value?.isFinite ?? false) && $0.isFeasible }
      .min { direction.isBetter($0.value!, than: $1.value!) || ($0.value == $1.value && $0.number < $1.number) }
  }

  /// Marks RUNNING trials whose process is gone as FAILED — or, with ``pausing``, PAUSED again at
  /// the checkpoint a promoted one continued from — and returns their numbers.
  @discardableResult
  public func failLostTrials() throws -> [Int] {
    let me = TrialOwner.current, now = Date()
    var lost: [Int] = []
    for trial in try storage.runningTrials(study: id) where !ActiveTrials.contains(storage.location, trial.id) {
      let gone: String?
      // A trial with this process's pid that this process does not run belongs to an earlier
      // process with the same pid (containers reuse them): only its heartbeat can tell.
      if trial.owner != me, trial.owner.host == me.host, kill(trial.owner.pid, 0) != 0, errno == ESRCH {
        gone = "its process \(trial.owner.pid) on \(trial.owner.host) is gone"
      } else if now.timeIntervalSince(trial.heartbeat) > gracePeriod {
        gone =
          "no heartbeat from process \(trial.owner.pid) on \(trial.owner.host) for "
          + "\(Int(now.timeIntervalSince(trial.heartbeat))) s"
      } else {
        gone = nil
      }
      guard let gone else { continue }
      // A promoted trial lost mid-run goes back to the checkpoint it was promoted from.
      if pausing, let kept = try storage.artifact(name: Trial.pausedStepName, study: id, number: trial.number),
        let step = Int(String(decoding: kept, as: UTF8.self))
      {
        if try storage.pauseLostTrial(trial: trial.id, step: step, error: "lost: \(gone); paused again at step \(step)")
        {
          lost.append(trial.number)
        }
        continue
      }
      if try storage.finish(
        trial: trial.id, state: .failed, value: nil, values: [], constraints: [], foldValues: [],
        error: "lost: \(gone)", lost: true, retryLimit: retryFailed)
      {
        lost.append(trial.number)
      }
    }
    return lost
  }

  /// Runs trials until the study holds `trials` of them (lost ones not counted, so a study
  /// reopened after a crash continues to the same total) and, with ``pausing``, no PAUSED trial
  /// is promoted any more (a worker with nothing to run waits while other trials run, for what
  /// they may make promotable), the grid is exhausted, or `timeout`
  /// seconds have passed: no trial starts after that, and a running trial stops at its next
  /// ``Trial/shouldPrune`` check (stored PRUNED at its last step, its error saying why) — or,
  /// given `runningUntil`, at its first check from then on, so running trials may use the time
  /// between (objectives that know how long an epoch takes stop before it, as `crossValidate`'s
  /// `stopBefore` does), and, with ``pausing``, a worker whose trial ended meanwhile promotes a
  /// PAUSED trial the pruner lets go on — or, when it lets none go on, the paused trial with the
  /// most steps — rather than stand idle (`descent automl`'s last minutes continue its most
  /// advanced paused trials). `devices` has one entry per worker thread: worker `i` runs its trials with
  /// `objective(&trial, i)` and stores `devices[i]` as their device.
  ///
  /// A trial whose objective returns a finite value is COMPLETE; one that throws ``TrialPruned``
  /// is PRUNED, one that throws ``TrialPaused`` PAUSED; any other error or a NaN result makes it
  /// FAILED with the message, and the study goes on. `onTrialFinished` is called (from the
  /// worker's thread) after each trial with it and the best trial so far.
  /// - Throws: storage errors, which stop every worker.
  public func optimize(
    trials target: Int, timeout: Double? = nil, runningUntil: Date? = nil, devices: [String] = ["cpu"],
    onTrialFinished: (@Sendable (TrialRecord, TrialRecord?) -> Void)? = nil,
    objective: @escaping @Sendable (inout Trial, Int) throws -> Double
  ) throws {
    try optimize(
      trials: target, timeout: timeout, runningUntil: runningUntil, devices: devices, onTrialFinished: onTrialFinished,
      objectives: { trial, worker in [try objective(&trial, worker)] })
  }

  /// As ``optimize(trials:timeout:runningUntil:devices:onTrialFinished:objective:)`` for a study
  /// of several objectives or with constraints: `objectives` returns one result per direction and
  /// then ``constraintCount`` constraint values. A trial returning another count, or NaN in any, is
  /// FAILED with the message.
  public func optimize(
    trials target: Int, timeout: Double? = nil, runningUntil: Date? = nil, devices: [String] = ["cpu"],
    onTrialFinished: (@Sendable (TrialRecord, TrialRecord?) -> Void)? = nil,
    objectives objective: @escaping @Sendable (inout Trial, Int) throws -> [Double]
  ) throws {
    try ConfigurationError.require(target >= 0, "trials", target, ">= 0")
    try ConfigurationError.require(!devices.isEmpty, "workers", 0, ">= 1")
    let deadline = timeout.map { Date().addingTimeInterval($0) }
    let failure = FirstError()
    let heartbeat = Heartbeat(storage: storage, interval: heartbeatInterval)
    let stalled = Stalled()
    let group = DispatchGroup()
    for (worker, device) in devices.enumerated() {
      group.enter()
      let thread = Thread { [self] in
        defer { group.leave() }
        do {
          while failure.error == nil, (runningUntil ?? deadline).map({ Date() < $0 }) ?? true {
            switch try runTrial(
              target: target, deadline: deadline, runningUntil: runningUntil ?? deadline, device: device,
              worker: worker, heartbeat: heartbeat, stalled: stalled, objective: objective)
            {
            case let .ran(record, trials):
              if record.state == .paused, let pausedLimit {
                _ = try prunePaused(keeping: pausedLimit, history: trials)
              }
              onTrialFinished?(record, Self.best(trials, direction))
            case .waiting: Thread.sleep(forTimeInterval: 0.2)  // a few store reads a second per idle worker
            case .done: return
            }
          }
        } catch {
          failure.set(error)
        }
      }
      thread.name = "descent-study-worker-\(worker)"
      thread.stackSize = 8 << 20
      thread.start()
    }
    group.wait()
    heartbeat.stop()
    if let error = failure.error { throw error }
  }

  /// What one turn of a worker did.
  private enum Turn {
    /// Ran this trial; the study's trials as they were then.
    case ran(TrialRecord, [TrialRecord])
    /// Found nothing to run now, but PAUSED trials may be promoted once running ones report.
    case waiting
    /// The study needs no more trials.
    case done
  }

  /// Starts, runs and finishes one trial, or says why it ran none.
  private func runTrial(
    target: Int, deadline: Date?, runningUntil: Date?, device: String, worker: Int, heartbeat: Heartbeat,
    stalled: Stalled, objective: @Sendable (inout Trial, Int) throws -> [Double]
  ) throws -> Turn {
    try failLostTrials()
    let history = try trials()
    var (claimed, resumed) = (StartedTrial?.none, TrialRecord?.none)
    let starting = deadline.map { Date() < $0 } ?? true  // past the timeout, only promotions
    // Past the timeout and before `runningUntil`, a worker the pruner gives nothing to continues
    // the most advanced paused trial rather than stand idle: that time is paid for, and a trial
    // trained further is a stronger ensemble member (its next rung judges it again).
    let candidates = promotable(history, deadline: runningUntil ?? deadline, anyPaused: !starting)
    for candidate in candidates where !stalled.contains(candidate.number) {
      claimed = try storage.resumeTrial(study: id, number: candidate.number, device: device, owner: .current)
      if claimed != nil {
        resumed = candidate
        break
      }
    }
    guard
      let started = try claimed
        ?? (starting
          ? storage.startTrial(study: id, target: target, gridSize: sampler.gridSize, device: device, owner: .current)
          : nil)
    else {
      let waiting = pausing && history.contains { $0.state == .paused } && history.contains { $0.state == .running }
      return waiting ? .waiting : .done
    }
    ActiveTrials.insert(storage.location, started.id)
    heartbeat.add(started.id)
    defer {
      heartbeat.remove(started.id)
      ActiveTrials.remove(storage.location, started.id)
    }
    // A promoted trial holds all its parameters; a new one asks a joint sampler first.
    let relative =
      resumed != nil
      ? [:]
      : try sampler.sampleRelative(
        registered.all,
        SamplingContext(
          trial: started.number, gridIndex: started.gridIndex, history: history, direction: direction,
          directions: directions))
    let session = TrialSession(
      storage: storage, study: id, started: started, sampler: sampler, pruner: pruner,
      directions: directions, deadline: runningUntil, history: history, registered: registered, pausing: pausing,
      relative: relative)
    var trial = Trial(
      number: started.number, device: device, worker: worker, session: session, resumed: resumed?.intermediate ?? [:])
    var (state, value, message) = (TrialState.complete, Double?.none, String?.none)
    var (values, constraints) = ([Double](), [Double]())
    do {
      let results = try objective(&trial, worker)
      let expected = directions.count + constraintCount
      if results.count != expected {
        (state, message) = (
          .failed,
          "the objective returned \(results.count) values, not \(expected) (\(directions.count) objective"
            + "\(directions.count == 1 ? "" : "s") and \(constraintCount) constraint\(constraintCount == 1 ? "" : "s"))"
        )
      } else if results.contains(where: \.isNaN) {
        (state, message) = (.failed, "the objective returned NaN")
      } else if directions.count == 1 {
        (value, constraints) = (results[0], Array(results.dropFirst()))
      } else {
        (values, constraints) = (Array(results.prefix(directions.count)), Array(results.dropFirst(directions.count)))
      }
    } catch let pruned as TrialPruned {
      state = .pruned
      if trial.isPastDeadline { message = "stopped at the study's timeout after step \(pruned.step)" }
    } catch let paused as TrialPaused {
      // Promoted and paused again where it was (no time left for an epoch): not promoted again by
      // this call, or workers would resume and re-pause it until the end.
      if let resumed, paused.step <= resumed.lastStep ?? 0 { stalled.insert(trial.number) }
      state = .paused
      message =
        trial.isPastDeadline ? "paused at the study's timeout after step \(paused.step)" : "\(paused)"
    } catch let error as TuningError where error == .lost(trial: trial.number) {
      throw error
    } catch {
      (state, message) = (.failed, "\(error)")
    }
    let finished = try storage.finish(
      trial: started.id, state: state, value: value, values: values, constraints: constraints,
      foldValues: trial.foldValues, error: message, lost: false, retryLimit: retryFailed)
    guard finished else { throw TuningError.lost(trial: trial.number) }
    let all = try trials()
    return all.first { $0.number == started.number }.map { .ran($0, all) } ?? .done
  }
}

/// Trials one ``Study/optimize(trials:timeout:runningUntil:devices:onTrialFinished:objectives:)``
/// call promoted that paused again without a new step.
final class Stalled: Sendable {
  private let numbers = Mutex<Set<Int>>([])
  func insert(_ number: Int) { numbers.withLock { _ = $0.insert(number) } }
  func contains(_ number: Int) -> Bool { numbers.withLock { $0.contains(number) } }
}

extension Study {
  /// The PAUSED trials the pruner would let go on now — or, with `anyPaused` and none of those,
  /// every PAUSED trial — the highest step first, then the best value (ties by number); none
  /// without ``pausing`` or once `deadline` has passed.
  func promotable(_ history: [TrialRecord], deadline: Date?, anyPaused: Bool = false) -> [TrialRecord] {
    guard pausing, deadline.map({ Date() < $0 }) ?? true else { return [] }
    let paused = history.filter { $0.state == .paused && $0.lastStep != nil }
    var chosen = paused.filter { trial in
      var running = trial
      running.state = .running
      return !pruner.shouldPrune(running, history: history.filter { $0.number != trial.number }, direction: direction)
    }
    if chosen.isEmpty && anyPaused { chosen = paused }
    return chosen.sorted { a, b in
      let (stepA, stepB) = (a.lastStep!, b.lastStep!)
      if stepA != stepB { return stepA > stepB }
      let (valueA, valueB) = (a.lastValue ?? .nan, b.lastValue ?? .nan)
      if valueA != valueB { return direction.isBetter(valueA, than: valueB) || valueB.isNaN }
      return a.number < b.number
    }
  }
}

/// Trial ids this process runs, so it never marks its own live trials as lost.
enum ActiveTrials {
  // Guarded by `lock`, an NSLock (a pthread mutex) rather than a Mutex: every worker thread
  // touches the set, and ThreadSanitizer sees a pthread mutex but not a Mutex's futex.
  private static let lock = NSLock()
  nonisolated(unsafe) private static var ids: Set<String> = []

  static func insert(_ location: String, _ id: Int64) { lock.withLock { _ = ids.insert("\(id)@\(location)") } }
  static func remove(_ location: String, _ id: Int64) { lock.withLock { _ = ids.remove("\(id)@\(location)") } }
  static func contains(_ location: String, _ id: Int64) -> Bool { lock.withLock { ids.contains("\(id)@\(location)") } }
}

/// A thread that refreshes the heartbeat of this process's running trials every `interval` seconds.
final class Heartbeat: Sendable {
  private let running = Mutex<Set<Int64>>([])
  private let stopped = Atomic<Bool>(false)
  private let wake = DispatchSemaphore(value: 0)
  private let finished = DispatchSemaphore(value: 0)

  init(storage: any StudyStorage, interval: Double) {
    let thread = Thread { [self] in
      while !stopped.load(ordering: .acquiring) {
        _ = wake.wait(timeout: .now() + interval)
        for id in running.withLock({ $0 }) { try? storage.heartbeat(trial: id) }
      }
      finished.signal()
    }
    thread.name = "descent-study-heartbeat"
    thread.start()
  }

  func add(_ id: Int64) { running.withLock { _ = $0.insert(id) } }
  func remove(_ id: Int64) { running.withLock { _ = $0.remove(id) } }
  /// Ends the thread and waits for it, so nothing of the study runs (or holds its store open)
  /// after `optimize` returns.
  func stop() {
    stopped.store(true, ordering: .releasing)
    wake.signal()
    finished.wait()
  }
}

/// The first error any worker hit.
final class FirstError: Sendable {
  private let stored = Mutex<(any Error)?>(nil)
  var error: (any Error)? { stored.withLock { $0 } }
  func set(_ error: any Error) { stored.withLock { if $0 == nil { $0 = error } } }
}
