/// A reduction of a whole buffer to one value.
/// The `reduce` kernel (`kernels/reduce.cl`) tells them apart by name (``KernelCoded``).
public enum ReduceOp: String, Sendable, Hashable, Codable, CaseIterable, KernelCoded {
  /// `Σ x`.
  case sum
  /// `Σ x²`: the squared global norm used by gradient clipping.
  case sumOfSquares = "sum_of_squares"
  /// `Σ |x|`: the L1 penalty.
  case sumOfAbsolutes = "sum_of_absolutes"
}
