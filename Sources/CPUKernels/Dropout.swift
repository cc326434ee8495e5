// Dropout's mask (twin of `dropout` in `kernels/rng.cl`): element i keeps x[i]/(1 − rate) unless
// u = (word i mod 4 of Philox4x32-10 at counter (⌊i/4⌋, stream)) >> 8 · 2⁻²⁴ is below the rate:
// each block's four words serve four elements. The Philox rounds run for 16 blocks (64 elements)
// at once, each 32-bit word in a 64-bit lane so that a round's two 32×32→64 products are one
// vector multiply each (vpmuludq). One element a call, as the core did before, spent 40% of a
// 784-256-128-10 training step with dropout 0.2 in Philox (Zen 5); a block an element, 16 at a
// time, still 9% of a tune benchmark run.

extension Kernels {
  /// `mask[i] = u_i < rate ? 0 : keep` and `y[i] = x[i]·mask[i]` for `i` in `range`, `u_i` from
  /// word `i mod 4` of the Philox block at counter `(⌊i/4⌋, stream)` under key `seed`.
  public static func dropout(
    _ range: Range<Int>, rate: Float, keep: Float, seed: UInt64, stream: UInt64,
    x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, mask: UnsafeMutablePointer<Float>
  ) {
    // u < rate ⟺ n < rate·2²⁴ for the whole number n = word >> 8 (u = n·2⁻²⁴ exactly).
    let threshold = UInt64((rate * 0x1p24).rounded(.up))
    withUnsafeTemporaryAllocation(of: Float.self, capacity: 64) { masks in
      let masks = masks.baseAddress!
      var block = range.lowerBound / 4
      while 4 * block < range.upperBound {
        let words = blockWords(from: UInt64(block), seed: seed, stream: stream)
        // Element 4·(block + lane) + word takes word `word` of lane `lane`: interleave the four.
        interleave(words.0, as: 0, threshold: threshold, kept: keep, into: masks)
        interleave(words.1, as: 1, threshold: threshold, kept: keep, into: masks)
        interleave(words.2, as: 2, threshold: threshold, kept: keep, into: masks)
        interleave(words.3, as: 3, threshold: threshold, kept: keep, into: masks)
        let first = 4 * block
        for i in max(range.lowerBound, first)..<min(range.upperBound, first + 64) {
          mask[i] = masks[i - first]
          y[i] = x[i] * masks[i - first]
        }
        block += 16
      }
    }
  }

  typealias Words = SIMD16<UInt64>

  /// Sets `masks[4·lane + word]` to 0 where lane `lane` of `words` falls below the rate, else to `kept`.
  @inline(__always)
  static func interleave(
    _ words: Words, as word: Int, threshold: UInt64, kept: Float, into masks: UnsafeMutablePointer<Float>
  ) {
    for lane in 0..<16 { masks[4 * lane + word] = words[lane] >> 8 < threshold ? 0 : kept }
  }

  /// The four words of the Philox4x32-10 blocks at counters `(index + lane, stream)` under key
  /// `seed`, one lane each (`Philox.block(counter:key:)` in the core, per lane).
  @inline(__always)
  static func blockWords(from index: UInt64, seed: UInt64, stream: UInt64) -> (Words, Words, Words, Words) {
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
    return (c0, c1, c2, c3)
  }
}
