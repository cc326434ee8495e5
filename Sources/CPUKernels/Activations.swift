// GELU and SiLU forward and backward, 16 values at a time (twins of `gelu_*` and `silu_*` in
// `kernels/activation.cl`): libm's scalar `erff` and `expf` took 36% of a 784-1024-10 GELU
// training step on Zen 5, more than its GEMM. The other activations stay in the core, whose loops
// the compiler vectorises (ReLU, leaky ReLU) or which no default search uses.

extension Kernels {
  /// `y = f(x)` for `count` values where this level vectorises `f` (by its name: `gelu`, `silu`);
  /// false, touching nothing, for the others.
  public static func activate(
    _ name: String, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int
  ) -> Bool {
    switch name {
    case "gelu": lanes(count, x, nil, y) { x, _ in x * (0.5 + 0.5 * erf(x * halfRootTwo)) }
    case "silu": lanes(count, x, nil, y) { x, _ in x / (1 + exp(-x)) }
    default: return false
    }
    return true
  }

  /// `dx = f′(x)·dy` for `count` values where this level vectorises `f`; false for the others.
  public static func activationBackward(
    _ name: String, input x: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
    into dx: UnsafeMutablePointer<Float>, count: Int
  ) -> Bool {
    switch name {
    case "gelu":  // Φ(x) + x·φ(x)
      lanes(count, x, dy, dx) { x, dy in
        let phi = V(repeating: 0.398_942_280_401_432_7) * exp(V(repeating: -0.5) * x * x)
        return multiplyAdd(x, phi, 0.5 + 0.5 * erf(x * halfRootTwo)) * dy
      }
    case "silu":  // σ(x)·(1 + x·(1 − σ(x)))
      lanes(count, x, dy, dx) { x, dy in
        let s = 1 / (1 + exp(-x))
        return s * multiplyAdd(x, 1 - s, V(repeating: 1)) * dy
      }
    default: return false
    }
    return true
  }

  private typealias V = Lanes.Vector
  private static let halfRootTwo = V(repeating: 0.707_106_781_186_547_5)

  /// `out[i] = body(x[i], dy[i])` 16 at a time; the last partial vector through a padded copy.
  @inline(__always)
  private static func lanes(
    _ count: Int, _ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>,
    _ body: (V, V) -> V
  ) {
    var i = 0
    while i + Lanes.width <= count {
      Lanes.store(body(Lanes.load(x, i), dy.map { Lanes.load($0, i) } ?? V()), out, i)
      i += Lanes.width
    }
    guard i < count else { return }
    var (tailX, tailDY) = (V(), V())
    for j in i..<count {
      tailX[j - i] = x[j]
      tailDY[j - i] = dy?[j] ?? 0
    }
    let result = body(tailX, tailDY)
    for j in i..<count { out[j] = result[j - i] }
  }

  /// erf lane by lane: x·P(x²)/Q(x²) on x clamped to [−4, 4] (beyond, erf is ±1 in float), the
  /// rational minimax form Eigen and XLA use; within 4.5·10⁻⁷ of erf (7.5 ulp near ±3.2, measured
  /// against float64 on 2·10⁶ points of [−6, 6]), inside the parity suite's 16 ulp. NaN stays NaN.
  @inline(__always) private static func erf(_ x: V) -> V {
    let x = x.replacing(with: -4, where: x .< -4).replacing(with: 4, where: x .> 4)
    let x2 = x * x
    var p = V(repeating: -2.726_142_258_013_06e-10)
    p = multiplyAdd(p, x2, V(repeating: 2.770_681_424_959_02e-08))
    p = multiplyAdd(p, x2, V(repeating: -2.101_024_020_825_08e-06))
    p = multiplyAdd(p, x2, V(repeating: -5.692_506_394_623_46e-05))
    p = multiplyAdd(p, x2, V(repeating: -7.349_906_303_268_55e-04))
    p = multiplyAdd(p, x2, V(repeating: -2.954_599_808_540_25e-03))
    p = multiplyAdd(p, x2, V(repeating: -1.609_603_332_624_15e-02))
    var q = V(repeating: -1.456_607_184_649_96e-05)
    q = multiplyAdd(q, x2, V(repeating: -2.133_740_552_789_05e-04))
    q = multiplyAdd(q, x2, V(repeating: -1.682_826_974_382_03e-03))
    q = multiplyAdd(q, x2, V(repeating: -7.373_329_167_204_68e-03))
    q = multiplyAdd(q, x2, V(repeating: -1.426_473_905_141_89e-02))
    return x * p / q
  }
}
