@testable import Descent
import Foundation
import Testing

/// Bad data and bad results are errors before or after training, never silent results.
struct ReliabilityTests {
  static func trainer(loss: Loss = .softmaxCrossEntropy) throws -> Trainer {
    let model = try Sequential(inputFeatures: 2, backend: CPUBackend(), seed: 1) { try Dense(3) }
    return try Trainer(model: model, loss: loss, optimizer: SGD(learningRate: 0.1))
  }

  @Test func targetsOutsideTheLossAreNamedBeforeTraining() throws {
    let trainer = try Self.trainer()
    for (label, shown) in [(Float(3), "3.0"), (-1, "-1.0"), (1.5, "1.5")] {
      let data = try Dataset(features: [0, 1, 2, 3, 4, 5], featureCount: 2, targets: [0, label, 2], name: "toy.csv")
      let error = #expect(throws: DataError.self) { try trainer.fit(data, epochs: 1, progress: .silent) }
      #expect(
        error?.description
          == "toy.csv targets: row 1 has target \(shown), expected a class index, a whole number from 0 to 2")
      #expect(trainer.history.epochs.isEmpty)
    }
    let probabilities = try Dataset(
      features: [0, 1], featureCount: 2, targets: [0, 1.25, 0], targetWidth: 3, name: "p")
    #expect(
      throws: DataError.invalidTarget(source: "p targets", row: 0, value: 1.25, allowed: "a probability in [0, 1]")
    ) {
      try Self.trainer(loss: .binaryCrossEntropy).evaluate(probabilities)
    }
  }

  /// Penalties that overflow stop training at the end of the first epoch, saying so, instead of
  /// producing a run whose history holds infinities.
  @Test func overflowingPenaltiesStopTraining() throws {
    let model = try Sequential(inputFeatures: 2, backend: CPUBackend(), seed: 1) {
      try Dense(3, regularizer: .l2(1e38))
    }
    let trainer = try Trainer(model: model, loss: .softmaxCrossEntropy, optimizer: SGD(learningRate: 0.1))
    let data = try Dataset(features: [0, 1, 2, 3], featureCount: 2, targets: [0, 2], name: "toy")
    #expect {
      try trainer.fit(data, epochs: 3, batchSize: 1, progress: .silent)
    } throws: { error in
      guard case let TrainingError.nonFinitePenalty(epoch, value) = error else { return false }
      return epoch == 1 && !value.isFinite
    }
  }

  @Test func emptyDataSetsAreErrors() throws {
    let empty = try Dataset(features: [], featureCount: 2, targets: [], name: "empty test set")
    #expect(throws: DataError.empty(source: "empty test set")) { try Self.trainer().evaluate(empty) }
    #expect(throws: DataError.empty(source: "empty test set")) { try Self.trainer().validate(empty) }
  }

  /// Buffers past the machine's memory, and layers whose size overflows, are errors naming bytes
  /// and device, not traps (and not allocations the kernel kills when they are first touched).
  @Test func hugeAllocationsAreErrors() throws {
    let backend = CPUBackend()
    let error = #expect(throws: BackendError.self) { try backend.allocate(1 << 50) }
    #expect(
      error?.description.hasPrefix("cannot allocate 4503599627370496 bytes (4294967296 MiB) on cpu: more than") == true)
    #expect(throws: BackendError.self) {
      try Sequential(inputFeatures: 784, backend: backend, seed: 1) { try Dense(Int.max) }
    }
    #expect(throws: BackendError.self) {
      try Sequential(inputFeatures: 784, backend: backend, seed: 1) { try Dense(1 << 40) }
    }
  }

  /// JSON has no NaN: a diverged run's history is still written, with the values as strings.
  @Test func historiesWithNonFiniteValuesEncode() throws {
    let history = History(epochs: [
      EpochRecord(
        epoch: 1, loss: .nan, metrics: ["accuracy": .infinity],
        validationLoss: -.infinity, validationMetrics: [:], learningRate: 0.1,
        seconds: 1)
    ])
    let json = try history.json()
    #expect(
      json.contains(#""loss" : "NaN""#) && json.contains(#""accuracy" : "Infinity""#)
        && json.contains(#""validationLoss" : "-Infinity""#), "\(json)")
  }

  /// A write removes temporary files that killed writers left beside its target, and only those.
  @Test func staleTemporaryFilesAreRemovedByTheNextWrite() throws {
    let folder = NSTemporaryDirectory() + "descent-stale-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    // PIDs above the kernel's maximum (4 194 304) belong to no process.
    let stale = "\(folder)/.weights.safetensors.99999999.tmp", live = "\(folder)/.weights.safetensors.1.tmp"
    let other = "\(folder)/.history.json.99999999.tmp"
    for path in [stale, live, other] { #expect(FileManager.default.createFile(atPath: path, contents: Data([1]))) }
    try FileSystem.writeAtomically([1, 2, 3], to: "\(folder)/weights.safetensors")
    #expect(!FileManager.default.fileExists(atPath: stale))
    #expect(FileManager.default.fileExists(atPath: live), "pid 1 runs: its write may be in progress")
    #expect(FileManager.default.fileExists(atPath: other), "another target's temporary file")
    #expect(try Data(contentsOf: URL(fileURLWithPath: "\(folder)/weights.safetensors")) == Data([1, 2, 3]))
  }
}

/// A run that fails leaves its inputs as they were: a checkpoint is neither half restored nor
/// overwritten with values nothing could resume from.
struct CheckpointSafetyTests {
  let folder: String = {
    let path = NSTemporaryDirectory() + "descent-checkpoints-\(UUID().uuidString)"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }()

  static func weights(_ trainer: Trainer) throws -> [[Float]] {
    try trainer.model.parameters.map { try trainer.backend.download($0.value) }
  }

  /// A non-finite value in the checkpoint's last tensor (an optimizer slot) is refused naming it,
  /// before anything is uploaded: the trainer keeps its own weights and counters.
  @Test func aCheckpointWithNonFiniteValuesChangesNothing() throws {
    let path = "\(folder)/checkpoint.safetensors"
    let trained = try FuzzTests.tinyTrainer()
    _ = try trained.fit(try FuzzTests.toyData(), epochs: 2, batchSize: 4, progress: .silent)
    try trained.saveCheckpoint(to: path)
    var (tensors, metadata) = try SafeTensors.read(path)
    let last = try #require(tensors.keys.filter { $0.hasPrefix("optimizer.") }.max())
    tensors[last]!.values[tensors[last]!.values.count - 1] = .infinity
    try SafeTensors.write(tensors.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, metadata: metadata, to: path)
    let fresh = try FuzzTests.tinyTrainer()
    let before = try Self.weights(fresh)
    #expect {
      try fresh.restoreCheckpoint(from: path)
    } throws: {
      "\($0)".hasPrefix("\(path): tensor \"\(last)\" holds inf at index ")
    }
    #expect(try Self.weights(fresh) == before && fresh.epoch == 0 && fresh.step == 0)
  }

  /// Weights that went NaN while every loss stayed finite (a NaN bias behind a ReLU) stop the run
  /// at the epoch's checkpoint, which keeps the previous epoch byte for byte.
  @Test func nonFiniteWeightsNeverOverwriteACheckpoint() throws {
    let path = "\(folder)/run.safetensors"
    let trainer = try FuzzTests.tinyTrainer()
    let data = try FuzzTests.toyData()
    _ = try trainer.fit(data, epochs: 1, batchSize: 4, callbacks: [.checkpoint(path: path)], progress: .silent)
    let saved = try Data(contentsOf: URL(fileURLWithPath: path))
    let bias = try #require(trainer.model.namedParameters.first { $0.name == "0.bias" }?.parameter)  // before a ReLU
    var values = try trainer.backend.download(bias.value)
    values[0] = .nan
    try trainer.backend.upload(values, to: bias.value)
    #expect(throws: TrainingError.nonFiniteCheckpoint(epoch: 2, tensor: "0.bias", checkpoint: path)) {
      try trainer.fit(data, epochs: 3, batchSize: 4, callbacks: [.checkpoint(path: path)], progress: .silent)
    }
    #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == saved)
  }
}
