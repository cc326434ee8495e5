import Foundation

/// A numeric CSV file: one row per line, comma-separated, optionally with a header line, and
/// optionally one column holding the target (a class index or a value).
public struct CSVFile: Sendable {
  /// The header's column names, or `nil` without a header.
  public let header: [String]?
  /// Every column but the label, row by row.
  public let features: [Float]
  /// The label column's values (empty without one).
  public let labels: [Float]
  public let featureCount: Int
  /// The label's column (from 0), or nil.
  public let labelColumn: Int?
  /// Each row's line number in the file (from 1), for errors about a row.
  public let lineNumbers: [Int]

  /// The feature columns' names in order (the header without the label), or nil without a header.
  public var featureNames: [String]? {
    header.map { names in names.indices.filter { $0 != labelColumn }.map { names[$0] } }
  }

  /// Where the label is: a column index (from 0; negative counts from the end) or a header name.
  public enum LabelColumn: Sendable, Hashable {
    case index(Int)
    case name(String)
  }

  /// Reads `path`. Empty lines are skipped; every other line must have as many fields as the first,
  /// each a number (`nan`/`inf` parse, and ``Dataset/checkFinite()`` reports them). With `label`
  /// nil every column is a feature.
  public init(path: String, hasHeader: Bool = true, label: LabelColumn? = .index(-1)) throws {
    let text: String
    do {
      text = try String(contentsOfFile: path, encoding: .utf8)
    } catch {
      throw DataError.unreadable(path: path, reason: (error as NSError).localizedDescription)
    }
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
      .map { ($0.offset + 1, $0.element.hasSuffix("\r") ? $0.element.dropLast() : $0.element) }
      .filter { !$0.1.allSatisfy(\.isWhitespace) }
    guard let first = lines.first else {
      throw DataError.invalidLine(
        path: path, line: 1, column: nil, expected: "a line of values", found: "an empty file")
    }
    let width = first.1.split(separator: ",", omittingEmptySubsequences: false).count
    let header =
      hasHeader
      ? first.1.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
      : nil
    let labelIndex: Int?
    switch label {
    case nil: labelIndex = nil
    case let .index(index):
      let column = index < 0 ? width + index : index
      labelIndex = column
      guard column >= 0, column < width else {
        throw DataError.invalidLine(
          path: path, line: first.0, column: nil,
          expected: "a label column \(index) within \(width) columns", found: "\(width) columns")
      }
    case let .name(name):
      guard let index = header?.firstIndex(of: name) else {
        throw DataError.invalidLine(
          path: path, line: first.0, column: nil, expected: "a header column named \"\(name)\"",
          found: header.map { $0.joined(separator: ",") } ?? "no header")
      }
      labelIndex = index
    }
    var features: [Float] = [], labels: [Float] = [], numbers: [Int] = []
    for (number, line) in lines.dropFirst(hasHeader ? 1 : 0) {
      numbers.append(number)
      let fields = line.split(separator: ",", omittingEmptySubsequences: false)
      guard fields.count == width else {
        throw DataError.invalidLine(
          path: path, line: number, column: nil, expected: "\(width) fields",
          found: "\(fields.count)")
      }
      for (column, field) in fields.enumerated() {
        let trimmed = field.trimmingCharacters(in: .whitespaces)
        guard let value = Float(trimmed) else {
          throw DataError.invalidLine(
            path: path, line: number, column: column + 1, expected: "a number",
            found: "\"\(trimmed)\"")
        }
        if column == labelIndex { labels.append(value) } else { features.append(value) }
      }
    }
    self.header = header
    self.features = features
    self.labels = labels
    featureCount = labelIndex == nil ? width : width - 1
    labelColumn = labelIndex
    lineNumbers = numbers
  }
}
