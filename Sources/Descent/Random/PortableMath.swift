/// The float functions that turn Philox words into numbers, written with only `+`, `−`, `×` and bit
/// operations (each exactly rounded in IEEE 754, and in OpenCL C with `FP_CONTRACT OFF`), so that
/// `kernels/rng.cl` computes the same bits. Library `log`, `cos` and `sqrt` may differ by a few ulp
/// from one OpenCL driver to the next; these do not.
package enum PortableMath {
  /// `(word >> 8)·2⁻²⁴`, uniform on `[0, 1)`; exact in `Float`.
  @inline(__always)
  package static func unitInterval(_ word: UInt32) -> Float {
    Float(word >> 8) * 0x1p-24
  }

  /// `ln x` for a normal positive `x`, to about 1e-7 absolute (a degree-10 fit of `log1p` on
  /// `[√½ − 1, √2 − 1]` after splitting off the exponent).
  package static func log(_ x: Float) -> Float {
    var exponent = Int32((x.bitPattern >> 23) & 0xFF) - 127
    var mantissa = Float(bitPattern: (x.bitPattern & 0x7F_FFFF) | 0x3F80_0000)
    if mantissa > 0x1.6a09e6p+0 {  // √2
      mantissa = mantissa * 0.5
      exponent += 1
    }
    let f = mantissa - 1
    var p: Float = 0.06740232557058334
    p = p * f + -0.11727229505777359
    p = p * f + 0.11923926323652267
    p = p * f + -0.12399221211671829
    p = p * f + 0.14212606847286224
    p = p * f + -0.16668042540550232
    p = p * f + 0.2000257670879364
    p = p * f + -0.2500002384185791
    p = p * f + 0.33333301544189453
    p = p * f + -0.5
    p = p * f + 1
    return Float(exponent) * 0x1.62e430p-1 + p * f  // ln 2
  }

  /// `√x` for `x ≥ 0`: the bit-trick reciprocal square root refined by four Newton steps.
  package static func sqrt(_ x: Float) -> Float {
    var y = Float(bitPattern: 0x5F37_59DF &- (x.bitPattern >> 1))
    for _ in 0..<4 {
      y = y * (1.5 - 0.5 * x * y * y)
    }
    return x * y
  }

  /// `cos(2πu)` for `u ∈ [0, 1)`, folded exactly onto `[0, π/2]` and summed as a Taylor series to
  /// the `y¹⁴` term (error below 1e-9 there).
  package static func cosTwoPi(_ u: Float) -> Float {
    var w = u - 0.5  // cos(2πu) = −cos(2π(u − ½)); exact for u a multiple of 2⁻²⁴
    if w < 0 { w = -w }
    var sign: Float = -1
    if w > 0.25 {  // cos(2πw) = −cos(2π(½ − w))
      w = 0.5 - w
      sign = 1
    }
    let y = w * 0x1.921fb6p+2  // 2π
    let y2 = y * y
    var p: Float = -0x1.93974ap-37  // −1/14!
    p = p * y2 + 0x1.1eed8ep-29  // 1/12!
    p = p * y2 - 0x1.27e4fcp-22  // 1/10!
    p = p * y2 + 0x1.a01a02p-16  // 1/8!
    p = p * y2 - 0x1.6c16c2p-10  // 1/6!
    p = p * y2 + 0x1.555556p-5  // 1/4!
    p = p * y2 - 0.5
    return sign * (p * y2 + 1)
  }

  /// One draw of `distribution` from a Philox block.
  @inline(__always)
  package static func sample(_ distribution: Distribution, _ block: SIMD4<UInt32>) -> Float {
    switch distribution {
    case let .uniform(low, high):
      return low + (high - low) * unitInterval(block[0])
    case let .normal(mean, standardDeviation):
      let u1 = Float((block[0] >> 8) + 1) * 0x1p-24  // (0, 1]: log is finite
      let radius = sqrt(-2 * log(u1))
      return mean + standardDeviation * (radius * cosTwoPi(unitInterval(block[1])))
    }
  }
}
