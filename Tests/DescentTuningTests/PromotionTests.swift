import Descent
@testable import DescentTuning
import Foundation
import Synchronization
import Testing

/// Studies with ``Study/pausing``: stopped trials pause at a checkpoint kept in the store, and a
/// promoted trial continues from it to exactly the result of a run that never stopped.
struct PromotionTests {
  static let epochs = 4

  /// Runs a cross-validated study whose trials train small classifiers with dropout (so the
  /// random streams must resume exactly too) and keep their models; returns how many times the
  /// objective ran for each trial number.
  static func run(
    _ study: Study, folds: [Fold], trials: Int, stopBefore: Date? = nil
  ) throws -> [Int: Int] {
    let calls = Mutex<[Int: Int]>([:])
    try study.optimize(trials: trials) { trial, _ in
      calls.withLock { $0[trial.number, default: 0] += 1 }
      let (hidden, rate, drop) = try parameters(&trial)
      var models: [Sequential] = []
      let seed = UInt64(trial.number)
      let value = try trial.crossValidate(folds, epochs: epochs, batchSize: 16, stopBefore: stopBefore) { _ in
        let (model, trainer) = try makeTrainer(hidden: hidden, rate: rate, dropout: drop, seed: seed)
        models.append(model)
        return trainer
      }
      try trial.keepForEnsembles(models, folds: folds)
      return value
    }
    return calls.withLock { $0 }
  }

  /// A float whose value is a whole number comes back from the store as JSON `0`: an enqueued
  /// dropout of 0 is used as given, and the trial paused with it is promoted with it — not with a
  /// new draw, which built a model its checkpoint did not fit (an automl trial FAILED so).
  @Test func wholeNumberFloatsSurviveTheStore() throws {
    let storage = try SQLiteStorage(path: try TestStudies.folder() + "/study.sqlite")
    let study = try Study(storage: storage, direction: .maximize, sampler: RandomSampler(seed: 1), pausing: true)
    try study.enqueue(["dropout": .float(0)])
    let seen = Mutex<[Double]>([])
    try study.optimize(trials: 1) { trial, _ in
      let dropout = try trial.suggestFloat("dropout", 0, 0.5, step: 0.05)
      seen.withLock { $0.append(dropout) }
      guard trial.resumedStep != nil else {
        try trial.report(0.5, step: 1)
        throw TrialPaused(step: 1)
      }
      try trial.report(0.6, step: 2)
      return 0.6
    }
    #expect(seen.withLock { $0 } == [0, 0])
    #expect(try study.trials().map(\.state) == [.complete])
    #expect(Domain.float(low: 0, high: 0.5, log: false, step: 0.05).member(.int(0)) == .float(0))
    #expect(Domain.float(low: 0, high: 0.5, log: false, step: 0.05).member(.int(1)) == nil)
  }

  static func parameters(_ trial: inout Trial) throws -> (Int, Double, Double) {
    (
      try trial.suggestInt("hidden", 2, 12), try trial.suggestFloat("rate", 1e-3, 0.3, log: true),
      try trial.suggestFloat("dropout", 0, 0.4)
    )
  }

  static func makeTrainer(hidden: Int, rate: Double, dropout: Double, seed: UInt64) throws -> (Sequential, Trainer) {
    let model = try Sequential(
      [try Dense(hidden, activation: .tanh), try Dropout(Float(dropout)), try Dense(3)], inputFeatures: 4,
      backend: CPUBackend(threads: 1), seed: seed)
    model.output = ModelOutput(kind: .classes, classNames: ["x", "y", "z"])
    let trainer = try Trainer(
      model: model, loss: .softmaxCrossEntropy, optimizer: Adam(learningRate: Float(rate)), metrics: [.accuracy])
    return (model, trainer)
  }

