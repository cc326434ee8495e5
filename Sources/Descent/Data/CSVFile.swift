/// A CSV file (see ``CSVReader`` for what is read as a record and a field, and ``CSVNumber`` for
/// what is read as a number): optionally a header record, then one row per record, and optionally
/// one column holding the target (a class index, a class name or a value). Every other column is a
/// feature column of numbers or of text (see ``ColumnTypes``); an empty cell or one of
/// ``missingWords`` is a missing value.
public struct CSVFile: Sendable {
  /// The header's column names, or `nil` without a header.
  public let header: [String]?
  /// Every column but the label, in order.
  public let columns: [CSVColumn]
  /// The label column's values, rounded once from the text to `Double` (so a class label's
  /// whole-number check sees `1.00000001` as written); empty without a label column, or when the
  /// labels are text.
  public let labels: [Double]
  /// The label column as text, row by row, when any of its cells is not a number (`Adelie`,
  /// `yes`): class names, which the caller maps to classes. Nil when every label is a number.
  public let labelTexts: [String]?
  /// The label's column (from 0), or nil.
  public let labelColumn: Int?
  /// Each row's line number in the file (from 1), for errors about a row.
  public let lineNumbers: [Int]

  /// The cells read as a missing value (besides an empty cell), as R, pandas and spreadsheets
  /// write one. In the label column they are text like any other.
  public static let missingWords: Set<String> = [
    "NA", "N/A", "n/a", "NaN", "nan", "-nan", "-NaN", "NULL", "null", "None", "<NA>", "#N/A",
  ]

  public var featureCount: Int { columns.count }
  public var rows: Int { lineNumbers.count }

  /// The feature columns' names in order (the header without the label), or nil without a header.
  public var featureNames: [String]? {
    header.map { names in names.indices.filter { $0 != labelColumn }.map { names[$0] } }
  }

  /// The features row by row when every column holds numbers (NaN where a cell is missing), else nil.
  public var numericFeatures: [Float]? {
    var features = [Float](repeating: 0, count: rows * featureCount)
    for (index, column) in columns.enumerated() {
      guard case let .numbers(values) = column else { return nil }
      for row in values.indices { features[row * featureCount + index] = values[row] }
    }
    return features
  }

  /// The file's column (from 0) of feature column `feature`.
  public func fileColumn(ofFeature feature: Int) -> Int { Self.fileColumn(ofFeature: feature, label: labelColumn) }

  /// The file's column (from 0) of feature column `feature`, the label in column `label`.
  fileprivate static func fileColumn(ofFeature feature: Int, label: Int?) -> Int {
    label.map { feature >= $0 ? feature + 1 : feature } ?? feature
  }

  /// Where the label is: a column index (from 0; negative counts from the end), a header name, or
  /// a header name that may be absent (then every column is a feature).
  public enum LabelColumn: Sendable, Hashable {
    case index(Int)
    case name(String)
    case nameIfPresent(String)
  }

  /// Which feature columns hold numbers and which text.
  public enum ColumnTypes: Sendable, Hashable {
    /// Every cell a number or missing; any other cell is an error.
    case numbers
    /// These feature columns (by position among the feature columns, from 0) as text, every
    /// other as `numbers` would.
    case text(Set<Int>)
    /// A column with a cell that is neither a number nor missing is text (how a training file is
    /// read).
    case inferred
  }

  /// Reads `path` (plain or gzip-compressed). Every row must have as many fields as the first
  /// record. With `label` nil every column is a feature. Errors name the line and the column (the
  /// field's number, from 1).
  public init(
    path: String, hasHeader: Bool = true, label: LabelColumn? = .index(-1), types: ColumnTypes = .numbers
  ) throws {
    let reader = CSVReader(path: path, bytes: try FileBytes.read(path))
    var textColumns: Set<Int> = if case let .text(columns) = types { columns } else { [] }
    var pass = try Pass(reader: reader, hasHeader: hasHeader, label: label, types: types, textColumns: textColumns)
    // A column found to be text after some of its rows were read as numbers: read again, knowing.
    while !pass.textFoundLate.isEmpty {
      textColumns.formUnion(pass.textFoundLate)
      pass = try Pass(reader: reader, hasHeader: hasHeader, label: label, types: types, textColumns: textColumns)
    }
    guard pass.width > 0 else {
      throw DataError.invalidLine(
        path: path, line: 1, column: nil, expected: "a line of values", found: "an empty file")
    }
    if let (feature, (row, text)) = pass.outOfRange.min(by: {
      $0.value.row < $1.value.row || $0.value.row == $1.value.row && $0.key < $1.key
    }) {
      throw DataError.invalidLine(
        path: path, line: pass.numbers[row], column: CSVFile.fileColumn(ofFeature: feature, label: pass.labelIndex) + 1,
        expected: "a number within float range (±3.4e38)", found: "\"\(text)\"")
    }
    if !pass.labelsAreText, let labelIndex = pass.labelIndex,
      let row = pass.labels.indices.first(where: {
        !Float(pass.labels[$0]).isFinite && CSVNumber.isDecimal(ArraySlice(pass.texts[$0].utf8))
      })
    {
      throw DataError.invalidLine(
        path: path, line: pass.numbers[row], column: labelIndex + 1, expected: "a number within float range (±3.4e38)",
        found: "\"\(pass.texts[row])\"")
    }
    header = pass.header
    columns = pass.columns
    labels = pass.labelsAreText ? [] : pass.labels
    labelTexts = pass.labelsAreText ? pass.texts : nil
    labelColumn = pass.labelIndex
    lineNumbers = pass.numbers
  }

