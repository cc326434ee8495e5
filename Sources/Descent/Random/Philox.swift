/// Philox4x32-10, the counter-based generator of Salmon et al., "Parallel random numbers: as easy as
/// 1, 2, 3" (SC 2011), as in Random123 and `curand`. `kernels/rng.cl` implements the same function,
/// so a key and counter give the same four words on every backend.
public enum Philox {
  /// The four 32-bit words for `counter` under `key` (ten rounds).
  public static func block(counter: SIMD4<UInt32>, key: SIMD2<UInt32>) -> SIMD4<UInt32> {
    var counter = counter
    var key = key
    for round in 0..<10 {
      if round > 0 { key &+= SIMD2(0x9E37_79B9, 0xBB67_AE85) }
      let product0 = UInt64(0xD251_1F53) &* UInt64(counter[0])
      let product1 = UInt64(0xCD9E_8D57) &* UInt64(counter[2])
      counter = SIMD4(
        UInt32(truncatingIfNeeded: product1 >> 32) ^ counter[1] ^ key[0],
        UInt32(truncatingIfNeeded: product1),
        UInt32(truncatingIfNeeded: product0 >> 32) ^ counter[3] ^ key[1],
        UInt32(truncatingIfNeeded: product0))
    }
    return counter
  }

  /// The block for element `index` of the stream `key.stream` under `key.seed`: counter
  /// `(index.lo, index.hi, stream.lo, stream.hi)`, key `(seed.lo, seed.hi)`.
  public static func block(index: UInt64, key: RandomKey) -> SIMD4<UInt32> {
    block(
      counter: SIMD4(
        UInt32(truncatingIfNeeded: index), UInt32(truncatingIfNeeded: index >> 32),
        UInt32(truncatingIfNeeded: key.stream), UInt32(truncatingIfNeeded: key.stream >> 32)),
      key: SIMD2(UInt32(truncatingIfNeeded: key.seed), UInt32(truncatingIfNeeded: key.seed >> 32)))
  }
}

/// Names one stream of random numbers: a seed and a stream number (for example one per layer and
/// step), so that streams never overlap and any element can be computed alone.
public struct RandomKey: Sendable, Hashable, Codable {
  public var seed: UInt64
  public var stream: UInt64

  public init(seed: UInt64, stream: UInt64 = 0) {
    self.seed = seed
    self.stream = stream
  }
}

/// The distribution ``Backend/fillRandom(_:_:key:)`` draws from.
public enum Distribution: Sendable, Hashable, Codable {
  /// Uniform on `[low, high)`: `low + (high − low)·u` with `u = (word0 >> 8)·2⁻²⁴`.
  case uniform(low: Float, high: Float)
  /// Normal by the Box–Muller transform of words 0 and 1: `mean + std·√(−2 ln u₁)·cos(2πu₂)`.
  case normal(mean: Float, standardDeviation: Float)
}
