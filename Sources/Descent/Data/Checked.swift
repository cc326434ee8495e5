/// Arithmetic on sizes, counts and offsets read from outside (files, metadata, flags): every result
/// is bounded before it is used, so a crafted value is an error and never an overflow trap.
package enum Checked {
  /// The product of `factors` if every factor is ≥ 0 and the product is at most `limit`, else nil.
  /// Stops at the first partial product past `limit`, so it cannot overflow.
  package static func product(_ factors: [Int], atMost limit: Int) -> Int? {
    var product = 1
    for factor in factors {
      guard factor >= 0 else { return nil }
      let (next, overflow) = product.multipliedReportingOverflow(by: factor)
      guard !overflow, next <= limit else { return factors.contains(0) && limit >= 0 ? 0 : nil }
      product = next
    }
    return product
  }

  /// `value` as an `Int` if it is a whole number in `range`, else nil: never `Int(someDouble)`
  /// on a value that traps (NaN, ±∞, out of `Int`'s range).
  package static func wholeNumber(_ value: Double, in range: ClosedRange<Int>) -> Int? {
    guard let integer = Int(exactly: value), range.contains(integer) else { return nil }
    return integer
  }
}
