/// A weight penalty added to the loss and its gradient, per layer (Keras's `kernel_regularizer`
/// convention): L1 `λ₁·Σ|w|` (gradient `λ₁·sign(w)`), L2 `λ₂·Σw²` (gradient `2λ₂·w`).
///
/// PyTorch users usually write L2 as the optimizer's `weight_decay` `wd`, whose gradient is
/// `wd·w`: that equals `.l2(wd / 2)` here (for SGD and Adam; AdamW's decoupled decay is not a
/// penalty). The penalty is summed over the tensor, not averaged, and added once per batch.
public enum Regularizer: Sendable, Hashable, Codable {
  case l1(Float)
  case l2(Float)
  /// Both at once: `λ₁·Σ|w| + λ₂·Σw²`.
  case elasticNet(l1: Float, l2: Float)

  /// The L1 coefficient (0 if none).
  public var l1: Float {
    switch self {
    case let .l1(value), let .elasticNet(value, _): value
    case .l2: 0
    }
  }

  /// The L2 coefficient (0 if none).
  public var l2: Float {
    switch self {
    case let .l2(value), let .elasticNet(_, value): value
    case .l1: 0
    }
  }

  /// Throws ``ConfigurationError`` for a negative or non-finite coefficient.
  public func validate() throws {
    try ConfigurationError.require(l1 >= 0 && l1.isFinite, "l1", l1, ">= 0")
    try ConfigurationError.require(l2 >= 0 && l2.isFinite, "l2", l2, ">= 0")
  }
}
