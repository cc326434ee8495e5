import CommandFlags
import CommandFlags
import Descent
import DescentTuning
import Foundation

/// `descent tune`: a hyperparameter study over `descent train`'s settings on Fashion-MNIST,
/// stored in SQLite or on a PostgreSQL server that workers on other machines join, with plots,
/// exports and an optional retraining of the best settings.
struct TuneCommand {
  var spacePath: String?
  var trials = 20
  var timeout: Double?
  var sampler = "tpe"
  var warmStart: String?
  var objectives: [TuneMetric] = [.accuracy]
  var population: Int?
  var interval: Int?
  var constraints: [TuneConstraint] = []
  var pick: Int?
  var pruner = "median"
  var keepPaused: Int?
  var folds: Int?
  var validation = 0.2
  var workers: Int?
  var seed: UInt64 = 42
  var storage: String?
  var study = "default"
  var output = "descent-tune"
  var retrain = false
  var data = FashionMNIST.defaultDirectory
  var label: String?
  var testData: String?
  var limit: Int?
  var quiet = false
  var show = false
  var retryFailed = 0
  var worker = false
  var create = false
  /// The options given, to refuse study settings on `--worker` (they come from the store).
  var given: Set<String> = []
  /// The space's JSON when it comes from the store (`--worker`).
  var storedSpace: String?
  /// The data `--data` names, when the caller (`descent automl`) has read it already.
  var preloaded: TrainingData?
  /// A hard end for `descent automl`'s budget: no trial starts an epoch that would end after it.
  var hardStop: Date?
  /// Settings a new study tries first (`descent automl`'s known good ones), queued before trial 0
  /// and never stopped by the pruner (``SparingPruner``).
  var startingPoints: [[String: ParameterValue]] = []

