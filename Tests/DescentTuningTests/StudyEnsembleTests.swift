import Descent
@testable import DescentTuning
import Foundation
import Testing

/// Ensembles of a study's trials: what trials keep, and the ensemble ``StudyEnsemble`` builds from
/// it, on every storage engine.
struct StudyEnsembleTests {
  /// 150 rows of 4 features in 3 classes that overlap (so trials differ and ensembles help).
  static let data: Dataset = {
    var (features, targets) = ([Float](), [Float]())
    for row in 0..<150 {
      let kind = row % 3
      for column in 0..<4 {
        let wobble = Float((row * 7 + column * 13) % 17) / 17 - 0.5
        features.append(Float(kind == column ? 1 : 0) + 1.5 * wobble)
      }
      targets.append(Float(kind))
    }
    return try! Dataset(features: features, featureCount: 4, targets: targets)
  }()

  /// Prunes every trial it is asked about.
  struct AlwaysPrune: Pruner {
    func shouldPrune(_ trial: TrialRecord, history: [TrialRecord], direction: Direction) -> Bool { true }
  }

  /// Runs a study whose trials train small classifiers on `folds` and keep them, as `descent tune`
  /// does: also when they are pruned or stopped.
  static func study(
    _ storage: any StudyStorage, folds: [Fold], trials: Int = 6, epochs: Int = 4, pruner: any Pruner = NoPruner(),
    stopBefore: Date? = nil
  ) throws -> Study {
    let study = try Study(storage: storage, direction: .maximize, sampler: RandomSampler(seed: 3), pruner: pruner)
    try study.optimize(trials: trials) { trial, _ in
      let hidden = try trial.suggestInt("hidden", 2, 12)
      let rate = try trial.suggestFloat("rate", 1e-3, 0.3, log: true)
      var models: [Sequential] = []
      let seed = UInt64(trial.number)
      do {
        let value = try trial.crossValidate(folds, epochs: epochs, batchSize: 16, stopBefore: stopBefore) { _ in
          let model = try Sequential(
            [try Dense(hidden, activation: .tanh), try Dense(3)], inputFeatures: 4, backend: CPUBackend(threads: 1),
            seed: seed)
          model.output = ModelOutput(kind: .classes, classNames: ["x", "y", "z"])
          models.append(model)
          return try Trainer(
            model: model, loss: .softmaxCrossEntropy, optimizer: Adam(learningRate: Float(rate)), metrics: [.accuracy])
        }
        try trial.keepForEnsembles(models, folds: folds)
        return value
      } catch let pruned as TrialPruned {
        try trial.keepForEnsembles(models, folds: folds)
        throw pruned
      }
    }
    return study
  }

