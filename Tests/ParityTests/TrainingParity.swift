import Descent
import Foundation
import Testing

/// The same training runs on every backend: each must learn, and the backends must agree.
@Suite struct TrainingParity {
  /// Two interleaved spirals (1.5 turns each), with Gaussian noise of σ = 0.03.
  static func spirals(perClass: Int, seed: UInt64) -> (inputs: [Float], labels: [Float]) {
    var inputs: [Float] = [], labels: [Float] = []
    for label in 0..<2 {
      for i in 0..<perClass {
        let t = 3 * Double.pi * Double(i + 8) / Double(perClass + 8)
        let noise = (0..<2).map { axis in
          Double(
            PortableMath.sample(
              .normal(mean: 0, standardDeviation: 0.03),
              Philox.block(index: UInt64(i * 2 + axis), key: RandomKey(seed: seed, stream: UInt64(label)))))
        }
        let angle = t + Double(label) * Double.pi
        inputs += [
          Float(t * cos(angle) / (3 * Double.pi) + noise[0]), Float(t * sin(angle) / (3 * Double.pi) + noise[1]),
        ]
        labels.append(Float(label))
      }
    }
    return (inputs, labels)
  }

  /// A seeded permutation of `0..<count` (Fisher–Yates on Philox words).
  static func permutation(_ count: Int, epoch: Int) -> [Int] {
    var order = Array(0..<count)
    for i in stride(from: count - 1, to: 0, by: -1) {
      let word = Philox.block(index: UInt64(i), key: RandomKey(seed: 99, stream: UInt64(epoch)))[0]
      order.swapAt(i, Int(word % UInt32(i + 1)))
    }
    return order
  }

  struct SpiralRun {
    var epochLosses: [Double]
    var accuracy: Double
  }

  /// A 2-32-32-2 ReLU MLP with dropout 0.1, Adam 0.01, batches of 48 (the last one 16), 40 epochs.
  static func trainSpirals(on backend: any Backend) throws -> SpiralRun {
    let train = spirals(perClass: 200, seed: 1), test = spirals(perClass: 100, seed: 2)
    let model = try Sequential(inputFeatures: 2, backend: backend, seed: 5) {
      try Dense(32, activation: .relu, initializer: .heUniform)
      try Dropout(0.1)
      try Dense(32, activation: .relu, initializer: .heUniform)
      try Dropout(0.1)
      try Dense(2)
    }
    let trainer = try Trainer(model: model, loss: .softmaxCrossEntropy, optimizer: Adam(learningRate: 0.01))
    let rows = train.labels.count, batchSize = 48
    var losses: [Double] = []
    for epoch in 0..<40 {
      let order = permutation(rows, epoch: epoch)
      for start in stride(from: 0, to: rows, by: batchSize) {
        let batch = order[start..<min(start + batchSize, rows)]
        let inputs = batch.flatMap { train.inputs[2 * $0..<2 * $0 + 2] }
        let labels = batch.map { train.labels[$0] }
        try trainer.trainStep(
          inputs: try backend.buffer(inputs), targets: try backend.buffer(labels), rows: batch.count)
      }
      losses.append(try trainer.takeAverageLoss())
      trainer.endEpoch()
    }
    let logits = try model.predict(test.inputs, rows: test.labels.count)
    let correct = test.labels.indices.filter { r in (logits[2 * r + 1] > logits[2 * r] ? 1 : 0) == Int(test.labels[r]) }
    return SpiralRun(epochLosses: losses, accuracy: Double(correct.count) / Double(test.labels.count))
  }

  @Test func spiralsOnCPU() throws {
    let run = try Self.trainSpirals(on: TestBackends.cpu)
    #expect(run.accuracy >= 0.95, "cpu: test accuracy \(run.accuracy), losses \(run.epochLosses.suffix(3))")
    #expect(run.epochLosses.last! < run.epochLosses.first! / 4, "cpu: loss \(run.epochLosses)")
  }

