import Descent
import DescentOpenCL
import Foundation

/// The Fashion-MNIST ReLU MLP, 784-256-128-10 unless other `hidden` widths are given (Adam 1e-3,
/// batch 128, no dropout so every peer runs the same computation), trained for `epochs` epochs on all
/// 60 000 images.
enum TrainingCase {
  static let batch = 128, examples = 60_000

  /// "784-256-128-10": the layer widths, as the rows name the model.
  static func architecture(_ hidden: [Int]) -> String {
    ([784] + hidden + [10]).map(String.init).joined(separator: "-")
  }

  /// One training step's GEMM FLOPs: its products (`GemmShape.mlpProducts`) added up (128.9 MFLOP
  /// for 784-256-128-10).
  static func stepFlops(_ hidden: [Int]) -> Double {
    GemmShape.mlpProducts(hidden: hidden, batch: batch).map(\.shape.flops).reduce(0, +)
  }

  struct Result {
    var epochSeconds: [Double]
    var accuracy: Double
    /// Kernel launches per optimizer step on an OpenCL backend (the last epoch's, with its
    /// once-an-epoch loss read spread over its steps); nil on the CPU backend.
    var kernelsPerStep: Double?
  }

  static func run(_ backend: any Backend, hidden: [Int], train: Dataset, test: Dataset, epochs: Int) throws -> Result {
    let model = try Sequential(inputFeatures: 784, backend: backend, seed: 1) {
      for units in hidden { try Dense(units, activation: .relu, initializer: .heUniform) }
      try Dense(10)
    }
    let trainer = try Trainer(model: model, loss: .softmaxCrossEntropy, optimizer: Adam(), metrics: [.accuracy])
    var seconds: [Double] = []
    var kernelsPerStep: Double?
    let openCL = backend as? OpenCLBackend
    for epoch in 1...epochs {
      let launches = openCL?.launches
      let history = try trainer.fit(train, epochs: epoch, batchSize: batch, progress: .silent)
      seconds.append(history.epochs.last!.seconds)
      if let launches, let now = openCL?.launches { kernelsPerStep = Double(now - launches) / Double(steps) }
    }
    return Result(
      epochSeconds: seconds, accuracy: try trainer.evaluate(test).metrics["accuracy"] ?? .nan,
      kernelsPerStep: kernelsPerStep)
  }

  /// Optimizer steps per epoch.
  static let steps = (examples + batch - 1) / batch

  /// Rows for one contender: seconds per epoch (median and best of its steady epochs, those after
  /// each run's first, pooled over the rounds; the JSON file keeps them in the order taken) and ms
  /// per step; the epoch row's note gives the GFLOP/s of its median epoch.
  static func rows(
    steadyEpochSeconds: [Double], accuracy: Double, kernelsPerStep: Double?, backend: String, hidden: [Int],
    epochs: Int
  )
    -> [Row]
  {
    let steady = steadyEpochSeconds.sorted()
    guard !steady.isEmpty else { return [] }
    let median = steady[steady.count / 2], best = steady[0]
    let steps = Double(steps)
    let note = String(
      format: "%.0f GFLOP/s; test accuracy %.2f%% after %d epochs; median of %d epochs",
      stepFlops(hidden) * steps / median / 1e9, accuracy * 100, epochs, steady.count)
    let model = architecture(hidden)
    return [
      Row(
        group: "training", name: "mlp \(model) epoch (60k, batch 128)", backend: backend, value: median, best: best,
        unit: "s",
        note: note, samples: steadyEpochSeconds),
      Row(
        group: "training", name: "mlp \(model) step", backend: backend, value: median / steps * 1e3,
        best: best / steps * 1e3,
        unit: "ms", note: kernelsPerStep.map { String(format: "%.1f kernel launches per step", $0) } ?? ""),
    ]
  }
}
