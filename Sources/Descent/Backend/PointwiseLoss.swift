/// A loss computed element by element, with its gradient.
public enum PointwiseLoss: String, Sendable, Hashable, Codable, CaseIterable {
  /// `(p − t)²`, gradient `2(p − t)`.
  case squaredError = "squared_error"
  /// Binary cross-entropy of a logit `x` against a target `t ∈ [0, 1]`, computed stably as
  /// `max(x, 0) − x·t + log(1 + e^(−|x|))` (as `torch.nn.BCEWithLogitsLoss`); gradient `σ(x) − t`.
  case binaryCrossEntropyWithLogits = "binary_cross_entropy_with_logits"
  /// `|p − t|`, gradient `sign(p − t)` (0 where `p = t`): the mean absolute error.
  case absoluteError = "absolute_error"

  /// The code the `pointwise_loss` kernel switches on (`kernels/loss.cl`).
  package var kernelCode: Int32 {
    switch self {
    case .squaredError: 0
    case .binaryCrossEntropyWithLogits: 1
    case .absoluteError: 2
    }
  }
}