  /// Every flag, once, with its help line.
  static let flags = FlagTable<TuneCommand>(
    "tune",
    [
      .value(
        "space", "FILE",
        """
        JSON: `descent train` keys, each fixed ("epochs": 3) or a range:
        {"float": [1e-4, 1e-1], "log": true}, {"int": [32, 256], "step": 32},
        {"choice": ["adam", "sgd"]}, with "when": {"optimizer": "sgd"} for a
        conditional one; "hidden": {"layers": {"int": [1, 3]}, "units": {"int": [32, 512]}}
        """, \.spacePath, expected: "a file"),
      .value(
        "trials", "20", "trials the study should hold (a reopened study continues to this number)", \.trials,
        expected: "a whole number >= 1"
      ) { $0 >= 1 },
      .value(
        "timeout", "SECONDS", "end the study then: no trial starts, running ones stop after their epoch", \.timeout,
        expected: "a number of seconds > 0"
      ) { $0 > 0 && $0.isFinite },
      .choice(
        "sampler", "tpe", \.sampler, choices: ["tpe", "random", "grid", "cmaes", "nsga2"],
        help: """
          tpe, random, grid (every combination once; floats need a step), cmaes
          (numbers searched jointly; choices from the best trials' frequencies) or
          nsga2 (several objectives; the default for them, where tpe also works)
          """),
      Flag(
        "objectives", "accuracy",
        """
        what trials optimize: accuracy (maximized), loss, parameters, latency
        (batch-1 ms on the trial's backend), size-bytes; several: a Pareto front
        (NSGA-II by default; no pruning unless --pruner pareto)
        """, kind: .list
      ) { settings, text in
        guard let metrics = TuneMetric.parse(text.split(separator: ",").map(String.init)) else {
          return TuneMetric.expected
        }
        settings.objectives = metrics
        return nil
      },
      Flag(
        "constraints", "METRIC<=X,...", "bounds trials must keep (parameters<=200000): NSGA-II ranks the others last",
        kind: .list
      ) { settings, text in
        let parsed = text.split(separator: ",").map { TuneConstraint(String($0)) }
        guard parsed.allSatisfy({ $0 != nil }) else { return TuneConstraint.expected }
        settings.constraints = parsed.map { $0! }
        return nil
      },
      .value(
        "pbt", "N",
        """
        population-based training: N members (the study's trials) train together;
        every --interval epochs the bottom quarter copies a top-quarter member's
        exact checkpoint and perturbs its learning-rate, momentum, dropout and
        weight-decay (x0.8 or x1.2, or redrawn with probability 0.25)
        """, \.population, expected: "a whole number >= 2"
      ) { $0 >= 2 },
      .value(
        "interval", "EPOCHS", "with --pbt: epochs between copies (default: a fifth of the epochs, at least 1)",
        \.interval, expected: "a whole number >= 1"
      ) { $0 >= 1 },
      .value(
        "pick", "TRIAL", "with --retrain and several objectives: the front's trial to retrain", \.pick,
        expected: "a trial number"),
      .value(
        "warm-start", "STUDY", "with --sampler cmaes: start from the best 10% of STUDY's trials in the same store",
        \.warmStart, expected: "a study's name"),
      .choice(
        "pruner", "median", \.pruner, choices: ["none", "median", "asha", "pareto"],
        help: """
          none, median (after 5 complete trials), asha (min resource 1 epoch,
          factor 4; trials pause at a checkpoint in the store and are promoted) or,
          with several objectives, pareto (stop a trial another beats at the epoch)
          """),
      .value(
        "keep-paused", "N",
        """
        with --pruner asha: at most N paused trials keep their checkpoints (the
        store's size); the others, ranked worst where they paused, are pruned
        """, \.keepPaused, expected: "a whole number >= 0"
      ) { $0 >= 0 },
      .value(
        "cv", "K", "K-fold cross-validation (stratified); folds train interleaved, epoch by epoch", \.folds,
        expected: "a whole number >= 2"
      ) { $0 >= 2 },
      .value(
        "validation", "0.2", "without --cv: the fraction of the training set held out to score trials",
        \.validation, expected: "a fraction in (0, 1)"
      ) { $0 > 0 && $0 < 1 },
      .value(
        "workers", "N",
        """
        trials at once, each on its own backend (default: one per OpenCL device, or per core
        on the CPU)
        """, \.workers, expected: "a whole number >= 1"
      ) { $0 >= 1 },
      .value(
        "seed", "42", "seeds the sampler and the folds (a trial's weights use the space's \"seed\")", \.seed,
        expected: "a whole number >= 0"),
      .value(
        "storage", "PATH|URL",
        """
        the study's SQLite file (default OUTPUT/study.sqlite; also sqlite:PATH) or
        postgresql://USER@HOST[:PORT]/DATABASE for workers on many machines
        (password from PGPASSWORD or ~/.pgpass; TLS: ?sslmode=require)
        """, \.storage, expected: "a path or URL"),
      .value("study", "default", "the study's name; one store may hold several", \.study, expected: "a name"),
      .value(
        "retry-failed", "N", "re-queue a failed or lost trial with the same parameters, up to N times", \.retryFailed,
        expected: "a whole number >= 0"
      ) { $0 >= 0 },
      .toggle("create", "store the study and its settings, run no trial", \.create),
      .toggle(
        "worker",
        """
        join the study in --storage named by --study: its space and settings
        come from the store; runs trials until the study has enough
        """, \.worker),
      .value(
        "output", "descent-tune", "where trials.csv, trials.json and the plots go", \.output, expected: "a folder"),
      .toggle("retrain", "train the best settings on the whole training set and report test accuracy", \.retrain),
      .value(
        "data", "PATH",
        """
        a folder of IDX files or a CSV file with a header line, as for train (a
        CSV file's test rows, --test-data or train's 20% split, are never tuned on)
        """, \.data, expected: "a path"),
      .value("label", "COLUMN", "the CSV column to predict (classes), as for train", \.label, expected: "a column"),
      .value(
        "test-data", "FILE", "a CSV file to test --retrain's model on, as for train", \.testData, expected: "a file"),
      .value(
        "limit", "N", "use the first N training rows only (quick studies)", \.limit, expected: "a whole number >= 1"
      ) { $0 >= 1 },
      .toggle("quiet", "no progress output", \.quiet),
      .toggle(
        "show",
        """
        print the stored study's ranked trials (with --output: also the exports
        and plots so far); run nothing, change nothing
        """, \.show),
    ])

  static var help: String { flags.help }

