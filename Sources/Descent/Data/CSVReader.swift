/// The records of a CSV file as RFC 4180 defines them, and as Python's `csv` module, pandas and
/// spreadsheets write them: fields separated by commas; records ended by `\r\n`, `\n` or a lone
/// `\r` (the last one optionally unended); a field in double quotes may hold commas, line breaks
/// and `""` (one quote). Beyond the RFC: a UTF-8 byte order mark before the first record is
/// skipped, spaces and tabs around a field (outside its quotes) are dropped, and a record that is
/// only blanks is skipped. Refused, naming line and column (the field's number, from 1): a NUL
/// byte, bytes that are not UTF-8, a quote inside an unquoted field, anything but a comma or the
/// record's end after a closing quote, and a quote never closed.
struct CSVReader {
  /// One record's fields, as ranges of the file's bytes (quotes and surrounding blanks excluded).
  struct Record {
    /// The line (from 1) the record starts on.
    let line: Int
    fileprivate let bytes: [UInt8]
    fileprivate let fields: [Field]

    var count: Int { fields.count }

    /// Field `index`'s bytes; a quoted field's `""` still doubled (see ``text(_:)``).
    func raw(_ index: Int) -> ArraySlice<UInt8> { bytes[fields[index].range] }

    /// Field `index` as text, its `""` undoubled.
    func text(_ index: Int) -> String {
      let slice = raw(index)
      guard fields[index].hasDoubledQuotes else { return String(decoding: slice, as: UTF8.self) }
      var undoubled: [UInt8] = []
      undoubled.reserveCapacity(slice.count)
      var skipNext = false
      for byte in slice {
        if skipNext {
          skipNext = false
          continue
        }
        undoubled.append(byte)
        skipNext = byte == quote
      }
      return String(decoding: undoubled, as: UTF8.self)
    }
  }

  fileprivate struct Field {
    var range: Range<Int>
    var quoted = false
    var hasDoubledQuotes = false
  }

  let path: String
  let bytes: [UInt8]

  init(path: String, bytes: [UInt8]) {
    self.path = path
    self.bytes = bytes
  }

  /// Calls `body` with each record that is not blank, in order.
  func forEachRecord(_ body: (Record) throws -> Void) throws {
    var cursor = Cursor(bytes: bytes, path: path)
    while !cursor.atEnd {
      let recordLine = cursor.line
      var fields: [Field] = []
      repeat {
        let field = try cursor.field(column: fields.count + 1)
        guard validUTF8(bytes[field.range]) else {
          throw DataError.invalidLine(
            path: path, line: cursor.line, column: fields.count + 1, expected: "UTF-8 text",
            found: "bytes that are not UTF-8")
        }
        fields.append(field)
      } while cursor.nextField()
      let blank = fields.count == 1 && fields[0].range.isEmpty && !fields[0].quoted
      if !blank { try body(Record(line: recordLine, bytes: bytes, fields: fields)) }
    }
  }

  /// A place in the file: the next byte to read and its line.
  private struct Cursor {
    let bytes: [UInt8]
    let path: String
    var at: Int
    var line = 1

    init(bytes: [UInt8], path: String) {
      (self.bytes, self.path) = (bytes, path)
      at = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0  // a byte order mark
    }

    var atEnd: Bool { at >= bytes.count }

    func failure(_ column: Int, _ expected: String, _ found: String) -> DataError {
      .invalidLine(path: path, line: line, column: column, expected: expected, found: found)
    }

    mutating func skipBlanks() {
      while at < bytes.count, bytes[at] == space || bytes[at] == tab { at += 1 }
    }

    /// The field that starts here (after blanks), quoted or not; stops at its comma or line end.
    mutating func field(column: Int) throws -> Field {
      skipBlanks()
      return at < bytes.count && bytes[at] == quote
        ? try quotedField(column: column) : try unquotedField(column: column)
    }

    private mutating func quotedField(column: Int) throws -> Field {
      let end = bytes.count, openedOn = line
      at += 1
      var field = Field(range: at..<at, quoted: true)
      var closed = false
      while at < end, !closed {
        switch bytes[at] {
        case quote:
          if at + 1 < end, bytes[at + 1] == quote {
            field.hasDoubledQuotes = true
            at += 2
          } else {
            closed = true
          }
        case 0: throw failure(column, "a field without NUL bytes", "a NUL byte")
        case lineFeed, carriageReturn: skipLineEnd()
        default: at += 1
        }
      }
      guard closed else {
        throw DataError.invalidLine(
          path: path, line: openedOn, column: column, expected: "a closing quote for the field opened here",
          found: "the end of the file")
      }
      field.range = field.range.lowerBound..<at
      at += 1
      skipBlanks()
      if at < end, ![comma, lineFeed, carriageReturn].contains(bytes[at]) {
        throw failure(column, "a comma or the end of the line after a closing quote", describe(bytes[at]))
      }
      return field
    }

    private mutating func unquotedField(column: Int) throws -> Field {
      let start = at
      while at < bytes.count, bytes[at] != comma, bytes[at] != lineFeed, bytes[at] != carriageReturn {
        if bytes[at] == 0 { throw failure(column, "a field without NUL bytes", "a NUL byte") }
        if bytes[at] == quote {
          throw failure(
            column, "a quote only around a whole field (\"a \"\"b\"\"\")", "a quote inside an unquoted field")
        }
        at += 1
      }
      var last = at
      while last > start, bytes[last - 1] == space || bytes[last - 1] == tab { last -= 1 }
      return Field(range: start..<last)
    }

    /// Past the comma after a field (true), or past the line end that ends the record (false).
    mutating func nextField() -> Bool {
      if at < bytes.count, bytes[at] == comma {
        at += 1
        return true
      }
      if at < bytes.count { skipLineEnd() }
      return false
    }

    /// Past one line end: `\r\n`, `\n` or a lone `\r`.
    private mutating func skipLineEnd() {
      let end = bytes.count
      at += bytes[at] == carriageReturn && at + 1 < end && bytes[at + 1] == lineFeed ? 2 : 1
      line += 1
    }

    private func describe(_ byte: UInt8) -> String {
      byte >= 0x20 && byte < 0x7F ? "\"\(Character(Unicode.Scalar(byte)))\"" : "byte 0x\(String(byte, radix: 16))"
    }
  }

  private func validUTF8(_ slice: ArraySlice<UInt8>) -> Bool {
    slice.allSatisfy { $0 < 0x80 } || String(validating: slice, as: UTF8.self) != nil
  }

}

private let (quote, comma, space, tab, lineFeed, carriageReturn): (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
  (0x22, 0x2C, 0x20, 0x09, 0x0A, 0x0D)
