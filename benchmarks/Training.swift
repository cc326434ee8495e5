import Descent
import Foundation

/// The Fashion-MNIST 784-256-128-10 ReLU MLP (Adam 1e-3, batch 128, no dropout so every peer runs
/// the same computation), trained for `epochs` epochs on all 60 000 images.
enum TrainingCase {
  struct Result {
    var epochSeconds: [Double]
    var accuracy: Double
  }

  static func run(_ backend: any Backend, train: Dataset, test: Dataset, epochs: Int) throws -> Result {
    let model = try Sequential(inputFeatures: 784, backend: backend, seed: 1) {
      try Dense(256, activation: .relu, initializer: .heUniform)
      try Dense(128, activation: .relu, initializer: .heUniform)
      try Dense(10)
    }
    let trainer = try Trainer(model: model, loss: .softmaxCrossEntropy, optimizer: Adam(), metrics: [.accuracy])
    var seconds: [Double] = []
    for epoch in 1...epochs {
      let history = try trainer.fit(train, epochs: epoch, batchSize: 128, progress: .silent)
      seconds.append(history.epochs.last!.seconds)
    }
    return Result(epochSeconds: seconds, accuracy: try trainer.evaluate(test).metrics["accuracy"] ?? .nan)
  }

  /// Rows for one contender: seconds per epoch (median and best of its steady epochs, those after
  /// each run's first, pooled over the rounds; the JSON file keeps them in the order taken) and ms
  /// per step.
  static func rows(steadyEpochSeconds: [Double], accuracy: Double, backend: String, epochs: Int) -> [Row] {
    let steady = steadyEpochSeconds.sorted()
    guard !steady.isEmpty else { return [] }
    let median = steady[steady.count / 2], best = steady[0]
    let steps = Double((60_000 + 127) / 128)
    let note = String(
      format: "test accuracy %.2f%% after %d epochs; median of %d epochs", accuracy * 100, epochs,
      steady.count)
    return [
      Row(
        group: "training", name: "mlp epoch (60k, batch 128)", backend: backend, value: median, best: best, unit: "s",
        note: note, samples: steadyEpochSeconds),
      Row(
        group: "training", name: "mlp step", backend: backend, value: median / steps * 1e3, best: best / steps * 1e3,
        unit: "ms"),
    ]
  }
}
