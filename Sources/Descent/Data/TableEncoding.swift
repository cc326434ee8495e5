/// How a CSV file's feature columns become a model's inputs, fitted on the training rows and kept
/// in the model file (``Preprocessing/encoding``), so `predict`, `evaluate` and the ONNX export
/// turn raw cells into the same numbers: numbers as they are, booleans as 1 or 0, a missing number
/// or boolean as the training median (plus an "is missing" input where the training column had
/// missing cells), and text as one input per category (one-hot; missing or unseen: all zeros).
///
/// The inputs, in order: the number columns' values, then the boolean columns' values (each in
/// file order), then the "is missing" inputs of those (same order), then each category column's
/// one-hot inputs (file order, categories sorted).
public struct TableEncoding: Codable, Sendable, Hashable {
  public var columns: [ColumnEncoding]

  /// The most categories a text column may hold: more is almost always an identifier or free text,
  /// whose one-hot inputs would only let the model memorize rows.
  public static let maximumCategories = 1000
  /// The cells a boolean column holds (as Python, pandas, spreadsheets and JSON write them).
  public static let trueWords: Set<String> = ["true", "True", "TRUE"]
  public static let falseWords: Set<String> = ["false", "False", "FALSE"]

  public init(columns: [ColumnEncoding]) {
    self.columns = columns
  }

  /// Fits the encoding of `file`'s feature columns on its rows `rows` (all when nil): each number
  /// column's median, each text column's kind (boolean when every cell is a ``trueWords`` or
  /// ``falseWords`` word, else category) and categories, and which columns had missing cells.
  /// - Throws: ``DataError/inconsistent(_:)`` naming the file, the column and a line for a text
  ///   column of more than ``maximumCategories`` categories.
  public init(fitting file: CSVFile, rows: [Int]? = nil, path: String) throws {
    let rows = rows ?? Array(0..<file.rows)
    columns = try file.columns.enumerated().map { index, column in
      switch column {
      case let .numbers(values):
        let present = rows.map { values[$0] }.filter { !$0.isNaN }
        return ColumnEncoding(kind: .number, median: Self.median(present), indicator: present.count < rows.count)
      case let .texts(texts):
        let present = rows.map { texts[$0] }.filter { !$0.isEmpty }
        let distinct = Set(present)
        if !distinct.isEmpty, distinct.isSubset(of: Self.trueWords.union(Self.falseWords)) {
          return ColumnEncoding(
            kind: .boolean, median: Self.median(present.map { Self.trueWords.contains($0) ? 1 : 0 }),
            indicator: present.count < rows.count)
        }
        guard distinct.count <= Self.maximumCategories else {
          let name = file.featureNames.map { "\"\($0[index])\" " } ?? ""
          let row = texts.indices.first { !texts[$0].isEmpty && CSVNumber.parse(ArraySlice(texts[$0].utf8)) == nil }
          let example = row.map { ", text from line \(file.lineNumbers[$0]): \"\(texts[$0])\"" } ?? ""
          throw DataError.inconsistent(
            """
            \(path): column \(name)(\(file.fileColumn(ofFeature: index) + 1)) holds \(distinct.count) distinct texts\
            \(example); at most \(Self.maximumCategories) categories are one-hot encoded: remove the column, or fix \
            the cells if it should hold numbers
            """)
        }
        return ColumnEncoding(kind: .category, categories: distinct.sorted())
      }
    }
  }

  /// The middle value of `values` (the mean of the two middle ones for an even count), 0 for none.
  private static func median(_ values: [Float]) -> Float {
    guard !values.isEmpty else { return 0 }
    var values = values
    let middle = values.count / 2
    let upper = select(middle, in: &values)
    guard values.count % 2 == 0 else { return upper }
    // The lower middle value is the largest of those left of the upper one.
    let lower = values[..<middle].max()!
    return Float((Double(lower) + Double(upper)) / 2)
  }

