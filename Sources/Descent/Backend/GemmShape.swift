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
  /// The products one step of a Fashion-MNIST MLP makes (784, then `hidden`, then 10 units, at
  /// `batch` rows), named: each layer's forward `X·W`, weight gradients `Xᵀ·dY`, then input
  /// gradients `dY·Wᵀ` (none for the first layer).
  package static func mlpProducts(hidden: [Int], batch: Int = 128) -> [(name: String, shape: GemmShape)] {
    let widths = [784] + hidden + [10]
    let layers = Array(zip(widths.dropLast(), widths.dropFirst()))
    return layers.map { ("mlp fwd \(batch)x\($1)x\($0)", GemmShape(m: batch, n: $1, k: $0)) }
      + layers.map { ("mlp dW \($0)x\($1)x\(batch) (AᵀB)", GemmShape(m: $0, n: $1, k: batch, transposeA: true)) }
      + layers.dropFirst().map {
        ("mlp dX \(batch)x\($0)x\($1) (ABᵀ)", GemmShape(m: batch, n: $0, k: $1, transposeB: true))
      }
  }

  /// The 784-256-128-10 MLP's products at batch 128, written once for the benchmarks
  /// (`benchmarks/Cases.swift`) and the parity suite (`ParityCases+Gemm.swift`), so every shape
  /// the benchmarks time by default is also checked.
  package static let mlpProducts = mlpProducts(hidden: [256, 128])
}
