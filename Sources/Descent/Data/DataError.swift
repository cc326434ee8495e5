/// Data that cannot be loaded or used. Every case names the file (or data set) and where.
public enum DataError: Error, Equatable, CustomStringConvertible {
  /// The file could not be opened or read.
  case unreadable(path: String, reason: String)
  /// The file could not be written; the previous version, if any, is intact.
  case unwritable(path: String, reason: String)
  /// A binary file's bytes at `offset` are not what the format requires.
  case malformed(path: String, offset: Int, expected: String, found: String)
  /// A text file's `line` (from 1), at `column` (from 1) when known, is not what was expected.
  case invalidLine(path: String, line: Int, column: Int?, expected: String, found: String)
  /// A value that is NaN or infinite, at `row` and `column` (from 0) of `source`.
  case nonFinite(source: String, row: Int, column: Int, value: Float)
  /// A target at `row` (from 0) of `source` that is not one the loss accepts (a class index in
  /// `0..<classes` for cross-entropy, a probability for binary cross-entropy).
  case invalidTarget(source: String, row: Int, value: Float, allowed: String)
  /// A data set with no rows where rows are needed.
  case empty(source: String)
  /// Two parts that must agree do not (image and label counts, feature widths).
  case inconsistent(String)
  /// A data set is not installed where it was looked for.
  case missingDataSet(name: String, path: String, hint: String)

  public var description: String {
    switch self {
    case let .unreadable(path, reason): "\(path): cannot read: \(reason)"
    case let .unwritable(path, reason): "\(path): cannot write: \(reason)"
    case let .malformed(path, offset, expected, found):
      "\(path): at byte \(offset): expected \(expected), found \(found)"
    case let .invalidLine(path, line, column, expected, found):
      "\(path):\(line)\(column.map { ":\($0)" } ?? ""): expected \(expected), found \(found)"
    case let .nonFinite(source, row, column, value): "\(source): row \(row), column \(column) is \(value)"
    case let .invalidTarget(source, row, value, allowed):
      "\(source): row \(row) has target \(value), expected \(allowed)"
    case let .empty(source): "\(source) has no rows"
    case let .inconsistent(detail): detail
    case let .missingDataSet(name, path, hint): "\(name) not found at \(path): \(hint)"
    }
  }
}
