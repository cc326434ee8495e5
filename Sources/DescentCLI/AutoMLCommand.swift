import CommandFlags
import Descent
import DescentTuning
import Foundation

/// `descent automl`: from a data set and a time budget to a model: a search space fitted to the
/// data, a `descent tune` study (TPE with successive-halving pruning) until the planned share of
/// the budget, ensemble selection over its trials, and the ensemble's model file and ONNX export.
struct AutoMLCommand {
  var budget: Double = 600
  var spacePath: String?
  var workers: Int?
  var seed: UInt64 = 42
  var storage: String?
  var study = "automl"
  var output = "descent-automl"
  var source = DataSource()
  var quiet = false
  var refit = "auto"

  /// The plan: no trial starts after `searchShare` of the budget; no epoch starts that would end
  /// after `trainingShare` of it less a second (2% of a short one; each trial knows how long its
  /// last epoch took);
  /// the rest is for the selection, the model file and the export (a few seconds at most).
  static let searchShare = 0.8, trainingShare = 0.95
  /// With a refit (``AutoMLRefit``), trials start until `search` of the budget and train until
  /// `training` of it (less the second as above); the refit has until ``trainingShare``. An hour's
  /// refit of 12 members took 19% of the budget (benchmarks/README): 25% leaves it a margin.
  static let refitPlan = (search: 0.6, training: 0.7)
  /// `--refit auto` refits from this budget up: past ten minutes or so more search barely helps
  /// (an hour's best trial was no better than ten minutes'), while every member gains the held-out
  /// rows. Fashion-MNIST on a 2-core Zen 5 (benchmarks/README): 10 minutes 0.9111 and 0.9119 test
  /// accuracy refitted against 0.9095–0.9108 without; an hour 0.9144 and 0.9148 against ≤ 0.9120.
  static let refitBudget = 600.0
  /// Up to this many training rows, trials are scored by 5-fold cross-validation (AutoGluon bags
  /// small tables too); above, on tune's 20% validation split.
  static let crossValidationRows = 5_000
  /// At most this many paused trials keep their checkpoints (tune's `--keep-paused`), so their
  /// share of the study stays bounded in long budgets (an hour on Fashion-MNIST: 0.68 GB of them
  /// with the bound; the unbounded study had grown to 7 GB, most of it trials ASHA would never
  /// promote).
  static let pausedLimit = 64

  static let flags = FlagTable<AutoMLCommand>(
    "automl",
    [
      Flag(
        "time", "10m",
        "the budget for everything: search, ensemble, files (90s, 10m, 1h; a number is seconds)"
      ) { settings, text in
        guard let seconds = Self.seconds(text) else { return "a duration such as 90s, 10m or 1h" }
        settings.budget = seconds
        return nil
      },
      .value(
        "space", "FILE", "a `descent tune` space instead of the one fitted to the data (printed at the start)",
        \.spacePath, expected: "a file"),
      .value(
        "workers", "N", "trials at once, as for tune (default: one per OpenCL device, or per core)", \.workers,
        expected: "a whole number >= 1"
      ) { $0 >= 1 },
      .value("seed", "42", "seeds the search, the split and every trial's weights", \.seed, expected: "a whole number"),
      .value(
        "storage", "PATH|URL", "the study's store, as for tune (default OUTPUT/study.sqlite)", \.storage,
        expected: "a path or URL"),
      .value("study", "automl", "the study's name in the store", \.study, expected: "a name"),
      .value(
        "output", "descent-automl",
        "where model.safetensors (the ensemble), model.onnx, space.json and tune's outputs go", \.output,
        expected: "a folder"),
      Flag(
        "refit", "auto",
        "train the ensemble's members again on every training row before the end: on, off, or auto (from 10m "
          + "up; never with cross-validation, whose folds use every row already)"
      ) { settings, text in
        guard ["auto", "on", "off"].contains(text) else { return "auto, on or off" }
        settings.refit = text
        return nil
      },
      .toggle("quiet", "print only the plan and the scores", \.quiet),
    ] + DataSource.flags(\.source))

  static var help: String { flags.help }

  init(_ options: [String]) throws { try Self.flags.parse(options, into: &self) }

