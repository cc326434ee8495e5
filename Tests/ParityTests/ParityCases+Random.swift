import Descent
import Foundation

extension ParityCase {
  static let random: [ParityCase] = randomFills + dropouts

  /// Fills against the float64 transform of the same Philox words: uniform to a rounding or two,
  /// normal (Box–Muller with libm's log, sqrt and cos) to the portable functions' accuracy.
  /// Bit-identity across backends is checked separately (`Parity.randomBitsMatchCPU`).
  static let randomFills: [ParityCase] = [
    Distribution.uniform(low: -0.5, high: 2), .normal(mean: 1, standardDeviation: 0.5),
  ].flatMap { distribution in
    (counts + [4096]).map { count in
      let key = RandomKey(seed: 0xDE5C_E17 + UInt64(count), stream: 3)
      return ParityCase(name: "fill_random \(distribution) \(count)") { backend in
        let y = try Inputs.output(backend, count)
        try backend.fillRandom(y, distribution, key: key)
        return try backend.download(y)
      } reference: {
        let blocks = (0..<count).map { Philox.block(index: UInt64($0), key: key) }
        switch distribution {
        case let .uniform(low, high):
          let values = blocks.map { Double(low) + Double(high - low) * Double($0[0] >> 8) * 0x1p-24 }
          return Expected(
            values, bounds: values.map { gamma(2) * (abs($0) + Double(high - low)) },
            why: "a product and a sum")
        case let .normal(mean, standardDeviation):
          let values = blocks.map { block -> Double in
            let u1 = Double((block[0] >> 8) + 1) * 0x1p-24, u2 = Double(block[1] >> 8) * 0x1p-24
            return Double(mean) + Double(standardDeviation) * (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
          }
          return Expected(
            values, bounds: values.map { 2e-6 * (abs($0) + 1) },
            why: "portable log/sqrt/cos within ~1e-7 relative, amplified by √(−2 ln u₁) ≤ 5.8")
        }
      }
    }
  }

  /// Rates on an element's draw and half a step (2⁻²⁵) above it: the element is kept (u = rate is
  /// not below it), then dropped — a threshold rounded down or compared with ≤ fails one of them.
  static let edgeRates: [Float] = {
    let key = RandomKey(seed: 42, stream: 33)
    let n = (0..<33).lazy.map { dropoutWord($0, key: key) >> 8 }.first { $0 > 0 && $0 < 1 << 23 }!
    return [Float(n) * 0x1p-24, (Float(n) + 0.5) * 0x1p-24]
  }()

  /// The Philox word dropout draws for element `index`, written out from the layout the backends
  /// document: word `index mod 4` of the block at `index / 4`.
  static func dropoutWord(_ index: Int, key: RandomKey) -> UInt32 {
    Philox.block(index: UInt64(index / 4), key: key)[index % 4]
  }

  static let dropouts: [ParityCase] =
    [0, 0.1, 0.5, 0.9].flatMap { rate in counts.map { dropout(rate: rate, count: $0) } }
    + edgeRates.map { dropout(rate: $0, count: 33) }

  static func dropout(rate: Float, count: Int) -> ParityCase {
    let x = Inputs.uniform(count, seed: UInt64(count) + 71)
    let key = RandomKey(seed: 42, stream: UInt64(count))
    return ParityCase(name: "dropout rate \(rate) \(count)") { backend in
      let (y, mask) = (try Inputs.output(backend, count), try Inputs.output(backend, count))
      try backend.dropout(try backend.buffer(x), rate: rate, key: key, into: y, mask: mask)
      return try backend.download(y) + backend.download(mask)
    } reference: {
      let keep = Double(1 / (1 - rate))
      let mask = (0..<count).map { index -> Double in
        let uniform = Double(dropoutWord(index, key: key) >> 8) * 0x1p-24
        return uniform < Double(rate) ? 0 : keep
      }
      return Expected(x.indices.map { Double(x[$0]) * mask[$0] }, absolute: 0, relative: u, why: "one product")
        + Expected(mask, absolute: 0, relative: 0, why: "0 or 1/(1−rate): exact")
    }
  }
}