  /// Same seed, same masks, same batches: the runs differ only by float rounding (summation order
  /// in GEMM and reductions, 3-16 ulp transcendentals), which training amplifies slowly. Measured
  /// on PoCL: per-epoch losses within 6.2e-7 relative over 40 epochs. There is no a-priori bound
  /// for a training trajectory; 1e-3 leaves room for devices that sum in other orders (GPUs),
  /// while a wrong op, mask or batch order moves the losses by percents within a few epochs.
  @Test(.enabled(if: !TestBackends.openCL.isEmpty, "OpenCL skipped: \(TestBackends.openCLUnavailableReason)"))
  func spiralsMatchCPU() throws {
    let reference = try Self.trainSpirals(on: TestBackends.cpu)
    for backend in TestBackends.openCLSuites {
      let run = try Self.trainSpirals(on: backend)
      let worst = zip(run.epochLosses, reference.epochLosses).map { abs($0 - $1) / abs($1) }.max() ?? .nan
      print(
        "spirals on \(backend.name): accuracy \(run.accuracy) (cpu \(reference.accuracy)), worst relative loss "
          + "difference \(worst)"
      )
      #expect(worst <= 1e-3, "\(backend.name): per-epoch losses \(run.epochLosses) vs cpu \(reference.epochLosses)")
      #expect(
        abs(run.accuracy - reference.accuracy) <= 0.005,
        "\(backend.name): accuracy \(run.accuracy), cpu \(reference.accuracy)")
    }
  }

  /// `y = 3x − 2` on 64 points in [−1, 1], fitted by full-batch gradient descent on the MSE.
  static func fitLine(on backend: any Backend) throws -> (slope: Float, intercept: Float, losses: [Double]) {
    let x = (0..<64).map { Float($0) / 31.5 - 1 }
    let y = x.map { 3 * $0 - 2 }
    let model = try Sequential([try Dense(1)], inputFeatures: 1, backend: backend, seed: 3)
    let trainer = try Trainer(model: model, loss: .meanSquaredError, optimizer: SGD(learningRate: 0.4))
    let (inputs, targets) = (try backend.buffer(x), try backend.buffer(y))
    var losses: [Double] = []
    for _ in 0..<200 {
      try trainer.trainStep(inputs: inputs, targets: targets, rows: x.count)
      losses.append(try trainer.takeAverageLoss())
    }
    let weights = try model.weights()
    return (weights[0][0], weights[1][0], losses)
  }

  @Test func linearRegressionRecoversTheLine() throws {
    for backend in [TestBackends.cpu as any Backend] + TestBackends.openCLSuites {
      let fit = try Self.fitLine(on: backend)
      #expect(
        abs(fit.slope - 3) <= 1e-3 && abs(fit.intercept + 2) <= 1e-3,
        "\(backend.name): slope \(fit.slope), intercept \(fit.intercept) (true 3, −2)")
    }
  }

  /// Full-batch gradient descent on a convex problem: no chaos to amplify rounding, so the step
  /// losses agree to float32 precision of each step's loss (1e-4 relative, above ~1e-7 rounding
  /// of 64-term sums, while a loss near 0 is compared absolutely at 1e-9).
  @Test(.enabled(if: !TestBackends.openCL.isEmpty, "OpenCL skipped: \(TestBackends.openCLUnavailableReason)"))
  func linearRegressionMatchesCPU() throws {
    let reference = try Self.fitLine(on: TestBackends.cpu)
    for backend in TestBackends.openCLSuites {
      let fit = try Self.fitLine(on: backend)
      for (step, (got, expected)) in zip(fit.losses, reference.losses).enumerated() {
        #expect(
          abs(got - expected) <= 1e-4 * abs(expected) + 1e-9,
          "\(backend.name) step \(step + 1): loss \(got), cpu \(expected)")
      }
    }
  }
}
