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
