import Descent
import Foundation

/// Population-based training (Jaderberg et al., "Population Based Training of Neural Networks",
/// 2017) on a study's exact checkpoints: the study's first `population` trials are the members;
/// every `interval` epochs (counted in epochs, not seconds, so a run repeats) each member keeps
/// its checkpoint and waits until every member has got there (a PAUSED trial, so a few workers
/// serve a larger population, on any machine). Then the members ranked in the bottom `quantile`
/// by the monitored value copy a member of the top `quantile` — its weights, optimizer state,
/// step and epoch counters (so its data order and dropout masks continue) and history, from the
/// checkpoint it kept there — and explore: each of `perturbed`'s numeric parameters of the donor
/// is multiplied by 0.8 or 1.2 (kept in its domain), or with probability `resampleProbability`
/// drawn afresh from its domain. The new values reach the optimizer: the member's trainer is
/// built with them and only the donor's state is loaded (``Trainer/adoptState(fromCheckpoint:name:)``).
///
/// Each member's lineage — its parameters from step 0 and every copy (step, donor, new
/// parameters) — is kept with its trial (``lineageName``), and ``replay(_:member:upTo:makeTrainer:train:)``
/// retrains a member from scratch along it, bit for bit. A member deletes its checkpoint of a
/// step once every member has passed the next one (no one can copy it any more): at most two per
/// member are stored at a time, and the last exploit step's stays with the finished member.
public struct PopulationBasedTraining: Sendable {
  public var population: Int
  /// Epochs between exploit-and-explore steps.
  public var interval: Int
  /// The fraction of members at each end of the ranking (rounded up; at least one).
  public var quantile: Double
  public var resampleProbability: Double
  /// The parameters explore changes (numeric ones; others keep the donor's value).
  public var perturbed: Set<String>
  public var seed: UInt64

  /// - Throws: ``ConfigurationError`` for a population below 2, an interval below 1, a quantile
  ///   outside (0, 0.5] or a probability outside [0, 1].
  public init(
    population: Int = 8, interval: Int, quantile: Double = 0.25, resampleProbability: Double = 0.25,
    perturbed: Set<String>, seed: UInt64 = 0
  ) throws {
    try ConfigurationError.require(population >= 2, "population", population, ">= 2")
    try ConfigurationError.require(interval >= 1, "interval", interval, ">= 1")
    try ConfigurationError.require(quantile > 0 && quantile <= 0.5, "quantile", quantile, "in (0, 0.5]")
    try ConfigurationError.require(
      (0...1).contains(resampleProbability), "resampleProbability", resampleProbability, "in [0, 1]")
    (self.population, self.interval, self.quantile, self.resampleProbability) = (
      population, interval, quantile, resampleProbability
    )
    (self.perturbed, self.seed) = (perturbed, seed)
  }

  /// The pruner a PBT study runs with (a ``Study`` with `pausing: true`, optimized for
  /// `population` trials): a member waits at a step until every member has reported it.
  public var barrier: Barrier { Barrier(population: population) }

  /// Holds a member at a step until every other member has reported it. The members are the
  /// trials the study counts (a lost one's replacement, a retried one's copy, in their place), so
  /// a member that starts late is waited for; one that failed for good is not.
  public struct Barrier: Pruner {
    public let population: Int

    public func shouldPrune(_ trial: TrialRecord, history: [TrialRecord], direction: Direction) -> Bool {
      guard let step = trial.lastStep else { return false }
      let members = history.filter { !$0.lost && !$0.replaced && $0.number != trial.number }
      guard members.count >= population - 1 else { return true }
      return members.contains { ![.failed, .complete].contains($0.state) && $0.intermediate[step] == nil }
    }
  }

  /// The artifact holding a member's lineage (JSON: ``Lineage``).
  public static let lineageName = "pbt.lineage"
  /// The artifact holding a member's checkpoint at `step`.
  public static func checkpointName(step: Int) -> String { "pbt.checkpoint.\(step)" }

  /// A member's history of hyperparameters: where it started and each copy.
  public struct Lineage: Codable, Sendable, Equatable {
    public struct Event: Codable, Sendable, Equatable {
      /// The step (epoch) it took effect after; 0 for the start.
      public var step: Int
      /// The member copied from, nil for the start.
      public var donor: Int?
      /// Every parameter from then on.
      public var parameters: [String: ParameterValue]
    }
    public var events: [Event]

    /// The parameters in force after `step`.
    public func parameters(after step: Int) -> [String: ParameterValue] {
      events.last { $0.step <= step }!.parameters
    }
  }