  /// The `k`-th smallest of `values` (from 0), found by quickselect: afterwards every value left
  /// of `k` is no larger. Linear time on average (a median of every column of a wide file).
  private static func select(_ k: Int, in values: inout [Float]) -> Float {
    var (low, high) = (0, values.count - 1)
    while low < high {
      // Median of three as the pivot; Hoare's partition.
      let middle = low + (high - low) / 2
      let pivot = max(min(values[low], values[middle]), min(max(values[low], values[middle]), values[high]))
      var (i, j) = (low, high)
      while i <= j {
        while values[i] < pivot { i += 1 }
        while values[j] > pivot { j -= 1 }
        if i <= j {
          values.swapAt(i, j)
          (i, j) = (i + 1, j - 1)
        }
      }
      if k <= j { high = j } else if k >= i { low = i } else { return values[k] }
    }
    return values[k]
  }

  /// The number and boolean columns, in input order.
  public var valueColumns: [Int] {
    columns.indices.filter { columns[$0].kind == .number } + columns.indices.filter { columns[$0].kind == .boolean }
  }

  /// The value columns with an "is missing" input, in input order.
  public var indicatorColumns: [Int] { valueColumns.filter { columns[$0].indicator == true } }

  /// The category columns, in input order.
  public var categoryColumns: [Int] { columns.indices.filter { columns[$0].kind == .category } }

  /// The feature columns read as text (booleans and categories), for ``CSVFile/ColumnTypes/text(_:)``.
  public var textColumns: Set<Int> { Set(columns.indices.filter { columns[$0].kind != .number }) }

  /// How many inputs the encoding makes.
  public var width: Int {
    valueColumns.count + indicatorColumns.count + categoryColumns.reduce(0) { $0 + columns[$1].categoryCount }
  }

  /// Category cells no training row held, in one column.
  public struct Unseen: Sendable, Hashable {
    /// The feature column (from 0).
    public var column: Int
    public var count: Int
    /// The first such cell's text.
    public var first: String
  }

  /// `file`'s rows as model inputs, row by row, with the category cells training never saw (encoded
  /// as all zeros), per column.
  /// - Throws: ``DataError`` naming `path`, line and column for a boolean column's cell that is
  ///   neither a boolean word nor missing, or a column of another kind than the encoding's.
  public func encode(_ file: CSVFile, path: String) throws -> (features: [Float], unseen: [Unseen]) {
    guard file.columns.count == columns.count else {
      throw DataError.inconsistent("\(path): \(file.columns.count) feature columns, the encoding has \(columns.count)")
    }
    let width = self.width, rows = file.rows
    var features = [Float](repeating: 0, count: rows * width)
    var unseen: [Unseen] = []
    func mismatch(_ column: Int, _ expected: String) -> DataError {
      .inconsistent("\(path): feature column \(file.fileColumn(ofFeature: column) + 1) is not \(expected)")
    }
    var input = 0
    var missing: [Int: [Bool]] = [:]
    for column in valueColumns {
      let encoding = columns[column]
      let median = encoding.median ?? 0
      var isMissing = [Bool](repeating: false, count: rows)
      switch (encoding.kind, file.columns[column]) {
      case let (.number, .numbers(values)):
        for row in 0..<rows {
          isMissing[row] = values[row].isNaN
          features[row * width + input] = isMissing[row] ? median : values[row]
        }
      case let (.boolean, .texts(texts)):
        for row in 0..<rows {
          let text = texts[row]
          if text.isEmpty {
            isMissing[row] = true
            features[row * width + input] = median
          } else if Self.trueWords.contains(text) {
            features[row * width + input] = 1
          } else if !Self.falseWords.contains(text) {
            throw DataError.invalidLine(
              path: path, line: file.lineNumbers[row], column: file.fileColumn(ofFeature: column) + 1,
              expected: "true or false (a boolean column), or an empty cell", found: "\"\(text)\"")
          }
        }
      default: throw mismatch(column, encoding.kind == .number ? "numbers" : "text")
      }
      missing[column] = isMissing
      input += 1
    }
    for column in indicatorColumns {
      for row in 0..<rows where missing[column]![row] { features[row * width + input] = 1 }
      input += 1
    }
    for column in categoryColumns {
      guard case let .texts(texts) = file.columns[column] else { throw mismatch(column, "text") }
      let categories = columns[column].categories ?? []
      let position = Dictionary(uniqueKeysWithValues: categories.enumerated().map { ($1, $0) })
      var count = 0, first = ""
      for row in 0..<rows where !texts[row].isEmpty {
        if let offset = position[texts[row]] {
          features[row * width + input + offset] = 1
        } else {
          if count == 0 { first = texts[row] }
          count += 1
        }
      }
      if count > 0 { unseen.append(Unseen(column: column, count: count, first: first)) }
      input += categories.count
    }
    return (features, unseen)
  }

