import Foundation

/// A seeded mutation fuzzer for the loaders of files and settings users hand us: each case applies
/// one to four random mutations (bit flips, boundary values in 1-, 4- and 8-byte fields, inserted,
/// deleted and repeated spans, truncation, number tokens swapped for extreme ones) to one of a few
/// valid seed inputs. Same seed, same cases: a failure names its case number to replay. Its
/// stream (SplitMix64) also seeds tests whose schedule is random (see ``TestSeed``).
public struct Mutator: RandomNumberGenerator {
  private var state: UInt64

  public init(seed: UInt64) { state = seed }

  /// Cases per format: 2 000, or `DESCENT_FUZZ_CASES` for longer runs.
  public static var cases: Int {
    ProcessInfo.processInfo.environment["DESCENT_FUZZ_CASES"].flatMap(Int.init) ?? 2_000
  }

  /// SplitMix64.
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A number in `0..<bound` (`bound` ≥ 1).
  public mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(max(1, bound))) }

  static let interestingBytes: [UInt8] = [0, 1, 0x7F, 0x80, 0xFF, 0x20, 0x2C, 0x0A, 0x22, 0x2D]
  static let interestingWords: [UInt64] = [
    0, 1, 2, 0x7F, 0xFF, 0x7FFF, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000,
    0xFFFF_FFFF, 0x1_0000_0000, 0x7FFF_FFFF_FFFF_FFFF,
    0x8000_0000_0000_0000, 0xFFFF_FFFF_FFFF_FFFF,
  ]
  static let interestingNumbers = [
    "0", "-0", "1", "-1", "2147483648", "-2147483649", "9223372036854775807",
    "9223372036854775808", "-9223372036854775809", "1e308", "1e309", "-1e309",
    "1e-45", "nan", "inf", "-inf", "0.5", "1.5", "3e9", "true", "null", "\"\"",
    "[]", "{}", "18446744073709551616",
  ]

  /// `bytes` with one to four mutations; for `text` formats, half of them swap number tokens, so
  /// many cases still parse and reach the checks behind the parser.
  public mutating func mutate(_ bytes: [UInt8], text: Bool = false) -> [UInt8] {
    var result = bytes
    for _ in 0...below(4) {
      if text, below(2) == 0 { replaceNumber(&result) } else { mutateOnce(&result) }
    }
    return result
  }

  private mutating func mutateOnce(_ bytes: inout [UInt8]) {
    let at = below(bytes.count)
    switch below(9) {
    case 0 where !bytes.isEmpty: bytes[at] ^= UInt8(1) << UInt8(below(8))
    case 1 where !bytes.isEmpty: bytes[at] = Self.interestingBytes[below(Self.interestingBytes.count)]
    case 2, 3:  // a 4- or 8-byte field, either byte order
      let width = below(2) == 0 ? 4 : 8
      guard bytes.count >= width else { return }
      let start = below(bytes.count - width + 1)
      let value = Self.interestingWords[below(Self.interestingWords.count)]
      let bigEndian = below(2) == 0
      for i in 0..<width {
        let shift = 8 * (bigEndian ? width - 1 - i : i)
        bytes[start + i] = UInt8(truncatingIfNeeded: value >> UInt64(shift))
      }
    case 4: bytes.insert(contentsOf: (0..<1 + below(8)).map { _ in UInt8(truncatingIfNeeded: next()) }, at: at)
    case 5 where !bytes.isEmpty: bytes.removeSubrange(at..<min(bytes.count, at + 1 + below(16)))
    case 6 where !bytes.isEmpty:  // repeat a span
      let span = Array(bytes[at..<min(bytes.count, at + 1 + below(64))])
      bytes.insert(contentsOf: span, at: below(bytes.count + 1))
    case 7: bytes.removeSubrange(below(bytes.count + 1)...)
    default: replaceNumber(&bytes)
    }
  }

  /// Swaps one run of digits (with sign, point and exponent) for an extreme number or token.
  private mutating func replaceNumber(_ bytes: inout [UInt8]) {
    let isDigit: (UInt8) -> Bool = { $0 >= 0x30 && $0 <= 0x39 }
    let isNumeric: (UInt8) -> Bool = { isDigit($0) || $0 == 0x2D || $0 == 0x2E || $0 == 0x65 || $0 == 0x2B }
    // A token starts with a digit or a minus, right after a non-letter, and holds a digit.
    let isLetter: (UInt8) -> Bool = { ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A }
    let starts = bytes.indices.filter {
      (isDigit(bytes[$0]) || bytes[$0] == 0x2D) && ($0 == 0 || !(isNumeric(bytes[$0 - 1]) || isLetter(bytes[$0 - 1])))
        && bytes[$0...].prefix(while: isNumeric).contains(where: isDigit)
    }
    guard !starts.isEmpty else { return }
    let start = starts[below(starts.count)]
    var end = start
    while end < bytes.count, isNumeric(bytes[end]) { end += 1 }
    bytes.replaceSubrange(start..<end, with: Array(Self.interestingNumbers[below(Self.interestingNumbers.count)].utf8))
  }

  /// Runs `body` on `cases` mutations of `seeds` (`text` as for ``mutate(_:text:)``), writing each
  /// input first to `current` (a file under the temporary folder, named in the failure), so a crash
  /// leaves its input behind.
  public mutating func run(
    _ seeds: [[UInt8]], cases: Int = Mutator.cases, text: Bool = false, current: String,
    _ body: (_ input: [UInt8], _ caseNumber: Int) throws -> Void
  ) rethrows {
    for caseNumber in 0..<cases {
      let input = mutate(seeds[below(seeds.count)], text: text)
      FileManager.default.createFile(atPath: current, contents: Data(input))
      try body(input, caseNumber)
    }
    try? FileManager.default.removeItem(atPath: current)
  }
}
