import Descent
import Foundation

/// An ensemble built from a study's finished trials, as AutoGluon's `WeightedEnsemble` builds one
/// from its models: the best `top` complete or pruned trials that kept their models and validation
/// predictions (``Trial/keepForEnsembles(_:folds:)``) form the library, ``EnsembleSelection``
/// weighs them on those predictions, and each trial picked joins the ``Ensemble`` with its weight
/// (a cross-validated trial as its fold models, the weight shared equally among them). A
/// classifier trial's probabilities are first calibrated by temperature scaling: the temperature
/// that minimizes its own validation cross-entropy (long-trained nets are overconfident, and an
/// average of overconfident members is dominated by whichever is most sure; measured, see
/// benchmarks/README), which the ensemble applies to that trial's models.
public struct StudyEnsemble: Sendable {
  /// The trials chosen from, best first by the study's value (a pruned trial's: its last reported one).
  public let candidates: [Int]
  /// What the selection did, indexed like ``candidates``.
  public let selection: EnsembleSelection.Result
  /// Each candidate's temperature, indexed like ``candidates`` (all 1 for values or without
  /// calibration).
  public let temperatures: [Double]
  /// The model, on the backend given.
  public let ensemble: Ensemble
  /// The best candidate's own model (with cross-validation, its fold models averaged).
  public let bestModel: Ensemble
  /// The validation predictions of the best candidate, and of the ensemble (its weights applied).
  public let bestSingle: ValidationPredictions, combined: ValidationPredictions
  /// Finished trials left out because they kept no predictions (run before they were kept, or by
  /// the library without ``Trial/keepForEnsembles(_:folds:)``).
  public let withoutPredictions: [Int]

  /// Reads only, so a role with read rights alone can build it while workers run.
  /// - Parameters:
  ///   - top: how many of the best finished trials to choose from (auto-sklearn's `ensemble_nbest`
  ///     is 50).
  ///   - selection: its picks, and its loss for a classifier study; a study of values is always
  ///     weighed by squared error.
  ///   - calibrate: whether a classifier's candidates are calibrated by temperature scaling first.
  /// - Throws: ``TuningError`` when the study has no finished trial with kept predictions or the
  ///   trials' predictions are of other rows (another data set or split), ``DataError`` for a
  ///   damaged artifact, ``ConfigurationError`` for `top < 1`.
  public init(
    storage: any StudyStorage, study name: String, top: Int, selection: EnsembleSelection, calibrate: Bool = true,
    backend: any Backend
  ) throws {
    try ConfigurationError.require(top >= 1, "top", top, ">= 1")
    let studies = try storage.studies()
    guard let study = studies.first(where: { $0.name == name }) else {
      throw TuningError.noSuchStudy(path: storage.location, study: name, available: studies.map(\.name))
    }
    func artifact(_ name: String, _ number: Int) throws -> [UInt8]? {
      try storage.artifact(name: name, study: study.id, number: number)
    }
    // Complete trials by their value; pruned and paused ones (stopped early, their models as
    // trained then) by their last reported value. Best first; equal values by trial number, so the same store
    // gives the same ensemble.
    let scored = try storage.trials(study: study.id).compactMap { trial -> (number: Int, score: Double)? in
      let score = trial.state == .complete ? trial.value : trial.stoppedEarly ? trial.lastValue : nil
      return score.flatMap { $0.isFinite ? (trial.number, $0) : nil }
    }
    try ConfigurationError.require(
      study.directions.count == 1, "study", name, "a study of one objective (an ensemble ranks trials by one value)")
    let maximize = study.directions[0] == .maximize
    let ranked = scored.sorted { a, b in
      a.score != b.score ? (maximize ? a.score > b.score : a.score < b.score) : a.number < b.number
    }
    var (candidates, library, missing) = ([Int](), [ValidationPredictions](), [Int]())
    let complete = ranked
    for trial in ranked where candidates.count < top {
      guard let bytes = try artifact(ValidationPredictions.artifactName, trial.number) else {
        missing.append(trial.number)
        continue
      }
      let predictions = try ValidationPredictions(
        decoding: bytes, name: "trial \(trial.number)'s validation predictions")
      if let first = library.first,
        predictions.kind != first.kind || predictions.width != first.width || predictions.targets != first.targets
      {
        throw TuningError.storage(
          path: storage.location,
          reason: "trial \(trial.number)'s validation predictions are of other rows than trial \(candidates[0])'s "
            + "(another data set, split or output): an ensemble needs every trial scored on the same rows")
      }
      candidates.append(trial.number)
      library.append(predictions)
    }
    guard let first = library.first else {
      throw TuningError.storage(
        path: storage.location,
        reason: "study '\(name)' has no finished trial with kept validation predictions "
          + "(\(complete.count) finished; trials keep them from this version of descent tune on)")
    }
    // Values (regression) are always weighed by squared error; probabilities by the loss asked for.
    var chosen = selection
    if first.kind != .classes { chosen.loss = .meanSquaredError }
    guard first.kind != .classes || chosen.loss != .meanSquaredError else {
      throw ConfigurationError.outOfRange(
        parameter: "loss", value: "meanSquaredError", allowed: "crossEntropy or errorRate for a classifier study")
    }
    let temperatures = library.map { calibrate && $0.kind == .classes ? $0.fittedTemperature() : 1 }
    let calibrated = zip(library, temperatures).map { $0.tempered($1) }
    let result = try chosen.select(
      predictions: calibrated.map(\.values), targets: first.targets, width: first.width)
    /// A trial's kept models (one per fold).
    func models(_ number: Int) throws -> [Sequential] {
      var folds: [Sequential] = []
      while let bytes = try artifact("model.\(folds.count)", number) {
        folds.append(
          try Sequential.load(fileBytes: bytes, name: "trial \(number)'s model \(folds.count)", backend: backend))
      }
      guard !folds.isEmpty else {
        throw TuningError.storage(
          path: storage.location, reason: "trial \(number) kept validation predictions but no model")
      }
      return folds
    }
    var (members, weights, memberTemperatures) = ([Sequential](), [Double](), [Double]())
    for (index, weight) in result.weights.enumerated() where weight > 0 {
      let folds = try models(candidates[index])
      members += folds
      weights += folds.map { _ in weight / Double(folds.count) }
      memberTemperatures += folds.map { _ in temperatures[index] }
    }
    let best = try models(candidates[0])
    bestModel = try Ensemble(members: best, weights: best.map { _ in 1 })
    var sum = [Double](repeating: 0, count: first.values.count)
    for (index, weight) in result.weights.enumerated() where weight > 0 {
      for i in sum.indices { sum[i] += weight * Double(calibrated[index].values[i]) }
    }
    (self.candidates, self.selection, withoutPredictions) = (candidates, result, missing)
    self.temperatures = temperatures
    ensemble = try Ensemble(members: members, weights: weights, temperatures: memberTemperatures)
    bestSingle = first
    combined = try ValidationPredictions(
      kind: first.kind, width: first.width, targets: first.targets, values: sum.map { Float($0) })
  }
}