  /// Throws naming `place` unless the encoding is whole: medians finite, categories distinct and
  /// not empty text, each part on the kind it belongs to.
  func validate(place: String) throws {
    for (index, column) in columns.enumerated() {
      func fail(_ detail: String) -> DataError { .inconsistent("\(place): encoding of column \(index + 1) \(detail)") }
      switch column.kind {
      case .number, .boolean:
        guard let median = column.median, median.isFinite, column.categories == nil else {
          throw fail("needs a finite median and no categories")
        }
      case .category:
        guard let categories = column.categories, column.median == nil, column.indicator == nil else {
          throw fail("needs categories and no median or indicator")
        }
        guard Set(categories).count == categories.count, !categories.contains("") else {
          throw fail("has repeated or empty categories")
        }
      }
    }
  }

  /// One line on what the columns became, naming them with `names` when known: `"12 columns: 9
  /// numbers, 1 boolean, 2 categories ("island" 3, "sex" 2); missing cells in "sex", "age"`.
  public func summary(names: [String]?) -> String {
    func name(_ column: Int) -> String { names.map { "\"\($0[column])\"" } ?? "column \(column + 1)" }
    func count(_ kind: ColumnEncoding.Kind) -> Int { columns.filter { $0.kind == kind }.count }
    func plural(_ count: Int, _ one: String, _ many: String) -> String { "\(count) \(count == 1 ? one : many)" }
    var parts = [plural(count(.number), "number", "numbers")]
    if count(.boolean) > 0 { parts.append(plural(count(.boolean), "boolean", "booleans")) }
    if count(.category) > 0 {
      let listed = categoryColumns.prefix(8).map { "\(name($0)) \(columns[$0].categoryCount)" }
      let more = categoryColumns.count > 8 ? " and \(categoryColumns.count - 8) more" : ""
      parts.append(plural(count(.category), "category", "categories") + " (\(listed.joined(separator: ", "))\(more))")
    }
    var line = "\(plural(columns.count, "column", "columns")): \(parts.joined(separator: ", "))"
    let gaps = indicatorColumns
    if !gaps.isEmpty {
      let more = gaps.count > 8 ? " and \(gaps.count - 8) more" : ""
      line += "; missing cells (median put in) in " + gaps.prefix(8).map(name).joined(separator: ", ") + more
    }
    return line
  }
}

/// How one feature column becomes inputs (see ``TableEncoding``).
public struct ColumnEncoding: Codable, Sendable, Hashable {
  public enum Kind: String, Codable, Sendable {
    /// Numbers: one input, the value (the median where missing).
    case number
    /// `true`/`false`: one input, 1 or 0 (the median where missing).
    case boolean
    /// Text: one input per category, 1 for the cell's (all 0 when missing or unseen in training).
    case category
  }

  public var kind: Kind
  /// A number or boolean column's training median, put in for a missing cell.
  public var median: Float?
  /// Whether a number or boolean column has an "is missing" input (its training rows had missing cells).
  public var indicator: Bool?
  /// A category column's categories, in input order.
  public var categories: [String]?

  public init(kind: Kind, median: Float? = nil, indicator: Bool? = nil, categories: [String]? = nil) {
    (self.kind, self.median, self.indicator, self.categories) = (kind, median, indicator, categories)
  }

  var categoryCount: Int { categories?.count ?? 0 }
}
