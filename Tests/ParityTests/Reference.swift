import Descent
import Foundation

/// The slowest, plainest float64 loops, written from the textbook definitions: what every backend
/// is compared with. Nothing here calls Descent's code (an ``Activation`` only picks a formula).
enum Reference {
  /// `alpha·op(A)·op(B) + beta·C` and Higham's bound γ_{k+2}·(|alpha|·Σ|a||b| + |beta·c|) per element.
  static func gemm(
    m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool, alpha: Double, beta: Double,
    a: [Double], b: [Double], c: [Double]
  ) -> (values: [Double], bounds: [Double]) {
    var values = [Double](repeating: 0, count: m * n), bounds = values
    for i in 0..<m {
      for j in 0..<n {
        var sum = 0.0, magnitude = 0.0
        for p in 0..<k {
          let x = transposeA ? a[p * m + i] : a[i * k + p]
          let y = transposeB ? b[j * k + p] : b[p * n + j]
          sum += x * y
          magnitude += abs(x * y)
        }
        let previous = beta == 0 ? 0 : beta * c[i * n + j]
        values[i * n + j] = alpha * sum + previous
        bounds[i * n + j] = gamma(k + 2) * (abs(alpha) * magnitude + abs(previous)) + 1e-30
      }
    }
    return (values, bounds)
  }

  static func relu(_ x: Double) -> Double { max(x, 0) }
  static func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
  /// x·Φ(x), Φ the standard normal CDF.
  static func gelu(_ x: Double) -> Double { x * 0.5 * (1 + erf(x / 2.0.squareRoot())) }

  // MARK: Activations: everything the tests know of each, in one place

  /// `f(x)` from its definition.
  static func activation(_ f: Activation, _ x: Double) -> Double {
    switch f {
    case .relu: relu(x)
    case let .leakyReLU(slope): x > 0 ? x : Double(slope) * x
    case .sigmoid: sigmoid(x)
    case .tanh: tanh(x)
    case .gelu: gelu(x)
    case .silu: x / (1 + exp(-x))
    case .mish: x * tanh(log(1 + exp(x)))
    }
  }

  /// `f′(x)` from the definitions (not from the code's formulas): analytic where simple, else
  /// Φ(x) + x·φ(x) for GELU.
  static func derivative(_ f: Activation, _ x: Double) -> Double {
    switch f {
    case .relu: x > 0 ? 1 : 0
    case let .leakyReLU(slope): x > 0 ? 1 : Double(slope)
    case .sigmoid: sigmoid(x) * (1 - sigmoid(x))
    case .tanh: 1 / (cosh(x) * cosh(x))
    case .gelu: 0.5 * (1 + erf(x / 2.0.squareRoot())) + x * exp(-x * x / 2) / (2 * Double.pi).squareRoot()
    // d/dx x/(1 + e^−x) by the quotient rule.
    case .silu: (1 + exp(-x) + x * exp(-x)) / ((1 + exp(-x)) * (1 + exp(-x)))
    // tanh′ = 1/cosh², softplus′ = σ: by the product and chain rules.
    case .mish: tanh(log(1 + exp(x))) + x * sigmoid(x) / (cosh(log(1 + exp(x))) * cosh(log(1 + exp(x))))
    }
  }

  /// How far float32 `f(x)` may be from `value`, the float64 `f(x)`: exact for ReLU, one rounding
  /// for LeakyReLU, 16 ulp where OpenCL C allows exp 3, log1p 2, tanh 5 and erf 16 ulp (spec 1.2
  /// §7.4; Mish composes exp, log1p and tanh, each with a condition number ≤ 1 there),
  /// plus 16 ulp of |x| where the function adds x to a value near −x (GELU's 1+erf).
  static func activationBound(_ f: Activation, _ value: Double, _ x: Double) -> Double {
    switch f {
    case .relu: 0
    case .leakyReLU: u * abs(value)
    case .sigmoid, .tanh, .silu, .mish: 16 * 0x1p-23 * abs(value) + 1e-30
    case .gelu: 16 * 0x1p-23 * (abs(value) + abs(x))
    }
  }

  static func softmax(_ row: ArraySlice<Double>) -> [Double] {
    let largest = row.max() ?? 0
    let exps = row.map { exp($0 - largest) }
    let total = exps.reduce(0, +)
    return exps.map { $0 / total }
  }
}