  /// Every COMPLETE trial's kept models and reported values equal, bit for bit, those of the same
  /// settings trained `epochs` epochs without a stop; returns how many trials were checked.
  static func expectUninterrupted(_ study: Study, folds: [Fold]) throws -> Int {
    let complete = try study.trials().filter { $0.state == .complete }
    for record in complete {
      let hidden = Int(record.parameters["hidden"]!.number!)
      let (rate, drop) = (record.parameters["rate"]!.number!, record.parameters["dropout"]!.number!)
      var means = [Double](repeating: 0, count: epochs)
      for (index, fold) in folds.enumerated() {
        let (model, trainer) = try makeTrainer(
          hidden: hidden, rate: rate, dropout: drop, seed: UInt64(record.number))
        let history = try trainer.fit(
          fold.train, validation: fold.validation, epochs: epochs, batchSize: 16, progress: .silent)
        for (epoch, entry) in history.epochs.enumerated() {
          means[epoch] += entry.value(named: "validation accuracy")! / Double(folds.count)
        }
        let kept = try #require(try study.artifact("model.\(index)", trial: record.number))
        #expect(kept == (try model.encoded()), "trial \(record.number) fold \(index): weights differ")
        #expect(try study.artifact(Trial.checkpointName(fold: index), trial: record.number) == nil)
      }
      #expect((1...epochs).map { record.intermediate[$0]! } == means, "trial \(record.number)")
    }
    return complete.count
  }

  static func folds() throws -> [Fold] { try StudyEnsembleTests.data.folds(2, seed: 9, stratified: true) }

  /// ASHA with promotions (factor 2, rungs at epochs 1, 2, 4): trials that were behind at a rung
  /// pause there and some are promoted later, as more trials reach the rung; a promoted trial ends
  /// exactly where an uninterrupted run ends. Paused trials keep their checkpoints; complete ones
  /// do not.
  @Test(arguments: StorageTests.names)
  func promotedTrialsEqualUninterruptedRuns(_ engine: String) throws {
    let storage = try StorageTests.make(engine)
    let folds = try Self.folds()
    let study = try Study(
      storage: storage, direction: .maximize, sampler: RandomSampler(seed: 4),
      pruner: try SuccessiveHalvingPruner(minimumResource: 1, reductionFactor: 2), pausing: true)
    let calls = try Self.run(study, folds: folds, trials: 12)
    let trials = try study.trials()
    let promoted = trials.filter { calls[$0.number]! > 1 }
    let paused = trials.filter { $0.state == .paused }
    #expect(!promoted.isEmpty && !paused.isEmpty, "\(trials.map { ($0.number, $0.state, calls[$0.number]!) })")
    #expect(trials.count == 12 && trials.allSatisfy { $0.state == .complete || $0.state == .paused })
    // No trial the pruner would promote is left paused.
    #expect(study.promotable(trials, deadline: nil).isEmpty)
    // A paused trial's checkpoints hold what an uninterrupted run of as many epochs holds: the
    // same weights and optimizer state, bit for bit, and the same counters.
    for trial in paused {
      for (index, fold) in folds.enumerated() {
        let bytes = try #require(try study.artifact(Trial.checkpointName(fold: index), trial: trial.number))
        let (_, trainer) = try Self.makeTrainer(
          hidden: Int(trial.parameters["hidden"]!.number!), rate: trial.parameters["rate"]!.number!,
          dropout: trial.parameters["dropout"]!.number!, seed: UInt64(trial.number))
        try trainer.fit(
          fold.train, validation: fold.validation, epochs: trial.lastStep!, batchSize: 16, progress: .silent)
        let kept = try SafeTensors.decode(bytes, path: "kept").tensors
        let fresh = try SafeTensors.decode(try trainer.checkpointBytes(name: "fresh"), path: "fresh").tensors
        #expect(kept == fresh, "trial \(trial.number) fold \(index)")
        try trainer.restoreCheckpoint(bytes: bytes, name: "checkpoint")
        #expect(trainer.epoch == trial.lastStep)
      }
    }
    #expect(try Self.expectUninterrupted(study, folds: folds) >= 1)
  }

