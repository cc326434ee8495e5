/// The training objective, averaged over the batch as PyTorch's `reduction="mean"` does.
public enum Loss: String, Sendable, Hashable, Codable, CaseIterable {
  /// `mean((p − t)²)` over every element (`nn.MSELoss`). Targets: `rows × outputs`.
  case meanSquaredError = "mse"
  /// Binary cross-entropy of logits against targets in `[0, 1]`, mean over every element
  /// (`nn.BCEWithLogitsLoss`); the model ends without a sigmoid. Targets: `rows × outputs`.
  case binaryCrossEntropy = "bce"
  /// Softmax fused with cross-entropy, mean over rows (`nn.CrossEntropyLoss`); the model outputs
  /// logits. Targets: one class index per row, stored as a float.
  case softmaxCrossEntropy = "cross-entropy"

  /// How many target values `rows` rows of `outputs` model outputs need.
  public func targetCount(rows: Int, outputs: Int) -> Int {
    self == .softmaxCrossEntropy ? rows : rows * outputs
  }

  /// Queues the loss of `predictions` (`rows × outputs`) against `targets`: writes the gradient of
  /// the batch mean into `gradient` and that mean (over rows, or rows × outputs) into `mean[0]`,
  /// and adds `rows × mean` to `rowTotal[0]` (a running sum of the loss per row).
  func compute(
    predictions: DeviceBuffer, targets: DeviceBuffer, rows: Int, outputs: Int,
    workspace: Workspace, gradient: DeviceBuffer, mean: DeviceBuffer, rowTotal: DeviceBuffer
  ) throws {
    let backend = workspace.backend
    guard targets.count == targetCount(rows: rows, outputs: outputs) else {
      throw ModelError.shapeMismatch(
        """
        \(rawValue) loss: \(targets.count) targets for \(rows) rows of \(outputs) outputs \
        (needs \(targetCount(rows: rows, outputs: outputs))\
        \(self == .softmaxCrossEntropy ? ": one class index per row" : ""))
        """)
    }
    let terms = targetCount(rows: rows, outputs: outputs)
    let losses = try workspace.buffer("losses", terms)
    let scale = 1 / Float(terms)
    switch self {
    case .meanSquaredError, .binaryCrossEntropy:
      try backend.pointwiseLoss(
        self == .meanSquaredError ? .squaredError : .binaryCrossEntropyWithLogits,
        predictions: predictions, targets: targets, gradientScale: scale,
        losses: losses, gradient: gradient)
    case .softmaxCrossEntropy:
      try backend.softmaxCrossEntropy(
        logits: predictions, labels: targets, rows: rows, classes: outputs,
        gradientScale: scale, losses: losses, gradient: gradient)
    }
    try backend.reduce(.sum, losses, alpha: scale, beta: 0, into: mean, addingTo: (rowTotal, Float(rows)))
  }
}
