import Descent
import Foundation
import Testing

@Suite struct ModelTests {
  let backend = CPUBackend()

  @Test func summaryListsLayersShapesAndCounts() throws {
    let model = try Sequential(inputFeatures: 784, backend: backend) {
      try Dense(256, activation: .relu)
      try Dropout(0.2)
      try Dense(128, activation: .relu)
      try Dense(10)
    }
    #expect(model.parameterCount == 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10)
    #expect(model.parameterCount == 235_146)
    #expect(model.outputFeatures == 10)
    #expect(model.namedParameters.map(\.name) == ["0.weight", "0.bias", "2.weight", "2.bias", "3.weight", "3.bias"])
    let summary = model.summary
    #expect(summary.contains("0: Dense(256, relu)"))
    #expect(summary.contains("(batch, 128)"))
    #expect(summary.contains("200960"))
    #expect(summary.contains("Total parameters: 235146"))
  }

  @Test func invalidHyperparametersNameTheParameterAndValue() throws {
    func message(_ body: () throws -> Void) -> String {
      do {
        try body()
        return "no error"
      } catch {
        return "\(error)"
      }
    }
    #expect(message { _ = try Dense(0) } == "units = 0 is out of range (allowed: >= 1)")
    #expect(message { _ = try Dropout(1) } == "dropout rate = 1.0 is out of range (allowed: [0, 1))")
    #expect(message { _ = try Dropout(-0.1) } == "dropout rate = -0.1 is out of range (allowed: [0, 1))")
    #expect(message { _ = try Dense(3, regularizer: .l2(-1)) } == "l2 = -1.0 is out of range (allowed: >= 0)")
    let model = try Sequential([try Dense(2)], inputFeatures: 2, backend: backend)
    #expect(
      message { _ = try Trainer(model: model, loss: .meanSquaredError, optimizer: SGD(learningRate: -0.1)) }
        == "learningRate = -0.1 is out of range (allowed: >= 0)")
    #expect(
      message { _ = try Trainer(model: model, loss: .meanSquaredError, optimizer: Adam(beta1: 1)) }
        == "beta1 = 1.0 is out of range (allowed: [0, 1))")
    #expect(
      message { _ = try Trainer(model: model, loss: .meanSquaredError, optimizer: RMSprop(alpha: 1.5)) }
        == "alpha = 1.5 is out of range (allowed: [0, 1])")
    #expect(
      message { _ = try Trainer(model: model, loss: .meanSquaredError, optimizer: SGD(), clipping: .globalNorm(0)) }
        == "maxNorm = 0.0 is out of range (allowed: > 0)")
    let single = try Sequential([try Dense(1)], inputFeatures: 2, backend: backend)
    #expect(
      message { _ = try Trainer(model: single, loss: .softmaxCrossEntropy, optimizer: SGD()) }
        == "output width for cross-entropy = 1 is out of range (allowed: >= 2 classes)")
  }

  @Test func aLayerBelongsToOneModel() throws {
    let dense = try Dense(4)
    _ = try Sequential([dense], inputFeatures: 3, backend: backend)
    #expect(throws: ModelError.alreadyBuilt(layer: "Dense(4)")) {
      _ = try Sequential([dense], inputFeatures: 3, backend: backend)
    }
  }

  @Test func wrongInputAndTargetSizesAreNamed() throws {
    let model = try Sequential([try Dense(3)], inputFeatures: 4, backend: backend)
    #expect(throws: ModelError.shapeMismatch("the input has 7 values, 2 rows of 4 features need 8")) {
      _ = try model.predict([Float](repeating: 0, count: 7), rows: 2)
    }
    let trainer = try Trainer(model: model, loss: .softmaxCrossEntropy, optimizer: SGD())
    #expect(throws: ModelError.self) {
      try trainer.trainStep(
        inputs: try backend.buffer([Float](repeating: 0, count: 8)),
        targets: try backend.buffer([0, 1, 2, 0, 1, 2]), rows: 2)
    }
  }

  /// Passes of `batchSize` rows: each pass's rows at its offset, a last, shorter pass, the input
  /// buffers reused (a second call answers the same), bit for bit the pass computed alone.
  @Test func predictRunsPassesOfBatchSizeRows() throws {
    let model = try Sequential(
      [try Dense(9, activation: .tanh), try Dense(2)], inputFeatures: 3, backend: backend,
      seed: 4)
    let inputs = (0..<3 * 23).map { Float($0 % 11) * 0.25 - 1 }
    let batched = try model.predict(inputs, rows: 23, batchSize: 5)
    var separately: [Float] = []
    for start in stride(from: 0, to: 23, by: 5) {
      let rows = min(5, 23 - start)
      separately += try model.predict(Array(inputs[3 * start..<3 * (start + rows)]), rows: rows)
    }
    #expect(batched == separately)
    #expect(try model.predict(inputs, rows: 23, batchSize: 5) == batched)
    #expect(try model.predict([], rows: 0) == [])
    #expect(throws: ConfigurationError.self) { _ = try model.predict(inputs, rows: 23, batchSize: 0) }
    #expect(throws: ModelError.self) { _ = try model.predict(inputs, rows: -1) }
  }

  @Test func weightsRoundTripAndSeedsRepeat() throws {
    func model(seed: UInt64) throws -> Sequential {
      try Sequential([try Dense(5, activation: .relu), try Dense(2)], inputFeatures: 3, backend: backend, seed: seed)
    }
    let a = try model(seed: 1), b = try model(seed: 1), c = try model(seed: 2)
    #expect(try a.weights() == b.weights())
    #expect(try a.weights() != c.weights())
    try c.setWeights(try a.weights())
    #expect(try c.weights() == a.weights())
    #expect(throws: ModelError.self) { try c.setWeights([[1]]) }
  }
}