  /// `built`'s members trained again on every training row until `deadline` (``AutoMLRefit``),
  /// on the workers the search had; prints what it did and the new ensemble's test score.
  private func refitMembers(
    _ built: StudyEnsemble, store: any StudyStorage, space: TuneSpace, data: TrainingData, rate: Double,
    tune: TuneCommand, deadline: Date, test: Dataset?
  ) throws -> Ensemble {
    let started = Date()
    guard let id = try store.studies().first(where: { $0.name == study })?.id else { return built.ensemble }
    let records = Dictionary(uniqueKeysWithValues: try store.trials(study: id).map { ($0.number, $0) })
    let numbers = built.candidates.indices.filter { built.selection.weights[$0] > 0 }.map { built.candidates[$0] }
    // Trials scored on one split keep one model each: the members are the picked trials, in order.
    guard numbers.count == built.ensemble.members.count else { return built.ensemble }
    let refit = AutoMLRefit(
      trials: try numbers.map {
        try records[$0]
          ?? {
            throw TuningError.storage(
              path: store.location, reason: "trial \($0) of the ensemble is missing")
          }($0)
      },
      space: space, rows: data.train, image: data.image, workerRate: rate)
    let backends = try tune.makeBackends(try TrainConfiguration(space.options([:])), count: workers)
    let (ensemble, refitted) = try refit.run(built.ensemble, backends: backends, deadline: deadline)
    print(
      "refit: \(refitted.count) of \(numbers.count) members trained again on all \(data.train.rows) rows"
        + (refitted.isEmpty ? "" : " (trials \(refitted.map { "\(numbers[$0])" }.joined(separator: ", ")))")
        + " in \(Self.duration(Date().timeIntervalSince(started)))"
        + (refitted.count < numbers.count ? "; the others keep their searched models (no time left)" : ""))
    if let test, !refitted.isEmpty {
      print("test (\(test.rows) rows): refitted ensemble \(try EnsembleCommand.score(ensemble, on: test))")
    }
    return ensemble
  }

  /// `90s`, `10m`, `1h`, `1.5h` or a number of seconds, > 0.
  static func seconds(_ text: String) -> Double? {
    let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600]
    let (number, unit) = text.last.flatMap { units[$0] }.map { (text.dropLast(), $0) } ?? (Substring(text), 1)
    guard let value = Double(number), value.isFinite, value > 0 else { return nil }
    return value * unit
  }

  /// `9m 30s`.
  static func duration(_ seconds: Double) -> String {
    let whole = Int(seconds.rounded())
    return whole >= 60 ? "\(whole / 60)m \(whole % 60)s" : String(format: "%.1fs", seconds)
  }

  func run() throws -> Int32 {
    let start = Date()
    guard source.task == .classification else {
      throw UsageError(message: "--task regression: automl builds classifiers so far (its trials maximize accuracy)")
    }
    try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
    let model = "\(output)/model.safetensors"
    let inputs: [(flag: String, path: String?)] = [("data", source.data), ("test-data", source.testData)]
    for file in [model, "\(output)/model.onnx"] { try Inference.checkWritable(file, flag: "output", inputs: inputs) }
    let data = try TrainingData.load(source)
    let crossValidated = data.train.rows <= Self.crossValidationRows
    let refitting = !crossValidated && (refit == "on" || refit == "auto" && budget >= Self.refitBudget)
    if crossValidated && refit == "on" {
      CommandLineTool.warn(
        "--refit on: the \(data.train.rows) training rows are cross-validated, and the fold models use every row "
          + "already; no refit")
    }
    let search = budget * (refitting ? Self.refitPlan.search : Self.searchShare)
    let end = budget * Self.trainingShare - min(1, budget * 0.02)
    let training = refitting ? budget * Self.refitPlan.training - min(1, budget * 0.02) : end
    var fitted = AutoMLSpace(
      rows: data.train.rows, features: data.train.featureCount, outputs: data.outputWidth, searchSeconds: search,
      images: data.image != nil)
    if spacePath == nil { fitted.workerRate = try fitted.measureWorkerRate() }
    let spaceText = try spacePath.map { try String(contentsOfFile: $0, encoding: .utf8) } ?? fitted.json
    let spaceFile = "\(output)/space.json"
    if spacePath == nil { try FileSystem.writeAtomically(Array(spaceText.utf8), to: spaceFile) }
    print(
      "automl: \(data.train.rows) training rows, \(data.train.featureCount) inputs, \(data.outputWidth) classes"
        + "; budget \(Self.duration(budget)): trials start for \(Self.duration(search)) and train until "
        + "\(Self.duration(training))"
        + (crossValidated ? " (5-fold cross-validation)" : "")
        + ", then ensemble selection"
        + (refitting ? ", its members trained again on all \(data.train.rows) rows until \(Self.duration(end))" : "")
        + ", model file and ONNX export"
        + (spacePath == nil
          ? String(format: "; a worker trains %.2g multiply-adds a second here (measured)", fitted.workerRate) : ""))
    print("space (\(spacePath ?? spaceFile)):\n\(spaceText)")
    var options = [
      "--space", spacePath ?? spaceFile, "--data", source.data, "--trials", "100000", "--timeout", "\(search)",
      "--sampler", "tpe", "--pruner", "asha", "--keep-paused", "\(Self.pausedLimit)", "--seed", "\(seed)", "--study",
      study, "--output", output,
    ]
    // Small tables are cross-validated: every row scores trials, and the ensemble bags the folds.
    if crossValidated { options += ["--cv", "5"] }
    if let label = source.label { options += ["--label", label] }
    if let storage { options += ["--storage", storage] }
    if let workers { options += ["--workers", "\(workers)"] }
    if quiet { options.append("--quiet") }
    var tune = try TuneCommand(options)
    tune.preloaded = data
    if spacePath == nil { tune.startingPoints = fitted.startingPoints }
    tune.hardStop = start.addingTimeInterval(training)
    _ = try tune.run()
    let store = try studyStorage(storage ?? "\(output)/study.sqlite", create: false, readOnly: true)
    let built = try StudyEnsemble(
      storage: store, study: study, top: 50, selection: try EnsembleSelection(), backend: CPUBackend())
    let test = data.test.rows > 0 ? data.test : nil
    try EnsembleCommand.report(
      built, picks: 25, test: test, quiet: quiet, storeLocation: store.location, study: study)
    var final = built.ensemble
    if refitting {
      final = try refitMembers(
        built, store: store, space: try TuneSpace(json: Data(spaceText.utf8), source: spacePath ?? spaceFile),
        data: data, rate: spacePath == nil ? fitted.workerRate : try fitted.measureWorkerRate(), tune: tune,
        deadline: start.addingTimeInterval(end), test: test)
    }
    try final.save(to: model)
    try ONNXExport.write(final, to: "\(output)/model.onnx")
    let elapsed = Date().timeIntervalSince(start)
    let trials = built.selection.weights.count { $0 > 0 }
    print(
      "wrote \(model) (an ensemble of \(trials) trial\(trials == 1 ? "" : "s")) and \(output)/model.onnx; "
        + "leaderboard \(output)/trials.csv")
    print(
      "automl: done in \(Self.duration(elapsed)) of \(Self.duration(budget))"
        + String(format: " (%+.1f%%)", 100 * (elapsed / budget - 1)))
    return 0
  }
}

