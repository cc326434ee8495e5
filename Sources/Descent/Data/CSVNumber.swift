/// The numbers a CSV cell may hold, as people and programs write them: an optional sign, digits
/// with an optional decimal point (`-0`, `.25`, `5.`, `12.5`), an optional exponent (`1e-50`,
/// `2E+3`), or `nan`, `inf`, `infinity` in any case with an optional sign (read, then reported
/// by ``Dataset/checkFinite()``). Nothing else: no hex (`0x1p3`), no digit separators, no
/// surrounding text. Values are rounded from the decimal once, to `Double`.
package enum CSVNumber {
  /// The value of `text`, or nil when it is not a number in this grammar.
  package static func parse(_ text: ArraySlice<UInt8>) -> Double? {
    var at = text.startIndex
    if at < text.endIndex, text[at] == plus || text[at] == minus { at += 1 }
    let body = text[at...]
    if let first = body.first, first | 0x20 == 0x6E || first | 0x20 == 0x69 {  // n, N, i, I: a word
      guard let word = String(validating: body, as: UTF8.self)?.lowercased(), ["nan", "inf", "infinity"].contains(word)
      else { return nil }
      return Double(String(decoding: text, as: UTF8.self).lowercased())
    }
    let integerDigits = digits(text, from: &at)
    var fractionDigits = 0
    if at < text.endIndex, text[at] == point {
      at += 1
      fractionDigits = digits(text, from: &at)
    }
    guard integerDigits + fractionDigits > 0 else { return nil }
    if at < text.endIndex, text[at] == lowerE || text[at] == upperE {
      at += 1
      if at < text.endIndex, text[at] == plus || text[at] == minus { at += 1 }
      guard digits(text, from: &at) > 0 else { return nil }
    }
    guard at == text.endIndex else { return nil }
    return Double(String(decoding: text, as: UTF8.self))
  }

  /// Whether `text` is written with digits (not `nan` or `inf`): such a number must be finite.
  package static func isDecimal(_ text: ArraySlice<UInt8>) -> Bool {
    text.first { $0 != plus && $0 != minus }.map { $0 == point || ($0 >= zero && $0 <= nine) } ?? false
  }

  private static func digits(_ text: ArraySlice<UInt8>, from at: inout Int) -> Int {
    let start = at
    while at < text.endIndex, text[at] >= zero, text[at] <= nine { at += 1 }
    return at - start
  }

  private static let (plus, minus, point, lowerE, upperE, zero, nine):
    (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
      (0x2B, 0x2D, 0x2E, 0x65, 0x45, 0x30, 0x39)
}
