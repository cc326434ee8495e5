/// A reduction of a whole buffer to one value.
public enum ReduceOp: String, Sendable, Hashable, Codable, CaseIterable {
  /// `Σ x`.
  case sum
  /// `Σ x²`: the squared global norm used by gradient clipping.
  case sumOfSquares = "sum_of_squares"
  /// `Σ |x|`: the L1 penalty.
  case sumOfAbsolutes = "sum_of_absolutes"

  /// The code the `reduce` kernel switches on (`kernels/reduce.cl`).
  package var kernelCode: Int32 {
    switch self {
    case .sum: 0
    case .sumOfSquares: 1
    case .sumOfAbsolutes: 2
    }
  }
}
