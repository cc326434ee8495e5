import CommandFlags
import Descent
import DescentTuning
import Foundation

/// `descent ensemble`: Caruana's ensemble selection over a `descent tune` study's best trials (their
/// kept models and validation predictions), written as one model file that predict, evaluate and
/// export take; prints the best single trial's and the ensemble's scores.
struct EnsembleCommand {
  var storage = ""
  var study = "default"
  var top = 50
  var picks = 25
  var loss = "cross-entropy"
  var output = "ensemble.safetensors"
  var testData: String?
  var quiet = false

  static let flags = FlagTable<EnsembleCommand>(
    "ensemble",
    [
      .value(
        "storage", "PATH|URL", "the study's store, as for tune (read only)", \.storage, expected: "a path or URL",
        required: true),
      .value("study", "default", "the study's name", \.study, expected: "a name"),
      .value(
        "top", "50", "choose from the best N complete trials (auto-sklearn's ensemble_nbest)", \.top,
        expected: "a whole number >= 1"
      ) { $0 >= 1 },
      .value(
        "picks", "25", "greedy picks with replacement (AutoGluon's default); the best prefix is kept", \.picks,
        expected: "a whole number >= 1"
      ) { $0 >= 1 },
      .choice(
        "loss", "cross-entropy", \.loss, choices: ["cross-entropy", "error-rate"],
        help: "what a classifier ensemble's picks minimize on the validation rows (regression: squared error)"),
      .value(
        "output", "FILE", "the ensemble's model file (default ensemble.safetensors)", \.output, expected: "a path"),
      .value(
        "test-data", "DATA", "score the best trial and the ensemble on these rows, as evaluate's --input", \.testData,
        expected: "a path"),
      .toggle("quiet", "print only the scores", \.quiet),
    ])

  static var help: String { flags.help }

  init(_ options: [String]) throws { try Self.flags.parse(options, into: &self) }

  func run() throws -> Int32 {
    try Inference.checkWritable(output, flag: "output", inputs: [("test-data", testData)])
    let store = try studyStorage(storage, create: false, readOnly: true)
    let built = try StudyEnsemble(
      storage: store, study: study, top: top,
      selection: try EnsembleSelection(picks: picks, loss: loss == "error-rate" ? .errorRate : .crossEntropy),
      backend: CPUBackend())
    var test: Dataset?
    if let testData {
      let input = try ModelInput(testData, labels: nil, model: built.ensemble)
      guard input.hasLabels else { throw UsageError(message: "--test-data \(testData) has no labels to score against") }
      test = input.dataset
    }
    try Self.report(built, picks: picks, test: test, quiet: quiet, storeLocation: store.location, study: study)
    try built.ensemble.save(to: output)
    if !quiet {
      let trials = built.selection.weights.count { $0 > 0 }
      print(
        "wrote \(output): \(trials) trial\(trials == 1 ? "" : "s")' models (\(built.ensemble.members.count) with "
          + "folds) and their weights")
    }
    return 0
  }

  /// Prints what the selection chose and the validation (and, given `test` rows as the data files
  /// hold them, test) scores of the best trial and the ensemble.
  static func report(
    _ built: StudyEnsemble, picks: Int, test: Dataset?, quiet: Bool, storeLocation: String, study: String
  ) throws {
    let candidates = built.candidates
    if !quiet {
      print(
        "study '\(study)' in \(storeLocation): choosing from the best \(candidates.count) finished trials"
          + (built.withoutPredictions.isEmpty
            ? "" : " (\(built.withoutPredictions.count) more kept no predictions: run before descent kept them)"))
      let counts = Dictionary(built.selection.order.map { ($0, 1) }, uniquingKeysWith: +)
      let picked = counts.keys.sorted().map { index in
        let temperature = built.temperatures[index]
        return "trial \(candidates[index]) ×\(counts[index]!)"
          + (temperature == 1 ? "" : String(format: " (T %.2f)", temperature))
      }
      print("picks kept: \(built.selection.order.count) of \(picks): \(picked.joined(separator: ", "))")
    }
    print(
      "validation (\(built.bestSingle.rows) rows): best trial \(candidates[0]) \(score(built.bestSingle)); "
        + "ensemble \(score(built.combined))")
    guard let data = test else { return }
    print(
      "test (\(data.rows) rows): best trial \(candidates[0]) \(try score(built.bestModel, on: data)); "
        + "ensemble \(try score(built.ensemble, on: data))")
  }

  /// `model`'s score on `data` (raw rows, labels checked), as ``score(_:)`` writes it.
  static func score(_ model: Ensemble, on data: Dataset) throws -> String {
    let kind = model.output.kind
    if kind == .classes { try data.checkClassLabels(classes: model.outputFeatures) }
    let outputs = try model.predict(raw: data.features, rows: data.rows)
    try Inference.checkFinite(outputs, width: model.outputFeatures, input: data.name)
    return score(
      try ValidationPredictions(kind: kind, width: model.outputFeatures, targets: data.targets, values: outputs))
  }

  /// `accuracy 0.8712, loss 0.3561` (classes) or `mse 0.0123`.
  static func score(_ predictions: ValidationPredictions) -> String {
    guard predictions.kind == .classes else {
      let errors = zip(predictions.values, predictions.targets).map { Double($0) - Double($1) }
      return String(format: "mse %.6g", errors.map { $0 * $0 }.reduce(0, +) / Double(errors.count))
    }
    var loss = 0.0
    for row in 0..<predictions.rows {
      loss -= log(max(Double(predictions.values[row * predictions.width + Int(predictions.targets[row])]), 1e-15))
    }
    return String(format: "accuracy %.4f, loss %.4f", predictions.accuracy, loss / Double(predictions.rows))
  }
}
