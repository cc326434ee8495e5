/// An elementwise activation function and its derivative.
public enum Activation: Sendable, Hashable, Codable, CustomStringConvertible {
  /// `max(x, 0)`; the derivative at 0 is taken as 0, as in PyTorch.
  case relu
  /// `x` for `x > 0`, else `slope·x` (PyTorch's default slope is 0.01).
  case leakyReLU(slope: Float)
  /// `1 / (1 + e^(−x))`.
  case sigmoid
  /// `tanh(x)`.
  case tanh
  /// The exact GELU, `x·Φ(x) = x·(1 + erf(x/√2))/2`, as `torch.nn.GELU()` computes by default.
  case gelu

  /// One of each, for tests and benchmarks.
  public static let allCases: [Activation] = [.relu, .leakyReLU(slope: 0.01), .sigmoid, .tanh, .gelu]

  /// The code `kernels/activation.cl` is built with (`-DACTIVATION=code`).
  package var kernelCode: Int32 {
    switch self {
    case .relu: 0
    case .leakyReLU: 1
    case .sigmoid: 2
    case .tanh: 3
    case .gelu: 4
    }
  }

  /// The LeakyReLU slope; 0 for the others.
  package var slope: Float {
    if case let .leakyReLU(slope) = self { slope } else { 0 }
  }

  public var description: String {
    switch self {
    case .relu: "relu"
    case let .leakyReLU(slope): "leakyReLU(\(slope))"
    case .sigmoid: "sigmoid"
    case .tanh: "tanh"
    case .gelu: "gelu"
    }
  }
}

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

/// A reduction of a whole buffer to one value.
public enum ReduceOp: String, Sendable, Hashable, Codable, CaseIterable {
  /// `Σ x`.
  case sum
  /// `Σ x²`: the squared global norm used by gradient clipping.
  case sumOfSquares = "sum_of_squares"
  /// `Σ |x|`: the L1 penalty.
  case sumOfAbsolutes = "sum_of_absolutes"

  /// The code the `reduce_partial` kernel switches on (`kernels/reduce.cl`).
  package var kernelCode: Int32 {
    switch self {
    case .sum: 0
    case .sumOfSquares: 1
    case .sumOfAbsolutes: 2
    }
  }
}