  init(_ options: [String]) throws {
    given = Set(try Self.flags.parse(options, into: &self).map { "--\($0)" })
    if show || worker {
      let mode = show ? "--show" : "--worker"
      guard storage != nil else { throw UsageError(message: "\(mode) needs --storage PATH|URL (the study's store)") }
      let settings = given.intersection(Self.studySettings)
      guard settings.isEmpty || show else {
        throw UsageError(
          message:
            "--worker takes the study's settings from the store; leave out \(settings.sorted().joined(separator: ", "))"
        )
      }
      guard !(show && worker) && !create else {
        throw UsageError(message: "\(mode) cannot be combined with --create or each other")
      }
    } else if spacePath == nil {
      throw UsageError(message: "tune needs --space FILE (or --storage PATH|URL with --show or --worker)")
    }
    if keepPaused != nil, pruner != "asha" {
      throw UsageError(message: "--keep-paused bounds ASHA's paused trials: it needs --pruner asha (given: \(pruner))")
    }
    if warmStart != nil, sampler != "cmaes" {
      throw UsageError(message: "--warm-start starts CMA-ES: it needs --sampler cmaes (given: \(sampler))")
    }
    try choosePareto()
    try choosePopulation()
  }

  /// With `--pbt`: the population is the study's trials, the barrier its pruner, one validation
  /// split; refuses what does not fit.
  mutating func choosePopulation() throws {
    guard let population else {
      if interval != nil {
        throw UsageError(message: "--interval is the epochs between PBT's copies: it needs --pbt N")
      }
      return
    }
    for flag in ["--trials", "--pruner", "--cv", "--objectives", "--constraints"] where given.contains(flag) {
      throw UsageError(
        message: "--pbt \(population) trains \(population) members with its own schedule: leave out \(flag)")
    }
    (trials, pruner) = (population, "none")
    if !given.contains("--sampler") { sampler = "random" }
  }

  /// The parameters `--pbt` perturbs: those of the space's searched ones it names.
  static let perturbable = ["learning-rate", "momentum", "dropout", "weight-decay"]

  /// With several objectives or constraints: NSGA-II and no pruning unless chosen, and refuses
  /// what cannot rank them.
  mutating func choosePareto() throws {
    let several = objectives.count > 1
    guard several || !constraints.isEmpty else {
      if sampler == "nsga2" {
        throw UsageError(message: "--sampler nsga2 searches several objectives: give --objectives")
      }
      if pick != nil { throw UsageError(message: "--pick chooses from a front: it needs several --objectives") }
      if pruner == "pareto" {
        throw UsageError(message: "--pruner pareto judges several objectives: give --objectives")
      }
      return
    }
    if !given.contains("--sampler") { sampler = "nsga2" }
    guard ["nsga2", "tpe", "random", "grid"].contains(sampler) else {
      throw UsageError(
        message: "--sampler \(sampler) ranks trials by one value: several objectives or --constraints take nsga2, "
          + "tpe, random or grid")
    }
    if several {
      if retrain && pick == nil {
        throw UsageError(message: "--retrain with several objectives needs --pick TRIAL (a trial of the front)")
      }
      if !given.contains("--pruner") { pruner = "none" }
      guard ["none", "pareto"].contains(pruner) else {
        throw UsageError(message: "--pruner \(pruner) judges one value: several objectives take none or pareto")
      }
    }
  }

  /// The trials of study `name` in `store` (a warm start's source).
  static func trials(of name: String, in store: any StudyStorage) throws -> [TrialRecord] {
    let studies = try store.studies()
    guard let source = studies.first(where: { $0.name == name }) else {
      throw TuningError.noSuchStudy(path: store.location, study: name, available: studies.map(\.name))
    }
    return try store.trials(study: source.id)
  }

  /// Options that shape the study's trials: stored with it, so workers take them from there.
  static let studySettings: Set = [
    "--space", "--trials", "--timeout", "--sampler", "--pruner", "--cv", "--validation",
    "--seed", "--limit", "--retry-failed", "--label", "--warm-start", "--objectives", "--constraints", "--pbt",
    "--interval", "--keep-paused",
  ]

