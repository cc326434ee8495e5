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

  func makeOptimizer() -> any Optimizer {
    switch optimizer {
    case "sgd": SGD(learningRate: learningRate, momentum: momentum ?? 0.9, nesterov: nesterov, weightDecay: weightDecay ?? 0)
    case "adagrad": AdaGrad(learningRate: learningRate, weightDecay: weightDecay ?? 0)
    case "rmsprop": RMSprop(learningRate: learningRate, weightDecay: weightDecay ?? 0, momentum: momentum ?? 0)
    case "adamw": AdamW(learningRate: learningRate, beta1: beta1, beta2: beta2, weightDecay: weightDecay ?? 0.01)
    default: Adam(learningRate: learningRate, beta1: beta1, beta2: beta2, weightDecay: weightDecay ?? 0)
    }
  }
}