/// How the trainer steps schedules: per epoch or per batch, and with ReduceLROnPlateau.
@Suite struct TrainerScheduleTests {
  let backend = CPUBackend()
  /// The optimizer's Float learning rate 0.1, as the schedule sees it.
  let base = Double(Float(0.1))

  func trainer(
    _ schedule: LearningRateSchedule, _ unit: ScheduleUnit,
    plateau: ReduceLROnPlateau? = nil
  ) throws -> (Trainer, DeviceBuffer, DeviceBuffer) {
    let model = try Sequential([try Dense(1)], inputFeatures: 1, backend: backend)
    let trainer = try Trainer(
      model: model, loss: .meanSquaredError, optimizer: SGD(learningRate: 0.1),
      schedule: schedule, scheduleUnit: unit, reduceOnPlateau: plateau)
    return (trainer, try backend.buffer([1, 2]), try backend.buffer([3, 5]))
  }

  @Test func perBatchSchedulesChangeEveryStep() throws {
    let schedule = LearningRateSchedule.exponential(gamma: 0.5)
    let (trainer, x, y) = try trainer(schedule, .batch)
    for step in 0..<5 {
      #expect(abs(trainer.learningRate - base * pow(0.5, Double(step))) < 1e-12)
      try trainer.trainStep(inputs: x, targets: y, rows: 2)
    }
    trainer.endEpoch()
    #expect(abs(trainer.learningRate - base * pow(0.5, 5)) < 1e-12, "an epoch end does not step a per-batch schedule")
  }

  @Test func perEpochSchedulesChangeAtEpochEnds() throws {
    let (trainer, x, y) = try trainer(.step(size: 2, gamma: 0.1), .epoch)
    var rates: [Double] = []
    for _ in 0..<5 {
      for _ in 0..<3 { try trainer.trainStep(inputs: x, targets: y, rows: 2) }
      rates.append(trainer.learningRate)
      trainer.endEpoch()
    }
    let expected = [1, 1, 0.1, 0.1, 0.01].map { base * $0 }
    #expect(zip(rates, expected).allSatisfy { abs($0 - $1) < 1e-12 }, "\(rates)")
  }

  /// PyTorch semantics: with patience 1 the cut comes after the second bad epoch.
  @Test func plateauCutsMultiplyTheSchedule() throws {
    let (trainer, _, _) = try trainer(.constant, .epoch, plateau: ReduceLROnPlateau(factor: 0.5, patience: 1))
    var rates: [Double] = []
    for metric in [1.0, 0.9, 0.95, 0.95, 0.95, 0.95] {
      trainer.endEpoch(monitoredValue: metric)
      rates.append(trainer.learningRate)
    }
    #expect(zip(rates, [1, 1, 1, 0.5, 0.5, 0.25].map { base * $0 }).allSatisfy { abs($0 - $1) < 1e-12 }, "\(rates)")
  }
}