  func run() throws -> Int32 {
    if show { return try showStudy() }
    if storage == nil { try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true) }
    let store = try studyStorage(storage ?? "\(output)/study.sqlite", create: !worker)
    var command = self
    if worker { try command.adopt(try storedSettings(in: store), from: store.location) }
    return try command.runStudy(store)
  }

  /// The settings the study's creator stored.
  private func storedSettings(in store: any StudyStorage) throws -> TuneSettings {
    let studies = try store.studies()
    guard let stored = studies.first(where: { $0.name == study }) else {
      throw TuningError.noSuchStudy(path: store.location, study: study, available: studies.map(\.name))
    }
    guard let text = try store.settings(study: stored.id) else {
      throw UsageError(
        message: "study '\(study)' in \(store.location) holds no `descent tune` settings (it was made by the library): "
          + "run `descent tune --space FILE --storage ... --study \(study) --create` first")
    }
    do {
      return try JSONDecoder().decode(TuneSettings.self, from: Data(text.utf8))
    } catch let DecodingError.keyNotFound(key, _) {
      throw UsageError(
        message: "study '\(study)' in \(store.location): its stored settings lack \"\(key.stringValue)\"")
    } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
      let field = context.codingPath.map(\.stringValue).joined(separator: ".")
      throw UsageError(message: "study '\(study)' in \(store.location): its stored \"\(field)\" has the wrong type")
    } catch {
      throw UsageError(message: "study '\(study)' in \(store.location): its stored settings are not JSON")
    }
  }

  /// Takes the study's stored settings, each checked as its flag checks it (a store is input: a
  /// damaged or edited value is an error naming it, never a silent default).
  private mutating func adopt(_ settings: TuneSettings, from location: String) throws {
    storedSpace = settings.space
    (timeout, folds, limit, warmStart, keepPaused) = (nil, nil, nil, nil, nil)
    (objectives, constraints, population, interval) = ([.accuracy], [], nil, nil)
    let values: [(String, String?)] = [
      ("trials", "\(settings.trials)"), ("timeout", settings.timeout.map { "\($0)" }), ("sampler", settings.sampler),
      ("pruner", settings.pruner), ("cv", settings.folds.map { "\($0)" }), ("validation", "\(settings.validation)"),
      ("seed", "\(settings.seed)"), ("limit", settings.limit.map { "\($0)" }),
      ("retry-failed", "\(settings.retryFailed)"), ("label", settings.label), ("warm-start", settings.warmStart),
      ("objectives", settings.objectives?.joined(separator: ",")), ("pbt", settings.population.map { "\($0)" }),
      ("interval", settings.interval.map { "\($0)" }), ("keep-paused", settings.keepPaused.map { "\($0)" }),
      ("constraints", settings.constraints.flatMap { $0.isEmpty ? nil : $0.joined(separator: ",") }),
    ]
    for case let (name, text?) in values {
      try Self.flags.set(name, text, in: &self, source: "study '\(study)' in \(location): stored \"\(name)\"")
    }
  }

  private func runStudy(_ store: any StudyStorage) throws -> Int32 {
    let space =
      try storedSpace.map { try TuneSpace(json: Data($0.utf8), source: "the space stored with study '\(self.study)'") }
      ?? TuneSpace(path: spacePath!)
    let base = try TrainConfiguration(space.options([:]))
    let chosenSampler: any Sampler =
      switch sampler {
      case "grid": try GridSampler(space.space)
      case "random": RandomSampler(seed: seed)
      case "cmaes": try CMAESSampler(seed: seed, warmStart: warmStart.map { try Self.trials(of: $0, in: store) } ?? [])
      case "nsga2": try NSGAIISampler(seed: seed)
      default: TPESampler(seed: seed)
      }
    let members = try population.map { population in
      let searched = space.space.parameters.filter { parameter in
        if case .categorical = parameter.domain { return false }
        return true
      }.map(\.name)
      let perturbed = Self.perturbable.filter(searched.contains)
      if let fixed = ["epochs", "batch-size", "augment"].first(where: space.space.parameters.map(\.name).contains) {
        throw UsageError(
          message: "--pbt: members share \"\(fixed)\" (their schedule depends on it); fix it in the space")
      }
      guard !perturbed.isEmpty else {
        throw UsageError(
          message: "--pbt perturbs \(Self.perturbable.joined(separator: ", ")): the space must search one of them")
      }
      return try PopulationBasedTraining(
        population: population, interval: interval ?? max(1, base.epochs / 5), perturbed: Set(perturbed), seed: seed)
    }
    let judge: any Pruner =
      switch pruner {
      case _ where members != nil: members!.barrier
      case "median": try MedianPruner()
      case "asha": try SuccessiveHalvingPruner()
      case "pareto": try ParetoPruner(directions: objectives.map(\.direction))
      default: NoPruner()
      }
    // The starting points are the study's first trials (enqueued into an empty study, below).
    let chosenPruner = startingPoints.isEmpty ? judge : SparingPruner(judge, sparing: startingPoints.count)
    let study = try Study(
      name: study, storage: store, directions: objectives.map(\.direction), constraints: constraints.count,
      sampler: chosenSampler, pruner: chosenPruner, space: space.space, retryFailed: retryFailed,
      pausing: pruner == "asha" || members != nil, pausedLimit: keepPaused)
    if !worker {
      let settings = TuneSettings(
        space: space.text, trials: trials, timeout: timeout, sampler: sampler, pruner: pruner, folds: folds,
        validation: validation, seed: seed, limit: limit, retryFailed: retryFailed, label: label,
        warmStart: warmStart, objectives: objectives.map(\.rawValue), constraints: constraints.map(\.description),
        population: population, interval: interval, keepPaused: keepPaused)
      // Sorted keys: the same settings are the same text (Foundation's key order is not fixed).
      let encoder = JSONEncoder()
      encoder.outputFormatting = .sortedKeys
      try study.storeSettings(String(decoding: try encoder.encode(settings), as: UTF8.self))
    }
    if try !startingPoints.isEmpty && study.trials().isEmpty {
      for point in startingPoints { try study.enqueue(point) }
    }
    if create {
      print(
        "study '\(self.study)' in \(store.location): \(trials) trials, \(sampler) sampler, \(pruner) pruner; start "
          + "workers with:\n"
          + "  " + ShellWords.line(["descent", "tune", "--storage", store.location, "--study", self.study, "--worker"]))
      return 0
    }
    try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
    var source = DataSource()
    (source.data, source.label, source.testData) = (data, label, testData)
    let loaded = try preloaded ?? TrainingData.load(source)
    loaded.warnings.forEach(CommandLineTool.warn)
    if !quiet { loaded.notes.forEach { print($0) } }
    if loaded.image == nil, base.augmentation != nil || space.space.parameters.contains(where: { $0.name == "augment" })
    {
      throw UsageError(message: "the space's \"augment\" needs image data (IDX files of [n, height, width])")
    }
    var train = loaded.train
    if let limit, limit < train.rows { train = train.subset(0..<limit) }
    // As train does: pixels scaled; CSV inputs standardized with the tuning rows' statistics.
    var preprocessing = loaded.preprocessing
    if loaded.standardize {
      preprocessing.standardization = Standardization(
        fitting: try Preprocessing(scale: preprocessing.scale).apply(to: train))
    }
    train = try preprocessing.apply(to: train)
    let splits: [Fold] =
      if let folds {
        try train.folds(folds, seed: seed, stratified: true)
      } else {
        try {
          let (rest, held) = try train.split(fraction: validation, seed: seed);
          return [Fold(train: rest, validation: held)]
        }()
      }
    let backends = try makeBackends(base, count: workers)
    if !quiet {
      print(
        "study '\(self.study)' in \(store.location): \(sampler) sampler, \(pruner) pruner, "
          + (folds.map { "\($0)-fold cross-validation" } ?? "\(splits[0].validation.rows) validation rows")
          + ", maximizing validation accuracy; workers: \(backends.map(\.name).joined(separator: ", "))")
    }
    let names = space.space.parameters.map(\.name)
    let (featureCount, outputs, fitted) = (train.featureCount, loaded.outputWidth, preprocessing)
    let printLock = NSLock()
    let (objectives, constraints) = (self.objectives, self.constraints)
    let domains = Dictionary(uniqueKeysWithValues: space.space.parameters.map { ($0.name, $0.domain) })
    try study.optimize(
      trials: trials, timeout: timeout, runningUntil: hardStop, devices: backends.map(\.name),
      onTrialFinished: { record, best in
        guard !quiet else { return }
        let parameters = names.compactMap { name in record.parameters[name].map { "\(name)=\($0.short)" } }.joined(
          separator: " ")
        let value =
          !record.values.isEmpty
          ? zip(objectives, record.values).map { "\($0.rawValue) \(String(format: "%.4g", $1))" }.joined(separator: " ")
          : record.value.map { String(format: "%.4f", $0) } ?? record.lastStep.map {
            "step \($0): " + String(format: "%.4f", record.intermediate[$0] ?? .nan)
          } ?? "-"
        let bestText = best.map { String(format: "best %.4f (trial %d)", $0.value!, $0.number) } ?? "best -"
        // ASHA's rung (from 1) the trial reached; automl's time left before its hard end.
        let rung = (chosenPruner as? SuccessiveHalvingPruner).flatMap { asha in
          record.lastStep.map { "  rung \(asha.rungs(upTo: $0).count)" }
        }
        let left = hardStop.map { "  " + AutoMLCommand.duration(max(0, $0.timeIntervalSinceNow)) + " left" }
        printLock.withLock {
          print(
            "trial \(record.number)  \(record.state.rawValue)  \(value)\(rung ?? "")  \(bestText)  \(record.device)  "
              + String(format: "%.1f s", record.seconds ?? 0) + (left ?? "") + "  \(parameters)"
              + (record.error.map { "  error: \($0)" } ?? ""))
        }
      }
    ) { trial, worker in
      for parameter in space.space.parameters where parameter.isActive(given: trial.parameters) {
        _ = try trial.suggest(parameter)
      }
      let settings = try TrainConfiguration(space.options(trial.parameters))
      var augmentation: ImageAugmentation?
      if let augment = settings.augmentation, let image = loaded.image {  // no image: refused above
        augmentation = try ImageAugmentation(
          width: image.width, height: image.height, maxShift: augment.shift, horizontalFlip: augment.flip,
          noiseDeviation: augment.noise)
      }
      if let members {
        let build = { (parameters: [String: ParameterValue]) throws -> Trainer in
          let settings = try TrainConfiguration(space.options(parameters))
          let model = try settings.makeModel(featureCount: featureCount, outputs: outputs, backend: backends[worker])
          (model.output, model.preprocessing) = (loaded.output, fitted)
          return try settings.makeTrainer(model: model, hasValidation: true)
        }
        var final: Sequential?
        let value = try trial.trainMember(
          members, train: splits[0].train, validation: splits[0].validation, epochs: settings.epochs,
          batchSize: settings.batchSize, domains: domains, augmentation: augmentation, makeTrainer: build,
          trained: { final = $0.model })
        if let final { try trial.keepForEnsembles([final], folds: splits) }
        return [value]
      }
      var (models, trainers) = ([Sequential](), [Trainer]())
      let row = Array(splits[0].validation.features.prefix(featureCount))
      // Several objectives: each epoch reports every one (for --pruner pareto); the last epoch's
      // are the trial's.
      var last: [TuneMetric: Double] = [:]
      let vector: (([Trainer]) throws -> [Double])? =
        objectives.count < 2
        ? nil
        : { trainers in
          let accuracies = trainers.compactMap { $0.history.epochs.last?.value(named: "validation accuracy") }
          last = try TuneMetric.measure(
            Set(objectives), accuracy: accuracies.reduce(0, +) / Double(max(1, accuracies.count)),
            models: trainers.map(\.model), trainers: trainers, row: row)
          return objectives.map { last[$0]! }
        }
      let result = Result {
        try trial.crossValidate(
          splits, epochs: settings.epochs, batchSize: settings.batchSize, augmentation: augmentation,
          stopBefore: hardStop, objectives: vector
        ) { _ in
          let model = try settings.makeModel(featureCount: featureCount, outputs: outputs, backend: backends[worker])
          (model.output, model.preprocessing) = (loaded.output, fitted)
          models.append(model)
          trainers.append(try settings.makeTrainer(model: model, hasValidation: true))
          return trainers.last!
        }
      }
      // For `descent ensemble`: the models and their validation predictions, in the store; a
      // pruned or stopped trial's too, as trained so far.
      if case let .failure(error) = result, !(error is TrialPruned || error is TrialPaused) { throw error }
      try trial.keepForEnsembles(models, folds: splits)
      let accuracy = try result.get()
      guard objectives != [.accuracy] || !constraints.isEmpty else { return [accuracy] }
      let measured = try TuneMetric.measure(
        Set(objectives + constraints.map(\.metric)).subtracting(last.keys), accuracy: accuracy, models: models,
        trainers: trainers, row: row
      ).merging(last) { _, epoch in epoch }
      return objectives.map { measured[$0]! } + constraints.map { $0.value(measured) }
    }
    let trials = try study.trials()
    let report = StudyReport(trials: trials, direction: .maximize, parameters: names)
    try writeOutputs(report, space: space.space)
    if objectives.count > 1 { return try finishPareto(study, trials: trials, space: space, names: names) }
    if !quiet { print(report.table(limit: 10), terminator: "") }
    guard let best = report.best else { return noneCompleted(trials) }
    print(
      String(format: "best: trial %d, validation accuracy %.4f", best.number, best.value!)
        + (best.foldStandardDeviation.map { String(format: " ± %.4f over folds", $0) } ?? "")
        + "  " + ShellWords.line(space.options(best.parameters)))
    if !quiet { print("wrote \(output)/trials.csv, trials.json, history.svg, slice.svg, intermediate.svg") }
    return retrain ? try retrainSettings(space.options(best.parameters)) : 0
  }

  /// The end of a run in which no trial completed: a failure, unless trials still run in other
  /// processes (a worker that joins a study whose every trial is taken has done its part; one
  /// that finds a population's members all running, too).
  private func noneCompleted(_ trials: [TrialRecord]) -> Int32 {
    let elsewhere = trials.filter { $0.state == .running }.count
    guard elsewhere == 0 else {
      print("no trial completed yet: \(elsewhere) still running in other workers")
      return 0
    }
    print("no trial completed; see \(output)/trials.csv for the errors")
    return ExitCode.failure
  }

  /// Trains `options` (a trial's settings) on the whole training set into OUTPUT/best.
  private func retrainSettings(_ options: [String]) throws -> Int32 {
    var options = options + ["--validation", "0", "--output", "\(output)/best", "--data", data]
    if let limit { options += ["--limit", "\(limit)"] }
    if let label { options += ["--label", label] }
    if let testData { options += ["--test-data", testData] }
    if quiet { options.append("--quiet") }
    if !quiet { print("retraining the chosen settings on the whole training set:") }
    return try TrainCommand(options).run()
  }

  /// A study of several objectives ends with its front: printed, written as pareto.csv,
  /// pareto.json (with the hypervolume per NSGA-II generation) and pareto.svg, and with
  /// `--retrain`, the `--pick`ed trial of it retrained.
  private func finishPareto(_ study: Study, trials: [TrialRecord], space: TuneSpace, names: [String]) throws -> Int32 {
    let pareto = ParetoReport(
      trials: trials, names: objectives.map(\.rawValue), directions: study.directions, parameters: names)
    let generation = (study.sampler as? NSGAIISampler)?.population ?? 50
    try FileSystem.writeAtomically(Array(pareto.csv.utf8), to: "\(output)/pareto.csv")
    try FileSystem.writeAtomically(Array(try pareto.json(generation: generation).utf8), to: "\(output)/pareto.json")
    try FileSystem.writeAtomically(Array(pareto.svg.utf8), to: "\(output)/pareto.svg")
    print(pareto.table, terminator: "")
    let volumes = pareto.hypervolumes(generation: generation).map { String(format: "%.4g", $0) }
    print("hypervolume after each \(generation) trials: \(volumes.joined(separator: ", "))")
    if !quiet { print("wrote \(output)/pareto.csv, pareto.json, pareto.svg, trials.csv, trials.json") }
    guard !pareto.front.isEmpty else { return noneCompleted(trials) }
    guard retrain else { return 0 }
    let numbers = pareto.front.map { "\($0.number)" }.joined(separator: ", ")
    guard let pick else {
      throw UsageError(message: "--retrain with several objectives needs --pick TRIAL (one of \(numbers))")
    }
    guard let chosen = pareto.front.first(where: { $0.number == pick }) else {
      throw UsageError(message: "--pick \(pick) is not on the front (its trials: \(numbers))")
    }
    return try retrainSettings(space.options(chosen.parameters))
  }
}
