/// What a ``Backend/gemm(_:_:_:into:fusing:)`` does besides the product, in the same pass: a dense
/// layer's bias and activation as `C` is stored (forward), its bias gradient from `op(B)` as the
/// product reads it (the weight gradient `Xᵀ·dZ`, whose `B` is `dZ`), and the derivative of the
/// activation below it as its input gradient is stored (`dZ·Wᵀ` becomes the gradient of the layer
/// below's pre-activation). Each saves a pass over a matrix and, on OpenCL, a kernel launch.
///
/// In order, for every element of `C`, each step when its part is given:
///
///     v = alpha·Σ_p op(A)[i,p]·op(B)[p,j] + beta·C[i,j]
///     v = v + bias[j]                                       (bias)
///     v = v · g′(preActivation[i,j])                        (derivative)
///     C[i,j] = v;  output[i,j] = f(v)                       (activation)
///
/// `C` keeps the pre-activation, which the activation's backward pass needs. Independently,
/// `bSums[j] = Σ_p op(B)[p,j]` (not scaled by `alpha`; zeros when `k == 0`). An activation and a
/// derivative are not fused into one product (no layer needs both).
public struct GemmFusion: Sendable {
  /// Added to every row of `C` after `alpha` and `beta`: `n` floats.
  public var bias: DeviceBuffer?
  /// `f(C)` written to `output` (`m × n` floats, not `C` itself).
  public var activation: (function: Activation, output: DeviceBuffer)?
  /// Receives the column sums of `op(B)`: `n` floats.
  public var bSums: DeviceBuffer?
  /// Multiplies each value by `function′(preActivation)` (`m × n` floats) before it is stored.
  public var derivative: (function: Activation, preActivation: DeviceBuffer)?

  public init(
    bias: DeviceBuffer? = nil, activation: (function: Activation, output: DeviceBuffer)? = nil,
    bSums: DeviceBuffer? = nil, derivative: (function: Activation, preActivation: DeviceBuffer)? = nil
  ) {
    self.bias = bias
    self.activation = activation
    self.bSums = bSums
    self.derivative = derivative
  }

  /// The plain product.
  public static let none = GemmFusion()

  /// Throws unless `bias` and `bSums` hold `n` floats (and `m ≥ 1` with `bSums`), the
  /// activation's output (distinct from `c`) and the derivative's pre-activation `m × n`, and not
  /// both an activation and a derivative are given.
  package func validate(_ shape: GemmShape, c: DeviceBuffer) throws {
    if let bias { try Check.count("gemm", "bias", bias, shape.n, "\(shape) with \(shape.n) columns") }
    if let bSums {
      try Check.count("gemm", "bSums", bSums, shape.n, "\(shape) with \(shape.n) columns")
      guard shape.m > 0 else {
        throw BackendError.invalidArgument(
          op: "gemm", parameter: "m", value: "0", allowed: ">= 1 when bSums is given")
      }
    }
    if let preActivation = derivative?.preActivation {
      try Check.count(
        "gemm", "derivative's pre-activation", preActivation, shape.m * shape.n, "\(shape) with C \(shape.m)x\(shape.n)"
      )
      guard activation == nil else {
        throw BackendError.invalidArgument(
          op: "gemm", parameter: "fusion", value: "an activation and a derivative", allowed: "at most one of them")
      }
    }
    if let output = activation?.output {
      try Check.count("gemm", "activation output", output, shape.m * shape.n, "\(shape) with C \(shape.m)x\(shape.n)")
      guard output !== c else {
        throw BackendError.invalidArgument(
          op: "gemm", parameter: "activation output", value: "C",
          allowed: "a buffer other than C, which keeps the pre-activation")
      }
    }
  }
}
