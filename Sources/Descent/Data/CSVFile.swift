/// A numeric CSV file (see ``CSVReader`` for what is read as a record and a field, and
/// ``CSVNumber`` for what is read as a number): optionally a header record, then one row per
/// record, and optionally one column holding the target (a class index or a value).
public struct CSVFile: Sendable {
  /// The header's column names, or `nil` without a header.
  public let header: [String]?
  /// Every column but the label, row by row.
  public let features: [Float]
  /// The label column's values, rounded once from the text to `Double` (so a class label's
  /// whole-number check sees `1.00000001` as written); empty without a label column, or when the
  /// labels are text.
  public let labels: [Double]
  /// The label column as text, row by row, when any of its cells is not a number (`Adelie`,
  /// `yes`): class names, which the caller maps to classes. Nil when every label is a number.
  public let labelTexts: [String]?
  public let featureCount: Int
  /// The label's column (from 0), or nil.
  public let labelColumn: Int?
  /// Each row's line number in the file (from 1), for errors about a row.
  public let lineNumbers: [Int]

  /// The feature columns' names in order (the header without the label), or nil without a header.
  public var featureNames: [String]? {
    header.map { names in names.indices.filter { $0 != labelColumn }.map { names[$0] } }
  }

  /// Where the label is: a column index (from 0; negative counts from the end), a header name, or
  /// a header name that may be absent (then every column is a feature).
  public enum LabelColumn: Sendable, Hashable {
    case index(Int)
    case name(String)
    case nameIfPresent(String)
  }

  /// Reads `path` (plain or gzip-compressed). Every row must have as many fields as the first
  /// record, each a number. With `label` nil every column is a feature. Errors name the line and
  /// the column (the field's number, from 1).
  public init(path: String, hasHeader: Bool = true, label: LabelColumn? = .index(-1)) throws {
    let reader = CSVReader(path: path, bytes: try FileBytes.read(path))
    var header: [String]?, width = 0, labelIndex: Int?
    var features: [Float] = [], labels: [Double] = [], numbers: [Int] = [], texts: [String] = []
    var labelsAreText = false
    try reader.forEachRecord { record in
      func failure(_ column: Int?, _ expected: String, _ found: String) -> DataError {
        .invalidLine(path: path, line: record.line, column: column, expected: expected, found: found)
      }
      if width == 0 {
        width = record.count
        if hasHeader {
          let names = (0..<width).map(record.text)
          var seen: [String: Int] = [:]
          for (column, name) in names.enumerated() {
            if let first = seen[name] {
              throw failure(nil, "distinct column names", "\"\(name)\" in columns \(first + 1) and \(column + 1)")
            }
            seen[name] = column
          }
          header = names
        }
        labelIndex = try Self.column(of: label, header: header, width: width) {
          failure(nil, $0, $1)
        }
        if hasHeader { return }
      }
      guard record.count == width else { throw failure(nil, "\(width) fields", "\(record.count)") }
      numbers.append(record.line)
      for column in 0..<width {
        let raw = record.raw(column)
        if column == labelIndex {
          // Numbers or text: decided by the whole column (its range is checked after the pass).
          guard !raw.isEmpty else { throw failure(column + 1, "a label", "an empty cell") }
          texts.append(record.text(column))
          if !labelsAreText, let value = CSVNumber.parse(raw) { labels.append(value) } else { labelsAreText = true }
          continue
        }
        guard let value = CSVNumber.parse(raw) else {
          throw failure(column + 1, "a number", "\"\(record.text(column))\"")
        }
        guard Float(value).isFinite || !CSVNumber.isDecimal(raw) else {
          throw failure(column + 1, "a number within float range (±3.4e38)", "\"\(record.text(column))\"")
        }
        features.append(Float(value))
      }
    }
    guard width > 0 else {
      throw DataError.invalidLine(
        path: path, line: 1, column: nil, expected: "a line of values", found: "an empty file")
    }
    if !labelsAreText, let labelIndex,
      let row = labels.indices.first(where: {
        !Float(labels[$0]).isFinite && CSVNumber.isDecimal(ArraySlice(texts[$0].utf8))
      })
    {
      throw DataError.invalidLine(
        path: path, line: numbers[row], column: labelIndex + 1, expected: "a number within float range (±3.4e38)",
        found: "\"\(texts[row])\"")
    }
    self.header = header
    self.features = features
    self.labels = labelsAreText ? [] : labels
    labelTexts = labelsAreText ? texts : nil
    featureCount = labelIndex == nil ? width : width - 1
    labelColumn = labelIndex
    lineNumbers = numbers
  }

  /// The column `label` names among `width` columns, or nil.
  private static func column(
    of label: LabelColumn?, header: [String]?, width: Int, _ failure: (String, String) -> DataError
  ) throws -> Int? {
    switch label {
    case nil: return nil
    case let .index(index):
      let column = index < 0 ? width + index : index
      guard column >= 0, column < width else {
        throw failure("a label column \(index) within \(width) columns", "\(width) columns")
      }
      return column
    case let .name(name):
      guard let column = header?.firstIndex(of: name) else {
        throw failure("a header column named \"\(name)\"", header.map(Self.list) ?? "no header")
      }
      return column
    case let .nameIfPresent(name): return header?.firstIndex(of: name)
    }
  }

  /// Up to eight names, quoted, then how many more.
  package static func list(_ names: [String]) -> String {
    let shown = names.prefix(8).map { "\"\($0)\"" }.joined(separator: ", ")
    return names.count > 8 ? "\(shown) and \(names.count - 8) more" : shown
  }
}
