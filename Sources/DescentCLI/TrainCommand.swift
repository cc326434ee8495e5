import CommandFlags
import Descent
import DescentOpenCL
import Foundation

/// `descent train`: trains an MLP on Fashion-MNIST, other IDX images or a CSV file (classification
/// or regression), prints the test score, and writes the history (CSV, JSON, SVG plot) and the
/// model file (weights with the description ``Sequential/load(contentsOf:backend:)`` rebuilds from).
struct TrainCommand {
  let configuration: TrainConfiguration

  init(_ options: [String]) throws {
    configuration = try TrainConfiguration(options)
  }

  func run() throws -> Int32 {
    let settings = configuration
    try checkOutputs()
    let backend = try chooseBackend()
    let data = try TrainingData.load(settings.dataSource)
    data.warnings.forEach(CommandLineTool.warn)
    var train = data.train
    if let limit = settings.limit, limit < train.rows { train = train.subset(0..<limit) }
    var validation: Dataset?
    if settings.validation > 0 {
      (train, validation) = try train.split(fraction: settings.validation, seed: settings.seed)
    }
    // Standardization is fitted on the rows the model trains on, then applied to every set.
    var preprocessing = data.preprocessing
    if data.standardize {
      preprocessing.standardization = Standardization(
        fitting: try Preprocessing(scale: preprocessing.scale).apply(to: train))
    }
    train = try preprocessing.apply(to: train)
    validation = try validation.map(preprocessing.apply)
    let test = try preprocessing.apply(to: data.test)

    let model = try settings.makeModel(featureCount: train.featureCount, outputs: data.outputWidth, backend: backend)
    (model.output, model.preprocessing) = (data.output, preprocessing)
    let trainer = try settings.makeTrainer(model: model, hasValidation: validation != nil)
    if !settings.quiet {
      print("device: \(backend.name)")
      data.notes.forEach { print($0) }
      print(model.summary)
      print(
        "optimizer: \(trainer.optimizer); schedule: \(settings.schedule); \(train.rows) training rows, "
          + "\(validation?.rows ?? 0) validation, \(test.rows) test")
    }
    try trainer.validate(test)
    if settings.resume, let path = settings.checkpoint, FileManager.default.fileExists(atPath: path) {
      try trainer.restoreCheckpoint(from: path)
      if !settings.quiet { print("resumed from \(path) after epoch \(trainer.epoch)") }
    }
    let augmentation = try settings.augmentation.map { augment in
      guard let image = data.image else {
        throw UsageError(message: "--augment needs image data (IDX files of [n, height, width])")
      }
      return try ImageAugmentation(
        width: image.width, height: image.height, maxShift: augment.shift,
        horizontalFlip: augment.flip, noiseDeviation: augment.noise)
    }
    let started = Date()
    let history = try trainer.fit(
      train, validation: validation, epochs: settings.epochs, batchSize: settings.batchSize,
      augmentation: augmentation,
      callbacks: settings.checkpoint.map { [.checkpoint(path: $0)] } ?? [],
      progress: settings.quiet ? .silent : .automatic)
    let seconds = Date().timeIntervalSince(started)
    let result = try trainer.evaluate(test)
    try writeOutputs(history, model: model, finite: result.loss.isFinite)
    let epochs = history.epochs.count == 1 ? "1 epoch" : "\(history.epochs.count) epochs"
    let scores =
      settings.dataSource.task == .regression
      ? String(format: "test mse %.6g  test mae %.6g", result.metrics["mse"] ?? .nan, result.metrics["mae"] ?? .nan)
      : String(format: "test accuracy %.2f%%  test loss %.4f", (result.metrics["accuracy"] ?? .nan) * 100, result.loss)
    print(
      String(
        format: "%@  (%@ in %.1f s on %@)", scores as NSString, epochs as NSString, seconds,
        backend.name as NSString))
    if !settings.quiet { print("wrote \(settings.output)/history.csv, history.json, history.svg, weights.safetensors") }
    return 0
  }

  /// The backend `--backend` and `--device` choose (``Backends/choose(_:device:)``).
  func chooseBackend() throws -> any Backend {
    try Backends.choose(configuration.backend, device: configuration.device)
  }

  /// The files a run writes into the output folder.
  static let outputFiles = ["history.csv", "history.json", "history.svg", "weights.safetensors"]

  /// Before any work: the output folder and the checkpoint's folder exist (created if needed) and
  /// take a file, and the checkpoint is not one of the outputs (they would overwrite it).
  private func checkOutputs() throws {
    let settings = configuration
    func canonical(_ path: String) -> String {
      URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }
    if let checkpoint = settings.checkpoint {
      for file in Self.outputFiles where canonical("\(settings.output)/\(file)") == canonical(checkpoint) {
        throw UsageError(
          message:
            "--checkpoint \(checkpoint) is the output file \(settings.output)/\(file): the run would overwrite it; "
            + "choose another path"
        )
      }
    }
    let folders =
      [settings.output]
      + (settings.checkpoint.map { [URL(fileURLWithPath: $0).deletingLastPathComponent().path] } ?? [])
    for folder in folders {
      do {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
      } catch {
        throw DataError.unwritable(
          path: folder, reason: "cannot create the folder (\(String(cString: strerror(errno))))")
      }
      if let reason = FileSystem.fileCreationError(in: folder) {
        throw DataError.unwritable(path: folder, reason: "cannot create files there (\(reason))")
      }
    }
  }

  /// Writes the history files, then the weights, or fails with a non-zero exit if they or the
  /// test loss are not finite (the history is still written, to show where the run went wrong).
  private func writeOutputs(_ history: History, model: Sequential, finite: Bool) throws {
    let folder = configuration.output
    try FileSystem.writeAtomically(Array(history.csv.utf8), to: "\(folder)/history.csv")
    try FileSystem.writeAtomically(Array(try history.json().utf8), to: "\(folder)/history.json")
    try FileSystem.writeAtomically(Array(HistoryPlot.svg(history).utf8), to: "\(folder)/history.svg")
    guard finite else { throw TrainingError.nonFiniteResult(what: "the test loss") }
    try model.save(to: "\(folder)/weights.safetensors")
  }
}
