import Descent
@testable import DescentTuning
import Foundation
import Synchronization
import Testing

/// Population-based training on a study: members copy and explore at exact checkpoints, and a
/// member's lineage replays to its weights bit for bit.
struct PopulationBasedTrainingTests {
  static let (epochs, interval, population) = (6, 2, 4)
  static let domains: [String: Domain] = [
    "rate": .float(low: 1e-3, high: 0.3, log: true), "dropout": .float(low: 0, high: 0.4),
  ]

  /// A small classifier with dropout (so the copied random streams must continue exactly); every
  /// member shares the seed, as the random streams a member copies are the donor's.
  static func makeTrainer(_ parameters: [String: ParameterValue]) throws -> Trainer {
    let model = try Sequential(
      [
        try Dense(8, activation: .tanh), try Dropout(Float(parameters["dropout"]!.number!)), try Dense(3),
      ], inputFeatures: 4, backend: CPUBackend(threads: 1), seed: 7)
    return try Trainer(
      model: model, loss: .softmaxCrossEntropy, optimizer: Adam(learningRate: Float(parameters["rate"]!.number!)),
      metrics: [.accuracy])
  }

  /// A member's objective: suggests its rate and dropout and trains it with `pbt` on `fold`;
  /// `trained` receives its final trainer.
  static func trainMember(
    _ trial: inout Trial, _ pbt: PopulationBasedTraining, _ fold: Fold, trained: (Trainer) throws -> Void
  ) throws -> Double {
    _ = try trial.suggestFloat("rate", 1e-3, 0.3, log: true)
    _ = try trial.suggestFloat("dropout", 0, 0.4)
    return try trial.trainMember(
      pbt, train: fold.train, validation: fold.validation, epochs: epochs, batchSize: 16, domains: domains,
      makeTrainer: makeTrainer, trained: trained)
  }

  /// Four members on two workers (SQLite, and PostgreSQL when the suite's server runs): every
  /// member completes; at steps 2 and 4 the bottom member copied a top one and explored (rate and
  /// dropout ×0.8 or ×1.2, or redrawn); each member keeps at most its last exploit step's
  /// checkpoint; and replaying any member's lineage from scratch gives its final weights bit for bit.
  @Test(arguments: TestStudies.storages.map(\.name))
  func membersCopyExploreAndReplayBitForBit(_ kind: String) throws {
    let storage = try TestStudies.storages.first { $0.name == kind }!.make()
    let fold = try PromotionTests.folds()[0]
    let pbt = try PopulationBasedTraining(
      population: Self.population, interval: Self.interval, perturbed: ["rate", "dropout"], seed: 3)
    let study = try Study(
      storage: storage, direction: .maximize, sampler: RandomSampler(seed: 5), pruner: pbt.barrier, pausing: true)
    let finals = Mutex<[Int: [[Float]]]>([:])
    try study.optimize(trials: Self.population, devices: ["a", "b"]) { trial, _ in
      let number = trial.number
      return try Self.trainMember(&trial, pbt, fold) { trainer in
        let weights = try trainer.model.weights()
        finals.withLock { $0[number] = weights }
      }
    }
    let trials = try study.trials()
    #expect(trials.count == Self.population && trials.allSatisfy { $0.state == .complete })
    #expect(trials.allSatisfy { $0.intermediate.keys.sorted() == [2, 4, 6] })
    var copies = 0
    for trial in trials {
      let lineage = try #require(try PopulationBasedTraining.lineage(of: trial.number, in: study))
      #expect(lineage.events.first?.parameters == trial.parameters)
      for event in lineage.events.dropFirst() {
        copies += 1
        let donor = try #require(event.donor)
        let source = try #require(try PopulationBasedTraining.lineage(of: donor, in: study))
        let before = source.parameters(after: event.step)
        for name in ["rate", "dropout"] {
          let (old, new) = (before[name]!.number!, event.parameters[name]!.number!)
          let moved = [0.8, 1.2].contains { abs(old * $0 - new) <= 1e-12 * abs(new) }
          #expect(moved || Self.domains[name]!.contains(event.parameters[name]!), "\(name): \(old) → \(new)")
        }
        // The donor ranked in the top quarter at that step, this member in the bottom quarter.
        let ranked = trials.sorted { $0.intermediate[event.step]! > $1.intermediate[event.step]! }
        #expect(ranked.first!.intermediate[event.step] == trials[donor].intermediate[event.step])
        #expect(ranked.last!.intermediate[event.step] == trial.intermediate[event.step])
      }
      for step in [2, 6] {
        #expect(try study.artifact(PopulationBasedTraining.checkpointName(step: step), trial: trial.number) == nil)
      }
      let replayed = try pbt.replay(study, member: trial.number, upTo: Self.epochs, makeTrainer: Self.makeTrainer) {
        trainer, epoch in
        _ = try trainer.fit(
          fold.train, validation: fold.validation, epochs: epoch, batchSize: 16, progress: .silent)
      }
      #expect(try replayed.model.weights() == finals.withLock { $0[trial.number] }, "member \(trial.number)")
    }
    #expect(copies == 2, "one bottom member of four copies at each of steps 2 and 4")
  }

