import Descent
import Foundation
import Testing

/// Initial weights: the right spread on every backend, and the same bits on every backend.
@Suite struct InitializerParity {
  static let all: [Initializer] = [
    .zeros, .constant(0.5), .uniform(low: -2, high: 3), .normal(mean: 1, standardDeviation: 2),
    .glorotUniform, .glorotNormal, .heUniform, .heNormal, .lecunNormal, .lecunUniform,
  ]

  /// The variance each initializer promises for fanIn 300, fanOut 100 (torch.nn.init's formulas).
  static func expectedMoments(_ initializer: Initializer) -> (mean: Double, variance: Double) {
    switch initializer {
    case .zeros: (0, 0)
    case .constant: (0.5, 0)
    case .uniform: (0.5, 25.0 / 12)
    case .normal: (1, 4)
    case .glorotUniform, .glorotNormal: (0, 2.0 / 400)
    case .heUniform, .heNormal: (0, 2.0 / 300)
    case .lecunNormal, .lecunUniform: (0, 1.0 / 300)
    }
  }

  /// The cumulative distribution each initializer promises: uniform on mean ± √(3·variance) for
  /// the uniform ones, else normal (untruncated, as torch.nn.init's).
  static func distribution(
    _ initializer: Initializer, _ moments: (mean: Double, variance: Double)
  ) -> (Double) -> Double {
    switch initializer {
    case .uniform, .glorotUniform, .heUniform, .lecunUniform:
      let half = (3 * moments.variance).squareRoot()
      return { x in min(1, max(0, (x - moments.mean + half) / (2 * half))) }
    default:
      let deviation = moments.variance.squareRoot()
      return { x in 0.5 * erfc(-(x - moments.mean) / (deviation * 2.0.squareRoot())) }
    }
  }

  @Test(arguments: all)
  func momentsAndBitsOnEveryBackend(_ initializer: Initializer) throws {
    let (fanIn, fanOut) = (300, 100), count = 30_000
    var reference: [UInt32]?
    for backend in [TestBackends.cpu as any Backend] + TestBackends.openCL {
      let weights = try Inputs.output(backend, count)
      try initializer.initialize(weights, fanIn: fanIn, fanOut: fanOut, on: backend, key: RandomKey(seed: 9, stream: 4))
      let values = try backend.download(weights)
      let mean = values.reduce(0.0) { $0 + Double($1) } / Double(count)
      let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(count)
      let expected = Self.expectedMoments(initializer)
      // 5 standard errors: var(mean) = σ²/n; var(s²) ≈ 2σ⁴/n for a normal, less for a uniform.
      #expect(
        abs(mean - expected.mean) <= 5 * (expected.variance / Double(count)).squareRoot() + 1e-7,
        "\(initializer) on \(backend.name): mean \(mean)")
      #expect(
        abs(variance - expected.variance) <= 5 * expected.variance * (2 / Double(count)).squareRoot() + 1e-7,
        "\(initializer) on \(backend.name): variance \(variance), expected \(expected.variance)")
      // The shape too (a uniform draw with the right variance must not pass for a normal one):
      // the Kolmogorov–Smirnov distance to the promised distribution stays under 2.2/√n
      // (exceeded by chance with probability 2·e^(−2·2.2²) ≈ 1e-4); a uniform is 0.05 from a normal.
      if expected.variance > 0 {
        let cdf = Self.distribution(initializer, expected)
        let sorted = values.map(Double.init).sorted()
        let distance = sorted.indices.map { i in
          max(abs(cdf(sorted[i]) - Double(i) / Double(count)), abs(cdf(sorted[i]) - Double(i + 1) / Double(count)))
        }.max()!
        #expect(
          distance < 2.2 / Double(count).squareRoot(), "\(initializer) on \(backend.name): KS distance \(distance)")
      }
      let bits = values.map(\.bitPattern)
      if let reference {
        #expect(bits == reference, "\(initializer) on \(backend.name) differs from the CPU's bits")
      } else {
        reference = bits
      }
    }
  }
}