  /// With one validation split, the ensemble file's predictions on the validation rows are the
  /// selection's weighted average of the kept predictions (a weight given to another trial's
  /// models, or a model kept from before training, would differ by far more than the 1e-6 that
  /// rounding the Double sum to Float leaves), and the candidates are the best trials in order.
  @Test(arguments: StorageTests.names)
  func theEnsemblePredictsWhatTheSelectionWeighed(_ engine: String) throws {
    let (train, validation) = try Self.data.split(fraction: 0.3, seed: 5)
    let storage = try StorageTests.make(engine)
    let study = try Self.study(storage, folds: [Fold(train: train, validation: validation)])
    let built = try StudyEnsemble(
      storage: storage, study: study.name, top: 4, selection: try EnsembleSelection(picks: 10),
      backend: CPUBackend())
    let values = try study.trials().filter { $0.state == .complete }.sorted {
      $0.value! != $1.value! ? $0.value! > $1.value! : $0.number < $1.number
    }
    #expect(built.candidates == values.prefix(4).map(\.number))
    #expect(built.combined.targets == validation.targets && built.combined.rows == validation.rows)
    let predicted = try built.ensemble.predict(validation.features, rows: validation.rows)
    for (got, want) in zip(predicted, built.combined.values) { #expect(abs(got - want) <= 1e-6) }
    #expect(built.selection.losses.last! <= built.selection.singleLosses.min()!)
    // Each candidate's temperature is its own cross-entropy's minimum on [0.25, 20]: 5% either way
    // inside the range, or none, scores worse (these small nets are underconfident: some want
    // sharper than the range's end, where only the inner side is worse); the ensemble's members
    // carry their trial's.
    let cross = try EnsembleSelection(loss: .crossEntropy)
    for (number, temperature) in zip(built.candidates, built.temperatures) {
      let bytes = try #require(try study.artifact(ValidationPredictions.artifactName, trial: number))
      let kept = try ValidationPredictions(decoding: bytes, name: "trial \(number)")
      func loss(_ t: Double) throws -> Double {
        try cross.select(predictions: [kept.tempered(t).values], targets: kept.targets, width: 3).singleLosses[0]
      }
      let (best, one) = (try loss(temperature), try loss(1))
      #expect(temperature >= 0.25 - 1e-9 && temperature <= 20 + 1e-9 && best <= one, "trial \(number)")
      for other in [temperature * 1.05, temperature / 1.05] where other >= 0.25 && other <= 20 {
        let worse = try loss(other)
        #expect(best < worse, "trial \(number): T \(temperature) against \(other)")
      }
    }
    #expect(
      Set(built.ensemble.temperatures).isSubset(of: built.temperatures) && built.temperatures.contains { $0 != 1 })
    // The best trial's own model predicts what it kept.
    let best = try built.bestModel.predict(validation.features, rows: validation.rows)
    #expect(best == built.bestSingle.values)
  }

  /// Probabilities made overconfident by a known factor — p = softmax(3·z) for rows whose labels
  /// were drawn from softmax(z) — are calibrated back: the fitted temperature is 3 to within the
  /// sampling error of 30 000 rows (a search that stopped at an end of its interval, or minimized
  /// something else, would be far off), and tempering by it restores softmax(z).
  @Test func theFittedTemperatureUndoesKnownOverconfidence() throws {
    var generator = SeededGenerator(seed: 11, trial: 0, parameter: "temperature")
    var (values, targets, calibrated) = ([Float](), [Float](), [Float]())
    for _ in 0..<30_000 {
      let z = (0..<4).map { _ in Double(generator.next() % 4_000) / 1_000 - 2 }
      func softmax(_ scale: Double) -> [Double] {
        let e = z.map { exp(scale * ($0 - z.max()!)) }
        return e.map { $0 / e.reduce(0, +) }
      }
      let (truth, sure) = (softmax(1), softmax(3))
      var draw = Double(generator.next() % 1_000_000) / 1_000_000, label = 0
      while label < 3 && draw >= truth[label] { (draw, label) = (draw - truth[label], label + 1) }
      values += sure.map(Float.init)
      targets.append(Float(label))
      calibrated += truth.map(Float.init)
    }
    let predictions = try ValidationPredictions(kind: .classes, width: 4, targets: targets, values: values)
    let temperature = predictions.fittedTemperature()
    #expect(abs(temperature - 3) < 0.1, "\(temperature)")
    let restored = predictions.tempered(3).values
    #expect(zip(restored, calibrated).map { abs($0 - $1) }.max()! < 1e-5)
  }