  /// A hard stop that has passed pauses every trial after each epoch; each is promoted at once and
  /// continues from its checkpoint, so every trial is paused and resumed at every epoch, across
  /// two processes' worth of Study objects, and still ends bit for bit where a run without stops
  /// does.
  @Test func pausedAtEveryEpochAndResumedInAnotherStudyObject() throws {
    let storage = try StorageTests.make("sqlite")
    let folds = try Self.folds()
    func open() throws -> Study {
      try Study(storage: storage, direction: .maximize, sampler: RandomSampler(seed: 6), pausing: true)
    }
    let first = try Self.run(try open(), folds: folds, trials: 2, stopBefore: .distantPast)
    let second = try Self.run(try open(), folds: folds, trials: 3, stopBefore: .distantPast)
    #expect(first == [0: 4, 1: 4] && second == [2: 4], "\(first) \(second)")
    #expect(try Self.expectUninterrupted(try open(), folds: folds) == 3)
  }

  /// A trial promoted shortly before a hard stop knows its epoch's length from its restored
  /// history and starts no epoch that would end after the stop: paused again where it was, and not
  /// promoted again by the same call (the workers would otherwise resume and re-pause it until the
  /// stop). Its checkpoints are made to say an epoch took 1 000 s; the stop is 60 s away.
  @Test func aPromotedTrialStartsNoEpochPastTheStop() throws {
    let storage = try StorageTests.make("sqlite")
    let folds = try Self.folds()
    struct PauseAlways: Pruner {
      func shouldPrune(_ trial: TrialRecord, history: [TrialRecord], direction: Direction) -> Bool { true }
    }
    func open(_ pruner: any Pruner = NoPruner()) throws -> Study {
      try Study(storage: storage, direction: .maximize, sampler: RandomSampler(seed: 6), pruner: pruner, pausing: true)
    }
    // Trial 0 runs its first epoch and pauses after it, never promoted by this pruner.
    let study = try open(PauseAlways())
    _ = try Self.run(study, folds: folds, trials: 1)
    #expect(try study.trials().map(\.lastStep) == [1])
    let started = try #require(try storage.resumeTrial(study: study.id, number: 0, device: "cpu", owner: .current))
    for index in folds.indices {
      let name = Trial.checkpointName(fold: index)
      let bytes = try #require(try study.artifact(name, trial: 0))
      let (tensors, metadata) = try SafeTensors.decode(bytes, path: name)
      let json = try #require(metadata["descent.trainer"])
      var state = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
      var history = try #require(state["history"] as? [String: Any])
      var epochs = try #require(history["epochs"] as? [[String: Any]])
      epochs[epochs.count - 1]["seconds"] = 1_000.0
      history["epochs"] = epochs
      state["history"] = history
      var edited = metadata
      edited["descent.trainer"] = String(decoding: try JSONSerialization.data(withJSONObject: state), as: UTF8.self)
      let ordered = tensors.keys.sorted().map { (name: $0, tensor: tensors[$0]!) }
      try storage.storeArtifact(try SafeTensors.encode(ordered, metadata: edited), name: name, trial: started.id)
    }
    try storage.finish(
      trial: started.id, state: .paused, value: nil, values: [], constraints: [], foldValues: [],
      error: "paused at step 1", lost: false, retryLimit: 0)
    let calls = try Self.run(try open(), folds: folds, trials: 1, stopBefore: Date().addingTimeInterval(60))
    #expect(calls == [0: 1], "promoted once")
    let trial = try #require(try study.trials().first)
    #expect(trial.state == .paused && trial.lastStep == 1)
  }