/// The search space `descent automl` starts from, fitted to the data and the budget: wider layers
/// for more inputs, batch sizes that give small tables enough steps, and as many epochs as let a
/// trial of middling width finish in a sixth of the search (at most 40 up to 2 000 rows, else 30
/// for a 10-minute budget's search, growing with longer ones and with a quarter of that estimate
/// to 100; at least 3), and settings to start from.
struct AutoMLSpace {
  var rows: Int
  var features: Int
  var outputs: Int
  var searchSeconds: Double
  /// IDX images: the space adds augmentation (none, 1-pixel shifts, shifts and horizontal flips).
  var images = false

  /// Multiply-adds a worker (one core) runs per second in training, for the estimate: by default a
  /// little under the 2.1·10¹⁰ measured for 784-256-128-10 on one core of a Zen 1 EPYC, our slowest
  /// CPU; `descent automl` measures it on the machine first (``measureWorkerRate()``), as a fixed
  /// rate gave a Zen 4 (2.6·10¹⁰) 4-epoch trials in a 2-minute budget.
  var workerRate = 1.5e10

  /// The model the epoch estimate is for: two hidden layers of the geometric mean of the widths.
  var middle: Double { (Double(units.0) * Double(units.1)).squareRoot() }

  /// Multiply-adds per row of a forward pass through two hidden layers of `width` units.
  func multiplyAdds(width: Double) -> Double {
    Double(features) * width + width * width + width * Double(outputs)
  }

  /// Times training steps of the estimate's model (batch 128, Adam, one thread, as a worker runs)
  /// for a quarter of a second after two warm-up steps, and returns its multiply-adds per second.
  func measureWorkerRate() throws -> Double {
    let backend = CPUBackend(threads: 1)
    let width = Int(middle.rounded())
    let model = try Sequential(inputFeatures: features, backend: backend, seed: 1) {
      try Dense(width, activation: .relu)
      try Dense(width, activation: .relu)
      try Dense(outputs)
    }
    let trainer = try Trainer(model: model, loss: .softmaxCrossEntropy, optimizer: Adam())
    let batch = 128
    let inputs = try backend.buffer((0..<batch * features).map { Float($0 % 7) / 7 })
    let labels = try backend.buffer((0..<batch).map { Float($0 % max(1, outputs)) })
    for _ in 0..<2 { try trainer.trainStep(inputs: inputs, targets: labels, rows: batch) }
    let start = Date()
    var steps = 0
    while steps < 5 || Date().timeIntervalSince(start) < 0.25 {
      try trainer.trainStep(inputs: inputs, targets: labels, rows: batch)
      steps += 1
    }
    try backend.synchronize()
    return 3 * Double(batch * steps) * multiplyAdds(width: Double(width)) / Date().timeIntervalSince(start)
  }