  /// The lineage member `number` kept in `study`, or nil.
  public static func lineage(of number: Int, in study: Study) throws -> Lineage? {
    try study.artifact(lineageName, trial: number).map { try JSONDecoder().decode(Lineage.self, from: Data($0)) }
  }

  /// The bottom members at a step copy these donors: members ranked by their value at `step`
  /// (best first, ties by number); nil for a member that is not in the bottom quantile.
  func donor(for member: Int, at step: Int, among trials: [TrialRecord], direction: Direction) -> Int? {
    // The members: the trials the study counts, failed ones aside.
    let ranked = trials.filter { !$0.lost && !$0.replaced && $0.state != .failed && $0.intermediate[step] != nil }
      .sorted { a, b in
        let (x, y) = (a.intermediate[step]!, b.intermediate[step]!)
        return x != y ? direction.isBetter(x, than: y) : a.number < b.number
      }
    let count = max(1, Int((quantile * Double(ranked.count)).rounded(.up)))
    guard ranked.count >= 2 * count, ranked.suffix(count).contains(where: { $0.number == member }) else { return nil }
    var generator = SeededGenerator(seed: seed, trial: member, parameter: "pbt.donor.\(step)")
    return ranked[Int(generator.next() % UInt64(count))].number
  }

  /// Explore: the donor's parameters with `perturbed`'s numeric ones moved ×0.8 or ×1.2 (into
  /// their domain), or redrawn with probability `resampleProbability`.
  func explore(
    _ parameters: [String: ParameterValue], domains: [String: Domain], member: Int, step: Int
  ) -> [String: ParameterValue] {
    var explored = parameters
    for name in perturbed.sorted() {
      guard let value = parameters[name]?.number, let domain = domains[name], let scale = NumericScale(domain)
      else { continue }
      var generator = SeededGenerator(seed: seed, trial: member, parameter: "pbt.explore.\(step).\(name)")
      if generator.unit() < resampleProbability {
        explored[name] = RandomSampler.draw(domain, &generator)
      } else {
        let moved = value * (generator.unit() < 0.5 ? 0.8 : 1.2)
        explored[name] = scale.value(min(max(scale.internalValue(.float(moved))!, scale.low), scale.high))
      }
    }
    return explored
  }
}

extension Trial {
  /// Trains this trial as a member of `pbt`'s population: `epochs` epochs of `train`, reporting
  /// `monitor` on `validation` after each, with exploit and explore every `pbt.interval` epochs
  /// (``PopulationBasedTraining``). `makeTrainer(parameters)` builds a trainer for the parameters
  /// in force (the trial's own suggested ones first; `domains` names the domains explore keeps
  /// perturbed values in); `augmentation` transforms training images as `fit` does. Returns the
  /// monitored value after the last epoch; `trained` receives the final trainer.
  public mutating func trainMember(
    _ pbt: PopulationBasedTraining, train: Dataset, validation: Dataset, epochs: Int, batchSize: Int,
    domains: [String: Domain], monitor: String = "validation accuracy", augmentation: ImageAugmentation? = nil,
    makeTrainer: ([String: ParameterValue]) throws -> Trainer, trained: (Trainer) throws -> Void = { _ in }
  ) throws -> Double {
    try ConfigurationError.require(epochs >= 1, "epochs", epochs, ">= 1")
    var lineage =
      try kept(PopulationBasedTraining.lineageName).map {
        try JSONDecoder().decode(PopulationBasedTraining.Lineage.self, from: Data($0))
      } ?? PopulationBasedTraining.Lineage(events: [.init(step: 0, donor: nil, parameters: parameters)])
    var step = resumedStep ?? 0
    // A member lost after copying at its step is paused again there: the copy is redone (the same
    // donor and values: both are seeded by member and step) from its own checkpoint.
    lineage.events.removeAll { $0.donor != nil && $0.step >= step && step > 0 }
    var trainer = try makeTrainer(lineage.parameters(after: step))
    if step > 0 {
      guard let bytes = try kept(PopulationBasedTraining.checkpointName(step: step)) else {
        throw DataError.inconsistent("member \(number) was paused after step \(step), but its checkpoint is gone")
      }
      try trainer.restoreCheckpoint(bytes: bytes, name: "member \(number)'s checkpoint at step \(step)")
      try exploit(pbt, at: step, lineage: &lineage, trainer: &trainer, domains: domains, makeTrainer: makeTrainer)
    } else {
      try keep(try JSONEncoder().encode(lineage).map { $0 }, as: PopulationBasedTraining.lineageName)
    }
    var value = Double.nan
    while step < epochs {
      step = min(epochs, step + pbt.interval)
      let history = try trainer.fit(
        train, validation: validation, epochs: step, batchSize: batchSize, augmentation: augmentation,
        progress: .silent)
      guard let reported = history.epochs.last?.value(named: monitor) else {
        throw ConfigurationError.outOfRange(
          parameter: "monitor", value: monitor, allowed: "a value each epoch reports, e.g. validation accuracy")
      }
      value = reported
      // The checkpoint is kept before the value is reported: once every member has reported a
      // step, every checkpoint of it a member may copy is there.
      if step < epochs {
        let name = PopulationBasedTraining.checkpointName(step: step)
        try keep(try trainer.checkpointBytes(name: "member \(number)'s checkpoint at step \(step)"), as: name)
        try keep(Array("\(step)".utf8), as: Self.pausedStepName)
      }
      try report(value, step: step)
      guard step < epochs else { break }
      if try shouldPrune { throw TrialPaused(step: step) }
      try exploit(pbt, at: step, lineage: &lineage, trainer: &trainer, domains: domains, makeTrainer: makeTrainer)
    }
    // The checkpoint of the last exploit step stays: a member may still have to copy it. So does
    // the step it was kept at: a member killed after reporting its last epoch but before it is
    // stored COMPLETE is paused again there and redoes its last interval (the same copy, the same
    // bits) — lost instead, it was replaced by a member starting from scratch, whose first copy
    // wanted checkpoints the others had long dropped.
    try trained(trainer)
    return value
  }

