/// A loss computed element by element, with its gradient.
/// The `pointwise_loss` kernel (`kernels/loss.cl`) tells them apart by name (``KernelCoded``).
public enum PointwiseLoss: String, Sendable, Hashable, Codable, CaseIterable, KernelCoded {
  /// `(p − t)²`, gradient `2(p − t)`.
  case squaredError = "squared_error"
  /// Binary cross-entropy of a logit `x` against a target `t ∈ [0, 1]`, computed stably as
  /// `max(x, 0) − x·t + log(1 + e^(−|x|))` (as `torch.nn.BCEWithLogitsLoss`); gradient `σ(x) − t`.
  case binaryCrossEntropyWithLogits = "binary_cross_entropy_with_logits"
  /// `|p − t|`, gradient `sign(p − t)` (0 where `p = t`): the mean absolute error.
  case absoluteError = "absolute_error"
}
