/// The shape of `C = alpha·op(A)·op(B) + beta·C`, all matrices row-major.
///
/// `op(A)` is `m × k` and `op(B)` is `k × n`. With `transposeA`, `A` is stored as `k × m`; with
/// `transposeB`, `B` is stored as `n × k`. A dense layer's three products are
/// `Y = X·W` (forward), `dW = Xᵀ·dY` and `dX = dY·Wᵀ` (backward).
public struct GemmShape: Sendable, Hashable, Codable, CustomStringConvertible {
  public var m: Int
  public var n: Int
  public var k: Int
  public var transposeA: Bool
  public var transposeB: Bool
  public var alpha: Float
  public var beta: Float

  public init(
    m: Int, n: Int, k: Int, transposeA: Bool = false, transposeB: Bool = false,
    alpha: Float = 1, beta: Float = 0
  ) {
    self.m = m
    self.n = n
    self.k = k
    self.transposeA = transposeA
    self.transposeB = transposeB
    self.alpha = alpha
    self.beta = beta
  }

  /// Floating-point operations: one multiply and one add per term of each `C` element.
  public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }

  /// "gemm 33x7x127 (AᵀB)": the sizes `m×n×k` and which operands are transposed.
  public var description: String {
    "gemm \(m)x\(n)x\(k) (\(transposeA ? "Aᵀ" : "A")\(transposeB ? "Bᵀ" : "B"))"
  }

  /// Throws unless the buffers hold `m×k`, `k×n` and `m×n` floats.
  package func validate(_ a: DeviceBuffer, _ b: DeviceBuffer, _ c: DeviceBuffer) throws {
    try Check.nonNegative("gemm", "m", m)
    try Check.nonNegative("gemm", "n", n)
    try Check.nonNegative("gemm", "k", k)
    let aShape = transposeA ? "\(k)x\(m)" : "\(m)x\(k)"
    let bShape = transposeB ? "\(n)x\(k)" : "\(k)x\(n)"
    try Check.count("gemm", "A", a, m * k, "\(description) with A \(aShape)")
    try Check.count("gemm", "B", b, k * n, "\(description) with B \(bShape)")
    try Check.count("gemm", "C", c, m * n, "\(description) with C \(m)x\(n)")
  }
}

extension GemmShape {
  /// The products a Fashion-MNIST MLP step makes (784-256-128-10 at batch 128), named: each
  /// layer's forward `X·W`, weight gradient `Xᵀ·dY` and input gradient `dY·Wᵀ` (none for the
  /// first layer). Written once for the benchmarks (`benchmarks/Cases.swift`) and the parity
  /// suite (`ParityCases+Gemm.swift`), so every shape that is timed is also checked.
  package static let mlpProducts: [(name: String, shape: GemmShape)] = [
    ("mlp fwd 128x256x784", GemmShape(m: 128, n: 256, k: 784)),
    ("mlp fwd 128x128x256", GemmShape(m: 128, n: 128, k: 256)),
    ("mlp fwd 128x10x128", GemmShape(m: 128, n: 10, k: 128)),
    ("mlp dW 784x256x128 (AᵀB)", GemmShape(m: 784, n: 256, k: 128, transposeA: true)),
    ("mlp dW 256x128x128 (AᵀB)", GemmShape(m: 256, n: 128, k: 128, transposeA: true)),
    ("mlp dW 128x10x128 (AᵀB)", GemmShape(m: 128, n: 10, k: 128, transposeA: true)),
    ("mlp dX 128x256x128 (ABᵀ)", GemmShape(m: 128, n: 256, k: 128, transposeB: true)),
    ("mlp dX 128x128x10 (ABᵀ)", GemmShape(m: 128, n: 128, k: 10, transposeB: true)),
  ]
}