  /// A promoted trial whose process dies mid-run (a claim by a pid that no longer exists, with a
  /// value reported past its checkpoint) goes back to PAUSED at the checkpoint it was promoted
  /// from, that value dropped; promoted again, it still ends bit for bit as a run without stops.
  @Test(arguments: StorageTests.names)
  func aPromotedTrialLostMidRunIsPausedAgainAtItsCheckpoint(_ engine: String) throws {
    let storage = try StorageTests.make(engine)
    let folds = try Self.folds()
    let paused = try Study(
      storage: storage, direction: .maximize, sampler: RandomSampler(seed: 6),
      pruner: StudyEnsembleTests.AlwaysPrune(), pausing: true)
    _ = try Self.run(paused, folds: folds, trials: 1)
    let study = try #require(try storage.studies().first?.id)
    #expect(try storage.trials(study: study).map(\.state) == [.paused])
    let gone = TrialOwner(host: TrialOwner.current.host, pid: Int32.max)  // no such process
    let claimed = try #require(try storage.resumeTrial(study: study, number: 0, device: "cpu", owner: gone))
    try storage.report(trial: claimed.id, step: 2, value: 0.5, values: [])
    let reopened = try Study(storage: storage, direction: .maximize, sampler: RandomSampler(seed: 6), pausing: true)
    let record = try #require(try reopened.trials().first)
    #expect(record.state == .paused && record.intermediate.keys.sorted() == [1] && !record.lost)
    #expect(record.error?.hasSuffix("is gone; paused again at step 1") == true, "\(record.error ?? "")")
    #expect(try Self.run(reopened, folds: folds, trials: 1) == [0: 1])
    #expect(try Self.expectUninterrupted(reopened, folds: folds) == 1)
    #expect(try reopened.artifact(Trial.pausedStepName, trial: 0) == nil)
  }

  /// Without ``Study/pausing`` a stop prunes, keeps no checkpoint, and nothing is promoted; a
  /// trial paused with a missing checkpoint fails naming it.
  @Test func withoutPausingStopsPruneAndAMissingCheckpointIsAnError() throws {
    let storage = try StorageTests.make("sqlite")
    let folds = try Self.folds()
    let pruning = try Study(storage: storage, direction: .maximize, sampler: RandomSampler(seed: 6))
    let calls = try Self.run(pruning, folds: folds, trials: 2, stopBefore: .distantPast)
    #expect(calls == [0: 1, 1: 1])
    let trials = try pruning.trials()
    #expect(trials.allSatisfy { $0.state == .pruned && $0.lastStep == 1 })
    #expect(try pruning.artifact(Trial.checkpointName(fold: 0), trial: 0) == nil)

    // A trial paused whose checkpoint went missing: its promotion fails naming what is missing.
    let other = try StorageTests.make("sqlite")
    let paused = try Study(
      name: "missing", storage: other, direction: .maximize, sampler: RandomSampler(seed: 6),
      pruner: StudyEnsembleTests.AlwaysPrune(), pausing: true)
    _ = try Self.run(paused, folds: folds, trials: 1)
    let id = try #require(try other.studies().first { $0.name == "missing" }?.id)
    #expect(try other.trials(study: id).map(\.state) == [.paused])
    let running = try #require(try other.resumeTrial(study: id, number: 0, device: "cpu", owner: .current))
    try other.removeArtifact(name: Trial.checkpointName(fold: 1), trial: running.id)
    #expect(
      try other.finish(
        trial: running.id, state: .paused, value: nil, values: [], constraints: [], foldValues: [], error: nil,
        lost: false, retryLimit: 0))
    let resumed = try Study(
      name: "missing", storage: other, direction: .maximize, sampler: RandomSampler(seed: 6), pausing: true)
    _ = try Self.run(resumed, folds: folds, trials: 1)
    let failed = try #require(try resumed.trials().first)
    #expect(failed.state == .failed)
    #expect(
      failed.error?.contains("trial 0 was paused after step 1, but the study holds no checkpoint.1 for fold 2") == true,
      "\(failed.error ?? "")")
  }
}
