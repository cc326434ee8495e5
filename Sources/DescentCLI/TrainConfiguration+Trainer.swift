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
      model: model, loss: regression ? .meanSquaredError : .softmaxCrossEntropy, optimizer: try makeOptimizer(),
      schedule: schedule,
      clipping: clipNorm.map { .globalNorm($0) },
      earlyStopping: try earlyStopping.map {
        try EarlyStopping(monitor: hasValidation ? "validation loss" : "loss", patience: $0, restoreBestWeights: true)
      },
      metrics: regression ? [.meanSquaredError, .meanAbsoluteError] : [.accuracy])
  }

  /// The optimizer `--optimizer` and its hyperparameter flags describe.
  func makeOptimizer() throws -> any Optimizer { try OptimizerChoices.make(optimizer, values: optimizerValues) }
}