  /// At `step`, with every member there: a bottom member takes a top member's state and explores
  /// from its parameters; every member drops its checkpoint of the step before (all have passed it).
  private mutating func exploit(
    _ pbt: PopulationBasedTraining, at step: Int, lineage: inout PopulationBasedTraining.Lineage,
    trainer: inout Trainer, domains: [String: Domain], makeTrainer: ([String: ParameterValue]) throws -> Trainer
  ) throws {
    if step > pbt.interval { try discard(PopulationBasedTraining.checkpointName(step: step - pbt.interval)) }
    let trials = try session.storage.trials(study: session.study)
    guard let donor = pbt.donor(for: number, at: step, among: trials, direction: session.directions[0]) else { return }
    let source = try session.storage.artifact(
      name: PopulationBasedTraining.lineageName, study: session.study, number: donor)
    guard let source,
      let bytes = try session.storage.artifact(
        name: PopulationBasedTraining.checkpointName(step: step), study: session.study, number: donor)
    else {
      throw DataError.inconsistent("member \(number) copies member \(donor) at step \(step), whose checkpoint is gone")
    }
    let donorLineage = try JSONDecoder().decode(PopulationBasedTraining.Lineage.self, from: Data(source))
    let parameters = pbt.explore(donorLineage.parameters(after: step), domains: domains, member: number, step: step)
    trainer = try makeTrainer(parameters)
    try trainer.adoptState(fromCheckpoint: bytes, name: "member \(donor)'s checkpoint at step \(step)")
    lineage.events.append(.init(step: step, donor: donor, parameters: parameters))
    try keep(try JSONEncoder().encode(lineage).map { $0 }, as: PopulationBasedTraining.lineageName)
  }
}

extension PopulationBasedTraining {
  /// Retrains member `member` of `study` from scratch along its lineage to `step` (its last epoch
  /// by default), the members it copied from first, each segment with the parameters then in
  /// force: the result equals the member's own run bit for bit. `train(trainer, epoch)` runs the
  /// trainer to `epoch` as the members did.
  public func replay(
    _ study: Study, member: Int, upTo step: Int, makeTrainer: ([String: ParameterValue]) throws -> Trainer,
    train: (Trainer, Int) throws -> Void
  ) throws -> Trainer {
    guard let lineage = try Self.lineage(of: member, in: study) else {
      throw DataError.inconsistent("member \(member) keeps no lineage")
    }
    let copy = lineage.events.last { $0.donor != nil && $0.step <= step }
    let trainer = try makeTrainer(lineage.parameters(after: copy?.step ?? 0))
    if let copy, let donor = copy.donor {
      let source = try replay(study, member: donor, upTo: copy.step, makeTrainer: makeTrainer, train: train)
      try trainer.adoptState(
        fromCheckpoint: try source.checkpointBytes(name: "member \(donor) replayed"), name: "member \(donor) replayed")
    }
    try train(trainer, step)
    return trainer
  }
}
