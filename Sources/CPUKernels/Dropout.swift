// Dropout's mask (twin of `dropout` in `kernels/rng.cl`): element i keeps x[i]/(1 − rate) unless
// u = (word 0 of Philox4x32-10 at counter (i, stream)) >> 8 · 2⁻²⁴ is below the rate. The Philox
// rounds run for 16 elements at once, each 32-bit word in a 64-bit lane so that a round's two
// 32×32→64 products are one vector multiply each (vpmuludq). One element a call, as the core did
// before, spent 40% of a 784-256-128-10 training step with dropout 0.2 in Philox (Zen 5).

extension Kernels {
  /// `mask[i] = u_i < rate ? 0 : keep` and `y[i] = x[i]·mask[i]` for `i` in `range`, `u_i` from
  /// the Philox block at counter `(i, stream)` under key `seed` (`Philox.block(index:key:)`).
  public static func dropout(
    _ range: Range<Int>, rate: Float, keep: Float, seed: UInt64, stream: UInt64,
    x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, mask: UnsafeMutablePointer<Float>
  ) {
    // u < rate ⟺ n < rate·2²⁴ for the whole number n = word >> 8 (u = n·2⁻²⁴ exactly).
    let threshold = UInt64((rate * 0x1p24).rounded(.up))
    var start = range.lowerBound
    while start < range.upperBound {
      let count = min(Words.scalarCount, range.upperBound - start)
      let words = firstWords(from: UInt64(start), seed: seed, stream: stream)
      for lane in 0..<count {
        let kept: Float = words[lane] >> 8 < threshold ? 0 : keep
        mask[start + lane] = kept
        y[start + lane] = x[start + lane] * kept
      }
      start += count
    }
  }

  typealias Words = SIMD16<UInt64>

  /// Word 0 of the Philox4x32-10 blocks at counters `(index + lane, stream)` under key `seed`, one
  /// lane each (`Philox.block(counter:key:)` in the core, per lane).
  @inline(__always)
  static func firstWords(from index: UInt64, seed: UInt64, stream: UInt64) -> Words {
    let low = Words(repeating: 0xFFFF_FFFF)
    let indices = Words(repeating: index) &+ Words(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
    var (c0, c1) = (indices & low, indices &>> 32)
    var (c2, c3) = (Words(repeating: stream & 0xFFFF_FFFF), Words(repeating: stream >> 32))
    var (k0, k1) = (UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32))
    let (m0, m1) = (Words(repeating: 0xD251_1F53), Words(repeating: 0xCD9E_8D57))
    for round in 0..<10 {
      if round > 0 { (k0, k1) = (k0 &+ 0x9E37_79B9, k1 &+ 0xBB67_AE85) }
      let product0 = (c0 & low) &* m0, product1 = (c2 & low) &* m1
      (c0, c1) = ((product1 &>> 32) ^ c1 ^ Words(repeating: UInt64(k0)), product1 & low)
      (c2, c3) = ((product0 &>> 32) ^ c3 ^ Words(repeating: UInt64(k1)), product0 & low)
    }
    return c0
  }
}