  /// One reading of the file's records into columns.
  private struct Pass {
    var header: [String]?
    var width = 0
    var labelIndex: Int?
    var columns: [CSVColumn] = []
    /// Each number column's first number beyond float range: its row and text.
    var outOfRange: [Int: (row: Int, text: String)] = [:]
    var labels: [Double] = [], texts: [String] = [], numbers: [Int] = []
    var labelsAreText = false
    /// Columns (among the features) found to hold text after rows read as numbers.
    var textFoundLate: Set<Int> = []

    init(
      reader: CSVReader, hasHeader: Bool, label: LabelColumn?, types: ColumnTypes, textColumns: Set<Int>
    ) throws {
      let path = reader.path
      // Numbers row by row (one flat array: the fast path), text columns' cells column by column.
      var values: [Float] = [], isText: [Bool] = [], cells: [[String]] = []
      var header: [String]?, width = 0, labelIndex: Int?, features = 0
      var outOfRange: [Int: (row: Int, text: String)] = [:], textFoundLate: Set<Int> = []
      var labels: [Double] = [], texts: [String] = [], numbers: [Int] = [], labelsAreText = false
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
          labelIndex = try CSVFile.column(of: label, header: header, width: width) { failure(nil, $0, $1) }
          features = labelIndex == nil ? width : width - 1
          isText = (0..<features).map(textColumns.contains)
          cells = Array(repeating: [], count: features)
          if hasHeader { return }
        }
        guard record.count == width else { throw failure(nil, "\(width) fields", "\(record.count)") }
        let row = numbers.count
        numbers.append(record.line)
        var feature = 0
        for column in 0..<width {
          let raw = record.raw(column)
          if column == labelIndex {
            // Numbers or text: decided by the whole column (its range is checked after the pass).
            guard !raw.isEmpty else { throw failure(column + 1, "a label", "an empty cell") }
            texts.append(record.text(column))
            if !labelsAreText, let value = CSVNumber.parse(raw) { labels.append(value) } else { labelsAreText = true }
            continue
          }
          defer { feature += 1 }
          if isText[feature] {
            values.append(0)
            cells[feature].append(CSVFile.isMissing(raw) ? "" : record.text(column))
            continue
          }
          if CSVFile.isMissing(raw) {
            values.append(.nan)
            continue
          }
          guard let value = CSVNumber.parse(raw) else {
            guard types == .inferred else { throw failure(column + 1, "a number", "\"\(record.text(column))\"") }
            // A text cell makes the column text; rows already read as numbers need a second pass.
            if row > 0 { textFoundLate.insert(feature) }
            isText[feature] = true
            cells[feature] = Array(repeating: "", count: row) + [record.text(column)]
            values.append(0)
            continue
          }
          if !Float(value).isFinite, CSVNumber.isDecimal(raw), outOfRange[feature] == nil {
            outOfRange[feature] = (row, record.text(column))
          }
          values.append(Float(value))
        }
      }
      let rows = numbers.count
      columns = (0..<features).map { feature in
        isText[feature]
          ? .texts(cells[feature]) : .numbers((0..<rows).map { values[$0 * features + feature] })
      }
      self.outOfRange = outOfRange.filter { !isText[$0.key] }
      (self.header, self.width, self.labelIndex, self.textFoundLate) = (header, width, labelIndex, textFoundLate)
      (self.labels, self.texts, self.numbers, self.labelsAreText) = (labels, texts, numbers, labelsAreText)
    }
  }

  /// Whether a cell's bytes are a missing value: empty or one of ``missingWords``.
  static func isMissing(_ raw: ArraySlice<UInt8>) -> Bool {
    guard let first = raw.first else { return true }
    // Numbers (most cells) start with a digit, a point or a sign and a digit: no word to look up.
    if first >= 0x30 && first <= 0x39 || first == 0x2E || first == 0x2B { return false }
    return raw.count <= 4 && missingWords.contains(String(decoding: raw, as: UTF8.self))
  }

  /// The column `label` names among `width` columns, or nil.
  fileprivate static func column(
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

/// One feature column of a ``CSVFile``, row by row.
public enum CSVColumn: Sendable, Hashable {
  /// Numbers; NaN where the cell is missing.
  case numbers([Float])
  /// Text as written (quotes undoubled); "" where the cell is missing.
  case texts([String])
}