  /// A member whose process dies after it reported its last epoch, before it is stored COMPLETE,
  /// is paused again at its last exploit step when the study is reopened: it redoes the last
  /// interval (the same copy, the same bits) and completes with the same value. Lost instead, it
  /// was replaced by a member starting from scratch, whose first copy wanted checkpoints every
  /// other member had dropped (found by the kill test of `descent tune --pbt`, 2 runs in 40).
  @Test func aMemberLostAfterItsLastReportFinishesFromItsLastExploitStep() throws {
    let storage = try TestStudies.storages[0].make()
    let fold = try PromotionTests.folds()[0]
    let pbt = try PopulationBasedTraining(
      population: Self.population, interval: Self.interval, perturbed: ["rate", "dropout"], seed: 3)
    let dies = Mutex(true)
    let finals = Mutex<[Int: [[Float]]]>([:])
    func run(_ study: Study) throws {
      try study.optimize(trials: Self.population, devices: ["a", "b"]) { trial, _ in
        let number = trial.number
        return try Self.trainMember(&trial, pbt, fold) { trainer in
          // Member 1's first run ends as a killed process would: reported, never finished.
          if number == 1,
            dies.withLock({ dying in
              defer { dying = false }; return dying
            })
          {
            throw TuningError.lost(trial: number)
          }
          let weights = try trainer.model.weights()
          finals.withLock { $0[number] = weights }
        }
      }
    }
    let first = try Study(
      storage: storage, direction: .maximize, sampler: RandomSampler(seed: 5), pruner: pbt.barrier, pausing: true)
    #expect(throws: TuningError.lost(trial: 1)) { try run(first) }
    let reported = try #require(try first.trials().first { $0.number == 1 })
    #expect(reported.state == .running && reported.intermediate.keys.sorted() == [2, 4, 6])
    Thread.sleep(forTimeInterval: 0.3)  // past the reopened study's grace period: member 1 is lost
    let reopened = try Study(
      storage: storage, direction: .maximize, sampler: RandomSampler(seed: 5), pruner: pbt.barrier,
      heartbeatInterval: 0.05, gracePeriod: 0.2, pausing: true)
    try run(reopened)
    let trials = try reopened.trials()
    #expect(
      trials.count == Self.population && trials.allSatisfy { $0.state == .complete },
      "\(trials.map { "\($0.number) \($0.state) \($0.error ?? "")" })")
    #expect(trials.first { $0.number == 1 }?.value == reported.intermediate[Self.epochs])
    let replayed = try pbt.replay(reopened, member: 1, upTo: Self.epochs, makeTrainer: Self.makeTrainer) {
      trainer, epoch in
      _ = try trainer.fit(fold.train, validation: fold.validation, epochs: epoch, batchSize: 16, progress: .silent)
    }
    #expect(try replayed.model.weights() == finals.withLock { $0[1] })
  }

  /// Exploit at step 2 with values 0.9, 0.5, 0.7, 0.3: the last (member 3) copies the first; the
  /// others keep their own state.
  @Test func theBottomQuarterCopiesTheTopQuarter() throws {
    let pbt = try PopulationBasedTraining(population: 4, interval: 2, perturbed: ["rate"], seed: 1)
    let trials = [0.9, 0.5, 0.7, 0.3].enumerated().map { number, value in
      TrialRecord(
        number: number, state: .paused, parameters: [:], value: nil, foldValues: [], intermediate: [2: value],
        device: "cpu", started: Date(), finished: nil, error: nil, gridIndex: nil, lost: false)
    }
    #expect((0..<4).map { pbt.donor(for: $0, at: 2, among: trials, direction: .maximize) } == [nil, nil, nil, 0])
    #expect((0..<4).map { pbt.donor(for: $0, at: 2, among: trials, direction: .minimize) } == [3, nil, nil, nil])
    // The barrier holds a member until the other three have reported the step.
    let waiting = trials[3]
    #expect(pbt.barrier.shouldPrune(waiting, history: Array(trials.prefix(2)), direction: .maximize))
    #expect(!pbt.barrier.shouldPrune(waiting, history: Array(trials.prefix(3)), direction: .maximize))
  }
}
