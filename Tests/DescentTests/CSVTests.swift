@testable import Descent
import Foundation
import TestSupport
import Testing

/// The CSV reader on files as Python's csv module, pandas and spreadsheets write them, on every
/// rule of its grammar (records, quoting, numbers), and on broken files, whose errors name the
/// line and column.
@Suite struct CSVTests {
  let files = TemporaryFolder("descent-csv")

  /// The error reading `text` gives, without the folder, or "no error".
  func error(_ text: String, label: CSVFile.LabelColumn? = .index(-1)) throws -> String {
    let path = try files.write(text, name: "broken.csv")
    do {
      _ = try CSVFile(path: path, label: label)
      return "no error"
    } catch {
      return "\(error)".replacingOccurrences(of: files.path + "/", with: "")
    }
  }

  /// Fixtures/csv/make.py writes one table three ways: Python's csv module (CRLF), pandas (LF),
  /// a spreadsheet export (BOM, CRLF); all three read as that table.
  @Test(arguments: ["python-csv.csv", "pandas.csv", "spreadsheet.csv"])
  func readsWhatUsersToolsWrite(name: String) throws {
    let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .appendingPathComponent("Fixtures/csv/\(name)").path
    let csv = try CSVFile(path: path, label: .name("label"))
    #expect(csv.header == ["width", "height, cm", "say \"hi\"", "label"])
    #expect(csv.numericFeatures == [0.1, 2.5, -0.0, 1e-05, 0.25, 5, 3, -7, 0])
    #expect(csv.numericFeatures?[2].sign == .minus && csv.numericFeatures?[8] == 0)
    #expect(csv.labels == [0, 1, 2])
    #expect(csv.lineNumbers == [2, 3, 4])
  }

  @Test func readsHeaderAndLabelColumn() throws {
    let csv = try CSVFile(path: try files.write("x,label,y\n1,0,2.5\n-3,1,4e-1\n\n"), label: .name("label"))
    #expect(csv.header == ["x", "label", "y"])
    #expect(csv.numericFeatures == [1, 2.5, -3, 0.4])
    #expect(csv.labels == [0, 1])
    #expect(csv.featureCount == 2)
    #expect(csv.featureNames == ["x", "y"])
    let noHeader = try CSVFile(path: try files.write("1,2,3\n4,5,6\n"), hasHeader: false)
    #expect(noHeader.labels == [3, 6] && noHeader.numericFeatures == [1, 2, 4, 5])
    let absent = try CSVFile(path: try files.write("x,y\n1,2\n"), label: .nameIfPresent("label"))
    #expect(absent.labelColumn == nil && absent.numericFeatures == [1, 2] && absent.featureCount == 2)
    let present = try CSVFile(path: try files.write("x,label\n1,2\n"), label: .nameIfPresent("label"))
    #expect(present.labelColumn == 1 && present.labels == [2])
  }

  /// Records end at `\r\n`, `\n` or a lone `\r`; the last may be unended; blank lines (blanks
  /// only, or nothing) are skipped and still counted in line numbers.
  @Test(arguments: [
    "a,b\r\n1,2\r\n\r\n3,4\r\n", "a,b\n1,2\n\n3,4", "a,b\r1,2\r\r3,4\r", "a,b\n1,2\n \t\n3,4\n\n",
  ])
  func everyLineEnding(text: String) throws {
    let csv = try CSVFile(path: try files.write(text))
    #expect(csv.numericFeatures == [1, 3] && csv.labels == [2, 4])
    #expect(csv.lineNumbers == [2, 4])
  }

