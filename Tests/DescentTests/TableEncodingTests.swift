@testable import Descent
import Foundation
import TestSupport
import Testing

/// The column-type pass and the encoding fitted on it (issue 32): numbers, booleans and categories
/// read from one file, medians and categories from the training rows alone, the inputs' layout
/// computed by hand, unseen categories and missing cells at predict time, and the encoding kept
/// whole through a model file.
@Suite struct TableEncodingTests {
  let files = TemporaryFolder("descent-encoding")

  /// A number column without gaps (n), a category column with a missing cell (c), a boolean
  /// column in three spellings (b) and a number column with an empty and an `NA` cell (m).
  static let training =
    "n,c,b,m,label\r\n3,Dream,True,,0\r\n1,Biscoe,false,1.5,1\r\n2,\"Dream\",TRUE,NA,0\r\n10,,False,2.5,1\r\n"

  @Test func columnKindsComeFromTheirCells() throws {
    let csv = try CSVFile(path: try files.write(Self.training), types: .inferred)
    #expect(csv.columns.count == 4 && csv.numericFeatures == nil)
    #expect(csv.columns[0] == .numbers([3, 1, 2, 10]))
    #expect(csv.columns[1] == .texts(["Dream", "Biscoe", "Dream", ""]))
    #expect(csv.columns[2] == .texts(["True", "false", "TRUE", "False"]))
    guard case let .numbers(m) = csv.columns[3] else {
      Issue.record("m is not numbers")
      return
    }
    #expect(m[0].isNaN && m[1] == 1.5 && m[2].isNaN && m[3] == 2.5)
    // Read as numbers only, the first text cell is an error naming line and column.
    #expect(
      throws: DataError.invalidLine(
        path: try files.write(Self.training), line: 2, column: 2, expected: "a number",
        found: "\"Dream\"")
    ) {
      try CSVFile(path: "\(files.path)/data.csv")
    }
  }

  @Test func fitsMediansIndicatorsAndCategoriesAndEncodesInOrder() throws {
    let path = try files.write(Self.training)
    let csv = try CSVFile(path: path, types: .inferred)
    let encoding = try TableEncoding(fitting: csv, path: path)
    #expect(
      encoding.columns == [
        ColumnEncoding(kind: .number, median: 2.5, indicator: false),  // (2 + 3) / 2
        ColumnEncoding(kind: .category, categories: ["Biscoe", "Dream"]),
        ColumnEncoding(kind: .boolean, median: 0.5, indicator: false),
        ColumnEncoding(kind: .number, median: 2, indicator: true),
      ])
    #expect(encoding.valueColumns == [0, 3, 2] && encoding.indicatorColumns == [3] && encoding.width == 6)
    #expect(encoding.textColumns == [1, 2])
    // n, m, b; m's "is missing"; c's one-hot (Biscoe, Dream).
    let (features, unseen) = try encoding.encode(csv, path: path)
    #expect(
      features == [
        3, 2, 1, 1, 0, 1,
        1, 1.5, 0, 0, 1, 0,
        2, 2, 1, 1, 0, 1,
        10, 2.5, 0, 0, 0, 0,
      ])
    #expect(unseen.isEmpty)
    #expect(
      encoding.summary(names: csv.featureNames)
        == "4 columns: 2 numbers, 1 boolean, 1 category (\"c\" 2); missing cells (median put in) in \"m\"")
  }

  /// Medians by quickselect against the sorted middle, on awkward counts with repeats and gaps.
  @Test func mediansMatchSorting() throws {
    var random = Mutator(seed: 0x3ED1)
    for count in [1, 2, 3, 4, 5, 7, 8, 31, 64, 100, 1001] {
      for _ in 0..<20 {
        let values = (0..<count).map { _ in Float(Int.random(in: -5...5, using: &random)) / 2 }
        let cells = values.map { Bool.random(using: &random) && count > 1 ? "" : "\($0)" }
        let path = try files.write("x,y\n" + cells.map { "\($0),0" }.joined(separator: "\n") + "\n", name: "m.csv")
        let present = zip(cells, values).filter { !$0.0.isEmpty }.map(\.1).sorted()
        let middle = present.count / 2
        let want =
          present.isEmpty
          ? 0
          : present.count % 2 == 1
            ? present[middle] : Float((Double(present[middle - 1]) + Double(present[middle])) / 2)
        let got = try TableEncoding(fitting: try CSVFile(path: path, types: .inferred), path: path).columns[0].median
        #expect(got == want, "\(cells)")
      }
    }
  }

  /// Fitted on rows 0 and 1 only: the other rows' values move no median and add no category.
  @Test func fitsOnTheTrainingRowsAlone() throws {
    let path = try files.write(Self.training)
    let csv = try CSVFile(path: path, types: .inferred)
    let encoding = try TableEncoding(fitting: csv, rows: [0, 1], path: path)
    #expect(encoding.columns[0] == ColumnEncoding(kind: .number, median: 2, indicator: false))
    #expect(encoding.columns[3] == ColumnEncoding(kind: .number, median: 1.5, indicator: true))
    #expect(encoding.columns[2] == ColumnEncoding(kind: .boolean, median: 0.5, indicator: false))
    let held = try encoding.encode(csv, path: path).features
    #expect(Array(held[12..<18]) == [2, 1.5, 1, 1, 0, 1])
  }

  /// At predict time a category the training rows lacked is all zeros and counted; a missing number
  /// gets the median and its indicator; a boolean column's other text and a number column's text
  /// are errors naming line and column.
  @Test func predictTimeCells() throws {
    let trainPath = try files.write(Self.training)
    let encoding = try TableEncoding(fitting: try CSVFile(path: trainPath, types: .inferred), path: trainPath)
    let path = try files.write("n,c,b,m\n,Torgersen,true,7\n4,Torgersen,,\n5,1,FALSE,0\n", name: "new.csv")
    let csv = try CSVFile(path: path, label: nil, types: .text(encoding.textColumns))
    let (features, unseen) = try encoding.encode(csv, path: path)
    #expect(
      features == [
        2.5, 7, 1, 0, 0, 0,
        4, 2, 0.5, 1, 0, 0,
        5, 0, 0, 0, 0, 0,
      ])
    #expect(unseen == [TableEncoding.Unseen(column: 1, count: 3, first: "Torgersen")])
    let yes = try files.write("n,c,b,m\n1,Dream,yes,2\n", name: "yes.csv")
    #expect(
      throws: DataError.invalidLine(
        path: yes, line: 2, column: 3,
        expected: "true or false (a boolean column), or an empty cell", found: "\"yes\"")
    ) {
      try encoding.encode(try CSVFile(path: yes, label: nil, types: .text(encoding.textColumns)), path: yes)
    }
    let text = try files.write("n,c,b,m\n1,Dream,true,two\n", name: "text.csv")
    #expect(throws: DataError.invalidLine(path: text, line: 2, column: 4, expected: "a number", found: "\"two\"")) {
      try CSVFile(path: text, label: nil, types: .text(encoding.textColumns))
    }
  }

  /// A text cell after rows read as numbers makes the whole column text, each earlier cell as
  /// written (a second pass); a number beyond float range is an error only in a number column.
  @Test func aLateTextCellMakesTheColumnText() throws {
    let late = try CSVFile(path: try files.write("a,b,y\n1.50,1e39,0\n2,x,1\n\"x, y\",NA,0\n"), types: .inferred)
    #expect(late.columns == [.texts(["1.50", "2", "x, y"]), .texts(["1e39", "x", ""])])
    #expect(late.lineNumbers == [2, 3, 4])
    #expect(
      throws: DataError.invalidLine(
        path: "\(files.path)/range.csv", line: 3, column: 1,
        expected: "a number within float range (±3.4e38)", found: "\"-1e39\"")
    ) {
      try CSVFile(path: try files.write("a,y\n1,0\n-1e39,1\n", name: "range.csv"), types: .inferred)
    }
  }

  @Test func refusesMoreCategoriesThanTheLimit() throws {
    let rows = (0...TableEncoding.maximumCategories).map { "id\($0),\($0 % 2)" }
    let path = try files.write("id,y\n7,0\n" + rows.joined(separator: "\n") + "\n", name: "ids.csv")
    let csv = try CSVFile(path: path, types: .inferred)
    #expect(
      throws: DataError.inconsistent(
        "\(path): column \"id\" (1) holds 1002 distinct texts, text from line 3: \"id0\"; at most 1000 categories are "
          + "one-hot encoded: remove the column, or fix the cells if it should hold numbers")
    ) {
      try TableEncoding(fitting: csv, path: path)
    }
    #expect(try TableEncoding(fitting: csv, rows: Array(0..<1000), path: path).width == 1000)
  }

  /// The encoding is part of the model file: saved and loaded whole; a file whose encoding does not
  /// fit the model's inputs, or is malformed, is refused on loading.
  @Test func theEncodingTravelsInTheModelFile() throws {
    let path = try files.write(Self.training)
    let csv = try CSVFile(path: path, types: .inferred)
    let encoding = try TableEncoding(fitting: csv, path: path)
    let model = try Sequential(inputFeatures: encoding.width, backend: CPUBackend(), seed: 5) { try Dense(2) }
    model.preprocessing = Preprocessing(featureNames: csv.featureNames, encoding: encoding)
    let saved = "\(files.path)/model.safetensors"
    try model.save(to: saved)
    let loaded = try Sequential.load(contentsOf: saved, backend: CPUBackend())
    #expect(loaded.preprocessing == model.preprocessing)
    var broken = model.preprocessing
    broken.encoding?.columns[1].categories = ["Biscoe"]
    #expect(throws: DataError.self) { try broken.validate(inputFeatures: encoding.width, place: "m") }
    broken = model.preprocessing
    broken.encoding?.columns[0].median = .nan
    #expect(throws: DataError.self) { try broken.validate(inputFeatures: encoding.width, place: "m") }
    broken = model.preprocessing
    broken.encoding?.columns[1].categories = ["Dream", "Dream"]
    #expect(throws: DataError.self) { try broken.validate(inputFeatures: encoding.width, place: "m") }
    broken = model.preprocessing
    broken.featureNames = ["n", "c", "b"]
    #expect(throws: DataError.self) { try broken.validate(inputFeatures: encoding.width, place: "m") }
  }
}