  /// With cross-validation every fold's model joins, each with its share of the trial's weight;
  /// the kept predictions are out-of-fold, fold after fold.
  @Test func crossValidatedTrialsJoinAsTheirFoldModels() throws {
    let folds = try Self.data.folds(3, seed: 2, stratified: true)
    let storage = try StorageTests.make("sqlite")
    let study = try Self.study(storage, folds: folds, trials: 4)
    let built = try StudyEnsemble(
      storage: storage, study: study.name, top: 4, selection: try EnsembleSelection(), backend: CPUBackend())
    #expect(built.combined.targets == folds.flatMap(\.validation.targets))
    let picked = built.selection.weights.filter { $0 > 0 }
    #expect(built.ensemble.members.count == 3 * picked.count)
    for (index, weight) in picked.enumerated() {
      for fold in 0..<3 { #expect(abs(built.ensemble.weights[3 * index + fold] - weight / 3) < 1e-12) }
    }
    // Out of fold: model k of the best trial predicts fold k's rows as kept.
    let number = built.candidates[0]
    var kept: [Float] = []
    for (k, fold) in folds.enumerated() {
      let bytes = try #require(try study.artifact("model.\(k)", trial: number))
      let model = try Sequential.load(fileBytes: bytes, name: "model", backend: CPUBackend())
      kept += model.probabilities(try model.predict(fold.validation.features, rows: fold.validation.rows))
    }
    #expect(kept == built.bestSingle.values)
  }

  /// `stopBefore` in the past: every trial trains one epoch, does not start the second, and ends
  /// PRUNED at step 1 with its models kept, which an ensemble takes (ranked by that step's value);
  /// a pruner that prunes everything cannot stop a trial after its last epoch: it completes.
  @Test func stoppedAndPrunedTrialsKeepTheirModels() throws {
    let (train, validation) = try Self.data.split(fraction: 0.3, seed: 5)
    let folds = [Fold(train: train, validation: validation)]
    let storage = try StorageTests.make("sqlite")
    let stopped = try Self.study(storage, folds: folds, trials: 3, stopBefore: Date(timeIntervalSince1970: 0))
    let trials = try stopped.trials()
    #expect(trials.allSatisfy { $0.state == .pruned && $0.lastStep == 1 }, "\(trials.map(\.state))")
    let built = try StudyEnsemble(
      storage: storage, study: stopped.name, top: 5, selection: try EnsembleSelection(), backend: CPUBackend())
    let order = trials.sorted {
      $0.intermediate[1]! != $1.intermediate[1]! ? $0.intermediate[1]! > $1.intermediate[1]! : $0.number < $1.number
    }
    #expect(built.candidates == order.map(\.number))
    let pruning = try Self.study(
      try StorageTests.make("sqlite"), folds: folds, trials: 2, epochs: 1, pruner: AlwaysPrune())
    #expect(try pruning.trials().allSatisfy { $0.state == .complete })
    let pruned = try Self.study(
      try StorageTests.make("sqlite"), folds: folds, trials: 2, epochs: 3, pruner: AlwaysPrune())
    #expect(try pruned.trials().allSatisfy { $0.state == .pruned && $0.lastStep == 1 })
  }

  /// A study without kept predictions, or with trials scored on other rows, is a clear error.
  @Test func studiesAnEnsembleCannotComeFromAreNamed() throws {
    let storage = try StorageTests.make("sqlite")
    let bare = try Study(name: "bare", storage: storage, direction: .maximize, sampler: RandomSampler(seed: 1))
    try bare.optimize(trials: 2) { trial, _ in try trial.suggestFloat("x", 0, 1) }
    #expect {
      try StudyEnsemble(
        storage: storage, study: "bare", top: 5, selection: try EnsembleSelection(), backend: CPUBackend())
    } throws: {
      "\($0)".contains("study 'bare' has no finished trial with kept validation predictions (2 finished")
    }
    #expect {
      try StudyEnsemble(
        storage: storage, study: "other", top: 5, selection: try EnsembleSelection(), backend: CPUBackend())
    } throws: {
      "\($0)".contains("no study 'other'")
    }
    let mixed = try Study(name: "mixed", storage: storage, direction: .maximize, sampler: RandomSampler(seed: 1))
    try mixed.optimize(trials: 2) { trial, _ in
      let predictions = try ValidationPredictions(
        kind: .classes, width: 2, targets: [0, Float(trial.number)], values: [0.5, 0.5, 0.5, 0.5])
      try trial.keep(try predictions.encoded(), as: ValidationPredictions.artifactName)
      return Double(trial.number)
    }
    #expect {
      try StudyEnsemble(
        storage: storage, study: "mixed", top: 5, selection: try EnsembleSelection(), backend: CPUBackend())
    } throws: {
      "\($0)".contains("trial 0's validation predictions are of other rows than trial 1's")
    }
    #expect(throws: DataError.self) { try ValidationPredictions(decoding: [1, 2, 3], name: "x") }
  }
}