  /// Quoted fields hold commas, doubled quotes and line breaks (which count as lines); blanks
  /// around a field are dropped, inside quotes kept; a quoted number is a number.
  @Test func quotedFields() throws {
    let csv = try CSVFile(
      path: try files.write("\"a,1\",\" b \"\"c\"\"\n\",  d  \r\n \"1.5\" , -2 ,0\n\n4,\"5\",6\n"), label: nil)
    #expect(csv.header == ["a,1", " b \"c\"\n", "d"])
    #expect(csv.numericFeatures == [1.5, -2, 0, 4, 5, 6])
    #expect(csv.lineNumbers == [3, 5])
    #expect(
      try error("a,b\n1,\"2\"x\n")
        == "broken.csv:2:2: expected a comma or the end of the line after a closing quote, found \"x\"")
  }

  /// Numbers as people write them, and nothing else.
  @Test func numberGrammar() throws {
    let accepted: [(String, Double)] = [
      ("0", 0), ("-0", -0.0), ("+3", 3), (".25", 0.25), ("5.", 5), ("-.5", -0.5), ("1e-50", 1e-50),
      ("2E+3", 2000), ("1.00000001", 1.00000001), ("007", 7), ("3.4e38", 3.4e38),
    ]
    for (text, value) in accepted {
      #expect(CSVNumber.parse(ArraySlice(text.utf8)) == value, "\(text)")
    }
    for word in ["nan", "NaN", "-nan", "inf", "-Inf", "+INFINITY"] {
      let value = try #require(CSVNumber.parse(ArraySlice(word.utf8)), "\(word)")
      #expect(!value.isFinite, "\(word)")
    }
    let refused = [
      "", ".", "-", "+-1", "1e", "1e+", "e5", ".e5", "0x1p3", "0x10", "1_000", "1 000", "1,5", "1.2.3", "1e5x",
      "12abc", "nanx", "in", "infinit", "١٢", "1d", "--1", "0b1", "Infinity1",
    ]
    for text in refused {
      #expect(CSVNumber.parse(ArraySlice(text.utf8)) == nil, "\(text)")
    }
  }

  @Test func labelsKeepTheirValueAsWritten() throws {
    let csv = try CSVFile(path: try files.write("x,y\n1,1.00000001\n2,16777217\n"))
    #expect(csv.labels == [1.00000001, 16_777_217] && csv.labelTexts == nil)
    // One label that is not a number makes the column text, every cell as written.
    let text = try CSVFile(path: try files.write("x,y\r\n1,2\r\n2,\"Adelie, juvenile\"\r\n3, 2.0\r\n"))
    #expect(
      text.labels.isEmpty && text.labelTexts == ["2", "Adelie, juvenile", "2.0"] && text.numericFeatures == [1, 2, 3])
  }

  @Test func brokenFilesNameTheLineAndColumn() throws {
    #expect(try error("a,b\n1,2\nx,3\n") == "broken.csv:3:1: expected a number, found \"x\"")
    #expect(try error("a,b\n1,2\n3,\n") == "broken.csv:3:2: expected a label, found an empty cell")
    #expect(try error("a,b\n1,2\n3\n") == "broken.csv:3: expected 2 fields, found 1")
    #expect(try error("a,b\r\n1,2\r\n3,4,5\r\n") == "broken.csv:3: expected 2 fields, found 3")
    #expect(
      try error("a,b\n1,2\n", label: .name("label"))
        == "broken.csv:1: expected a header column named \"label\", found \"a\", \"b\"")
    #expect(
      try error((0..<10).map { "c\($0)" }.joined(separator: ",") + "\n", label: .name("label"))
        == "broken.csv:1: expected a header column named \"label\", found "
        + "\"c0\", \"c1\", \"c2\", \"c3\", \"c4\", \"c5\", \"c6\", \"c7\" and 2 more"
    )
    #expect(
      try error("a,b\n1,2\n", label: .index(2))
        == "broken.csv:1: expected a label column 2 within 2 columns, found 2 columns")
    #expect(try error("") == "broken.csv:1: expected a line of values, found an empty file")
    #expect(try error("\n\r\n  \n") == "broken.csv:1: expected a line of values, found an empty file")
    #expect(try error("a,b\n100\0junk,1\n") == "broken.csv:2:1: expected a field without NUL bytes, found a NUL byte")
    #expect(try error("a,b\n1,\"2\0\"\n") == "broken.csv:2:2: expected a field without NUL bytes, found a NUL byte")
    #expect(try error("a,b\n0x1p3,1\n") == "broken.csv:2:1: expected a number, found \"0x1p3\"")
    #expect(
      try error("a,b\n1e39,1\n") == "broken.csv:2:1: expected a number within float range (±3.4e38), found \"1e39\"")
    #expect(
      try error("a,b\n1,1e999\n") == "broken.csv:2:2: expected a number within float range (±3.4e38), found \"1e999\"")
    #expect(
      try error("a,b\n1,2\n3,\"4\n5,6\n")
        == "broken.csv:3:2: expected a closing quote for the field opened here, found the end of the file")
    #expect(
      try error("a,b\n1,2\"3\n")
        == "broken.csv:2:2: expected a quote only around a whole field (\"a \"\"b\"\"\"), "
        + "found a quote inside an unquoted field"
    )
    #expect(
      try error("a,b,a,c\n1,2,3,4\n") == "broken.csv:1: expected distinct column names, found \"a\" in columns 1 and 3")
    #expect(try error("a,é\n1,2\n") == "no error")
  }

  @Test func bytesThatAreNotUTF8AreRefused() throws {
    let path = "\(files.path)/latin1.csv"
    try Data([0x61, 0x2C, 0x62, 0xE9, 0x0A, 0x31, 0x2C, 0x32, 0x0A]).write(to: URL(fileURLWithPath: path))
    #expect { try CSVFile(path: path) } throws: {
      "\($0)" == "\(path):1:2: expected UTF-8 text, found bytes that are not UTF-8"
    }
  }
}
