import Descent
import DescentOpenCL
import Foundation

/// `descent train`: trains an MLP on Fashion-MNIST, prints the test accuracy, and writes the
/// history (CSV, JSON, SVG plot) and the final weights.
struct TrainCommand {
  let configuration: TrainConfiguration

  init(_ options: [String]) throws {
    configuration = try TrainConfiguration(options)
  }

  func run() throws -> Int32 {
    let settings = configuration
    try checkOutputs()
    let backend = try chooseBackend()
    var train = try FashionMNIST.load(.train, directory: settings.data)
    let test = try FashionMNIST.load(.test, directory: settings.data)
    if let limit = settings.limit, limit < train.rows { train = train.subset(0..<limit) }
    var validation: Dataset?
    if settings.validation > 0 { (train, validation) = try train.split(fraction: settings.validation, seed: settings.seed) }

    let model = try settings.makeModel(featureCount: train.featureCount, backend: backend)
    let trainer = try settings.makeTrainer(model: model, hasValidation: validation != nil)
    if !settings.quiet {
      print("device: \(backend.name)")
      print(model.summary)
      print("optimizer: \(trainer.optimizer); schedule: \(settings.schedule); \(train.rows) training rows, "
        + "\(validation?.rows ?? 0) validation, \(test.rows) test")
    }
    try trainer.validate(test)
    if settings.resume, let path = settings.checkpoint, FileManager.default.fileExists(atPath: path) {
      try trainer.restoreCheckpoint(from: path)
      if !settings.quiet { print("resumed from \(path) after epoch \(trainer.epoch)") }
    }
    let augmentation = try settings.augmentation.map {
      try ImageAugmentation(width: 28, height: 28, maxShift: $0.shift, horizontalFlip: $0.flip, noiseDeviation: $0.noise)
    }
    let started = Date()
    let history = try trainer.fit(train, validation: validation, epochs: settings.epochs, batchSize: settings.batchSize,
                                  augmentation: augmentation,
                                  callbacks: settings.checkpoint.map { [.checkpoint(path: $0)] } ?? [],
                                  progress: settings.quiet ? .silent : .automatic)
    let seconds = Date().timeIntervalSince(started)
    let result = try trainer.evaluate(test)
    try writeOutputs(history, model: model, finite: result.loss.isFinite)
    let accuracy = result.metrics["accuracy"] ?? .nan
    let epochs = history.epochs.count == 1 ? "1 epoch" : "\(history.epochs.count) epochs"
    print(String(format: "test accuracy %.2f%%  test loss %.4f  (%@ in %.1f s on %@)",
                 accuracy * 100, result.loss, epochs as NSString, seconds, backend.name as NSString))
    if !settings.quiet { print("wrote \(settings.output)/history.csv, history.json, history.svg, weights.safetensors") }
    return 0
  }

  /// `--backend auto`: the device `--device` or `DESCENT_DEVICE` names, else an OpenCL GPU when
  /// there is one (the fastest device), else the CPU backend (faster than an OpenCL driver running
  /// on the same CPU). A selector that matches no device is an error listing the devices, and so is
  /// one given with `--backend cpu`, which would ignore it.
  func chooseBackend() throws -> any Backend {
    let selector = configuration.device.isEmpty ? DeviceSelector.fromEnvironment() : DeviceSelector(configuration.device)
    switch configuration.backend {
    case "cpu":
      guard selector == .automatic else {
        let source = configuration.device.isEmpty ? "DESCENT_DEVICE=\(selector)" : "--device \(selector)"
        throw UsageError(message: "\(source) chooses an OpenCL device, but --backend cpu uses none: drop one of them")
      }
      return CPUBackend()
    case "opencl": return try OpenCLBackend(selector)
    default:
      if selector != .automatic { return try OpenCLBackend(selector) }
      if let gpu = (try? OpenCLDevice.all())?.first(where: { $0.kind == .gpu }) { return try OpenCLBackend(device: gpu) }
      return CPUBackend()
    }
  }

  /// The files a run writes into the output folder.
  static let outputFiles = ["history.csv", "history.json", "history.svg", "weights.safetensors"]

  /// Before any work: the output folder and the checkpoint's folder exist (created if needed) and
  /// take a file, and the checkpoint is not one of the outputs (they would overwrite it).
  private func checkOutputs() throws {
    let settings = configuration
    func canonical(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path }
    if let checkpoint = settings.checkpoint {
      for file in Self.outputFiles where canonical("\(settings.output)/\(file)") == canonical(checkpoint) {
        throw UsageError(message: "--checkpoint \(checkpoint) is the output file \(settings.output)/\(file): the run would overwrite it; choose another path")
      }
    }
    let folders = [settings.output] + (settings.checkpoint.map { [URL(fileURLWithPath: $0).deletingLastPathComponent().path] } ?? [])
    for folder in folders {
      do {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
      } catch {
        throw DataError.unwritable(path: folder, reason: "cannot create the folder (\(String(cString: strerror(errno))))")
      }
      let probe = "\(folder)/.descent-write-test-\(getpid())"
      guard FileManager.default.createFile(atPath: probe, contents: Data()) else {
        throw DataError.unwritable(path: folder, reason: "cannot create files there (\(String(cString: strerror(errno))))")
      }
      unlink(probe)
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
    let tensors = try model.namedParameters.map { name, parameter in
      (name: name, tensor: SafeTensors.Tensor(shape: parameter.shape, values: try model.backend.download(parameter.value)))
    }
    if let bad = tensors.first(where: { $0.tensor.values.contains { !$0.isFinite } }) {
      throw TrainingError.nonFiniteResult(what: "the final weights (\(bad.name))")
    }
    try SafeTensors.write(tensors, metadata: ["layout": "Dense weights are inputs x units"],
                          to: "\(folder)/weights.safetensors")
  }
}
