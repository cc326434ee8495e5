import Descent

extension TrainConfiguration {
  /// The MLP these settings describe: `hidden` ReLU (or `activation`) layers, each followed by
  /// dropout, then a linear layer of `outputs` (10 classes for Fashion-MNIST; 1 for regression)
  /// (`descent train` and every `descent tune` trial).
  func makeModel(featureCount: Int, outputs: Int = 10, backend: any Backend) throws -> Sequential {
    try Sequential(inputFeatures: featureCount, backend: backend, seed: seed) {
      for units in hidden {
        try Dense(units, activation: activation, initializer: initializer, regularizer: penalty)
        if dropout > 0 { try Dropout(dropout) }
      }
      try Dense(outputs, initializer: .glorotUniform, regularizer: penalty)
    }
  }

  /// A trainer for `model` with these settings' optimizer, schedule, clipping and early stopping
  /// (watching the validation loss when there is validation data, else the training loss), and the
  /// loss and metrics of the task: cross-entropy and accuracy, or MSE with MSE and MAE.
  func makeTrainer(model: Sequential, hasValidation: Bool) throws -> Trainer {
    let regression = dataSource.task == .regression
    return try Trainer(
      model: model, loss: regression ? .meanSquaredError : .softmaxCrossEntropy, optimizer: makeOptimizer(),
      schedule: schedule,
      clipping: clipNorm.map { .globalNorm($0) },
      earlyStopping: try earlyStopping.map {
        try EarlyStopping(monitor: hasValidation ? "validation loss" : "loss", patience: $0, restoreBestWeights: true)
      },
      metrics: regression ? [.meanSquaredError, .meanAbsoluteError] : [.accuracy])
  }

  /// The optimizers `--optimizer` names, built from the flags (each flag's default per optimizer).
  static let optimizers: KeyValuePairs<String, @Sendable (TrainConfiguration) -> any Optimizer> = [
    "sgd": {
      SGD(
        learningRate: $0.learningRate, momentum: $0.momentum ?? 0.9, nesterov: $0.nesterov,
        weightDecay: $0.weightDecay ?? 0)
    },
    "adagrad": { AdaGrad(learningRate: $0.learningRate, weightDecay: $0.weightDecay ?? 0) },
    "rmsprop": { RMSprop(learningRate: $0.learningRate, weightDecay: $0.weightDecay ?? 0, momentum: $0.momentum ?? 0) },
    "adam": {
      Adam(
        learningRate: $0.learningRate, beta1: $0.beta1, beta2: $0.beta2 ?? 0.999,
        weightDecay: $0.weightDecay ?? 0)
    },
    "adamw": {
      AdamW(
        learningRate: $0.learningRate, beta1: $0.beta1, beta2: $0.beta2 ?? 0.999,
        weightDecay: $0.weightDecay ?? 0.01)
    },
    "lion": {
      Lion(
        learningRate: $0.learningRate, beta1: $0.beta1, beta2: $0.beta2 ?? 0.99,
        weightDecay: $0.weightDecay ?? 0)
    },
  ]

  func makeOptimizer() -> any Optimizer {
    Self.optimizers.first { $0.key == optimizer }!.value(self)
  }
}