  var epochs: Int {
    // A step's forward and backward pass: about 3 multiply-adds per weight per row.
    let epochSeconds = 3 * Double(rows) * multiplyAdds(width: middle) / workerRate
    let estimate = searchSeconds / 6 / epochSeconds
    // A longer budget, or a faster machine, lets the best trials train longer: the cap grows with
    // the budget and to a quarter of the estimate (with a fixed 30, a 10-minute search on a Zen 5,
    // where the estimate is 290, left 18% of the budget unused and every trial at 30 epochs).
    let most = rows <= 2_000 ? 40 : min(100, max(30, Int(30 * searchSeconds / 480), Int(estimate / 4)))
    return max(3, min(most, Int(estimate)))
  }
  var units: (Int, Int) { features >= 256 ? (64, 1024) : features >= 32 ? (32, 512) : (8, 256) }
  /// Tables may have no hidden layer: a linear model (multinomial logistic regression), which on
  /// small tables often generalizes best (scikit-learn's logistic regression: 0.986 on breast
  /// cancer's test rows, its MLP 0.972) and costs next to nothing; images need hidden layers.
  var layers: (Int, Int) { images ? (1, 4) : (0, 4) }
  var batchSizes: [Int] { rows <= 2_000 ? [16, 32, 64] : rows <= 20_000 ? [32, 64, 128] : [64, 128, 256] }

  /// Settings the search tries first, as AutoGluon and FLAML start from known good defaults rather
  /// than random points: `descent train`'s defaults (two layers, 256 and 128 units, dropout 0.2,
  /// Adam 1e-3, cosine), a wide two-layer AdamW net and a wide one-layer GELU net, each within
  /// the space (units clipped to its range, the middle batch size); for tables also a linear
  /// model with L2 weight decay (Adam 1e-2), as AutoGluon's portfolio has a logistic regression.
  var startingPoints: [[String: ParameterValue]] {
    func units(_ count: Int) -> ParameterValue { .int(min(max(count, self.units.0), self.units.1)) }
    let common: [String: ParameterValue] = [
      "batch-size": .int(batchSizes[1]), "schedule": .string("cosine"), "initializer": .string("he-uniform"),
    ]
    let image: [String: ParameterValue] = images ? ["augment": .string("none")] : [:]
    let points: [[String: ParameterValue]] = [
      [
        "hidden.layers": .int(2), "hidden.units.1": units(256), "hidden.units.2": units(128),
        "activation": .string("relu"), "dropout": .float(0.2), "optimizer": .string("adam"),
        "learning-rate": .float(1e-3), "weight-decay": .float(1e-6),
      ],
      [
        "hidden.layers": .int(2), "hidden.units.1": units(self.units.1), "hidden.units.2": units(self.units.1 / 2),
        "activation": .string("relu"), "dropout": .float(0.3), "optimizer": .string("adamw"),
        "learning-rate": .float(1e-3), "weight-decay": .float(1e-4),
      ],
      [
        "hidden.layers": .int(1), "hidden.units.1": units(self.units.1), "activation": .string("gelu"),
        "dropout": .float(0.25), "optimizer": .string("adamw"), "learning-rate": .float(2e-3),
        "weight-decay": .float(1e-3),
      ],
    ]
    let linear: [String: ParameterValue] = [
      "hidden.layers": .int(0), "activation": .string("relu"), "dropout": .float(0), "optimizer": .string("adam"),
      "learning-rate": .float(1e-2), "weight-decay": .float(1e-3), "initializer": .string("glorot-uniform"),
    ]
    return (points + (images ? [] : [linear])).map { $0.merging(common) { a, _ in a }.merging(image) { a, _ in a } }
  }

  /// The space as `descent tune --space` reads it.
  var json: String {
    let augment = images ? "\n  \"augment\": {\"choice\": [\"none\", \"shift=1\", \"shift=1,flip\"]}," : ""
    return
      """
      {
        "epochs": \(epochs),
        "hidden": {"layers": {"int": [\(layers.0), \(layers.1)]}, \
      "units": {"int": [\(units.0), \(units.1)], "log": true}},
        "initializer": {"choice": ["he-uniform", "glorot-uniform", "lecun-normal"]},\(augment)
        "activation": {"choice": ["relu", "gelu", "silu"]},
        "dropout": {"float": [0, 0.5], "step": 0.05},
        "optimizer": {"choice": ["adamw", "adam", "sgd"]},
        "learning-rate": {"float": [1e-4, 3e-2], "log": true},
        "momentum": {"float": [0.8, 0.99], "when": {"optimizer": "sgd"}},
        "weight-decay": {"float": [1e-6, 1e-2], "log": true},
        "schedule": {"choice": ["constant", "cosine"]},
        "batch-size": {"choice": [\(batchSizes.map(String.init).joined(separator: ", "))]}
      }

      """
  }
}
