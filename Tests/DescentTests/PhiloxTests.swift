import Descent
import Foundation
import Testing

/// The generator against Random123's published known answers, and the portable transforms against
/// libm in float64.
@Suite struct PhiloxTests {
  /// Random123 `tests/kat_vectors`, the three `philox4x32 10` lines: counter[4], key[2] → result[4].
  @Test(
    arguments: [
      ([0, 0, 0, 0], [0, 0], [0x6627_E8D5, 0xE169_C58D, 0xBC57_AC4C, 0x9B00_DBD8]),
      (
        [0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF], [0xFFFF_FFFF, 0xFFFF_FFFF],
        [0x408F_276D, 0x41C8_3B0E, 0xA20B_C7C6, 0x6D54_51FD]
      ),
      (
        [0x243F_6A88, 0x85A3_08D3, 0x1319_8A2E, 0x0370_7344], [0xA409_3822, 0x299F_31D0],
        [0xD16C_FE09, 0x94FD_CCEB, 0x5001_E420, 0x2412_6EA1]
      ),
    ] as [([UInt32], [UInt32], [UInt32])])
  func knownAnswers(counter: [UInt32], key: [UInt32], expected: [UInt32]) {
    let block = Philox.block(counter: SIMD4(counter), key: SIMD2(key))
    #expect([block[0], block[1], block[2], block[3]] == expected)
  }

  @Test func indexAndStreamMapOntoTheCounter() {
    let key = RandomKey(seed: 0x1234_5678_9ABC_DEF0, stream: 0x0000_0002_0000_0001)
    let block = Philox.block(index: 0x0000_0005_0000_0003, key: key)
    #expect(block == Philox.block(counter: SIMD4(3, 5, 1, 2), key: SIMD2(0x9ABC_DEF0, 0x1234_5678)))
  }

  /// log, sqrt and cos(2π·) built from + and × only, over every input range Box–Muller uses.
  @Test func portableMathMatchesLibm() {
    var worstLog = 0.0, worstSqrt = 0.0, worstCos = 0.0
    for step in 1...(1 << 16) {
      let u = Float(step) * 0x1p-16  // (0, 1]
      // ln u needs up to 5 integer bits, so a float holds it only to ulp(|ln u|) ≈ 1e-6 at u ≈ 2⁻¹⁶:
      // the error is measured in units of 2 ulp of the result plus 1e-7.
      let exact = log(Double(u))
      worstLog = max(worstLog, abs(Double(PortableMath.log(u)) - exact) / (2 * Double(Float(abs(exact)).ulp) + 1e-7))
      let radius = Float(step) * 0x1p-11  // (0, 32]
      worstSqrt = max(worstSqrt, abs(Double(PortableMath.sqrt(radius)) / Double(radius).squareRoot() - 1))
      let angle = Float(step - 1) * 0x1p-16  // [0, 1)
      worstCos = max(worstCos, abs(Double(PortableMath.cosTwoPi(angle)) - cos(2 * Double.pi * Double(angle))))
    }
    #expect(PortableMath.sqrt(0) == 0)
    // The smallest u₁ the normal draws use: ln 2⁻²⁴ = −24 ln 2, finite and within 2 ulp.
    let smallest = Double(PortableMath.log(0x1p-24)), expected = -24 * 0.693_147_180_559_945_3
    #expect(abs(smallest - expected) <= 2 * Double(Float(-expected).ulp), "log(2⁻²⁴) = \(smallest), not \(expected)")
    // log within 2 ulp + 1e-7, sqrt within 3 ulp relative, cos within 2e-7 absolute.
    #expect(worstLog <= 1, "log error \(worstLog) of the bound")
    #expect(worstSqrt < 3 * 0x1p-23, "sqrt relative error \(worstSqrt)")
    #expect(worstCos < 2e-7, "cos error \(worstCos)")
  }

  /// Moments of 10⁶ draws: uniform mean ½ and variance 1/12, normal mean 0 and variance 1, each
  /// within 5 standard errors.
  @Test func distributionsHaveTheirMoments() throws {
    let backend = CPUBackend()
    let count = 1_000_000
    let buffer = try backend.allocate(count)
    try backend.fillRandom(buffer, .uniform(low: 0, high: 1), key: RandomKey(seed: 1))
    let uniform = try backend.download(buffer).map(Double.init)
    let uniformMean = uniform.reduce(0, +) / Double(count)
    #expect(abs(uniformMean - 0.5) < 5 * (1.0 / 12 / Double(count)).squareRoot())
    try backend.fillRandom(buffer, .normal(mean: 0, standardDeviation: 1), key: RandomKey(seed: 2))
    let normal = try backend.download(buffer).map(Double.init)
    let mean = normal.reduce(0, +) / Double(count)
    let variance = normal.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(count)
    #expect(abs(mean) < 5 / Double(count).squareRoot())
    #expect(abs(variance - 1) < 5 * (2 / Double(count)).squareRoot())
    #expect(normal.filter { abs($0) > 4 }.count < 200, "tails: P(|z| > 4) ≈ 6.3e-5")
  }
}