extension ValidationPredictions {
  /// The fraction of rows whose largest probability is the target class (classes only).
  public var accuracy: Double {
    var correct = 0
    for row in 0..<rows {
      let slice = values[row * width..<(row + 1) * width]
      if slice.indices.max(by: { slice[$0] < slice[$1] })! - row * width == Int(targets[row]) { correct += 1 }
    }
    return Double(correct) / Double(rows)
  }

  /// The temperature T whose softmax(log p / T) has the lowest mean cross-entropy on these rows
  /// (classes only): that loss is convex in 1/T, so a golden-section search on 1/T in [1/20, 4]
  /// (T from 0.25 to 20), 48 steps, finds it to within 10⁻⁹ of the interval.
  public func fittedTemperature() -> Double {
    // Each row's log-probabilities less its largest, once: −log softmax(β·l)_y is then
    // log Σ exp(β·l) − β·l_y with every exponent ≤ 0, for any β = 1/T > 0.
    var shifted = values.map { log(max(Double($0), Double(Float.leastNonzeroMagnitude))) }
    for row in 0..<rows {
      let top = shifted[row * width..<(row + 1) * width].max()!
      for i in row * width..<(row + 1) * width { shifted[i] -= top }
    }
    func loss(_ inverse: Double) -> Double {
      var total = 0.0
      for row in 0..<rows {
        let slice = shifted[row * width..<(row + 1) * width]
        total += log(slice.reduce(0) { $0 + exp(inverse * $1) }) - inverse * slice[row * width + Int(targets[row])]
      }
      return total / Double(rows)
    }
    let ratio = (5.0.squareRoot() - 1) / 2
    var (low, high) = (1.0 / 20, 4.0)
    var (a, b) = (high - ratio * (high - low), low + ratio * (high - low))
    var (lossA, lossB) = (loss(a), loss(b))
    for _ in 0..<48 {
      if lossA <= lossB {
        (high, b, lossB) = (b, a, lossA)
        a = high - ratio * (high - low)
        lossA = loss(a)
      } else {
        (low, a, lossA) = (a, b, lossB)
        b = low + ratio * (high - low)
        lossB = loss(b)
      }
    }
    return 1 / ((low + high) / 2)
  }

  /// These probabilities at temperature `temperature`: softmax(log p / T) row by row, as
  /// ``Predictor/probabilities(_:temperature:)`` computes it from a model's logits.
  public func tempered(_ temperature: Double) -> ValidationPredictions {
    guard temperature != 1 else { return self }
    var copy = self
    copy.values = softmaxRows(values, width: width, temperature: temperature, ofProbabilities: true)
    return copy
  }
}
