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
    let end = bytes.count
    var at = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
    var line = 1
    while at < end {
      let recordLine = line
      var fields: [Field] = []
      var recordDone = false
      while !recordDone {
        let column = fields.count + 1
        func failure(_ expected: String, _ found: String) -> DataError {
          .invalidLine(path: path, line: line, column: column, expected: expected, found: found)
        }
        while at < end, bytes[at] == space || bytes[at] == tab { at += 1 }
        var field = Field(range: at..<at)
        if at < end, bytes[at] == quote {
          let openedOn = line
          field.quoted = true
          at += 1
          let start = at
          var closed = false
          while at < end {
            switch bytes[at] {
            case quote:
              if at + 1 < end, bytes[at + 1] == quote {
                field.hasDoubledQuotes = true
                at += 2
              } else {
                closed = true
              }
            case 0: throw failure("a field without NUL bytes", "a NUL byte")
            case lineFeed: line += 1; at += 1
            case carriageReturn:
              line += 1
              at += at + 1 < end && bytes[at + 1] == lineFeed ? 2 : 1
            default: at += 1
            }
            if closed { break }
          }
          guard closed else {
            throw DataError.invalidLine(
              path: path, line: openedOn, column: column, expected: "a closing quote for the field opened here",
              found: "the end of the file")
          }
          field.range = start..<at
          at += 1
          while at < end, bytes[at] == space || bytes[at] == tab { at += 1 }
          if at < end, ![comma, lineFeed, carriageReturn].contains(bytes[at]) {
            throw failure("a comma or the end of the line after a closing quote", describe(bytes[at]))
          }
        } else {
          let start = at
          while at < end, bytes[at] != comma, bytes[at] != lineFeed, bytes[at] != carriageReturn {
            if bytes[at] == 0 { throw failure("a field without NUL bytes", "a NUL byte") }
            if bytes[at] == quote {
              throw failure("a quote only around a whole field (\"a \"\"b\"\"\")", "a quote inside an unquoted field")
            }
            at += 1
          }
          var last = at
          while last > start, bytes[last - 1] == space || bytes[last - 1] == tab { last -= 1 }
          field.range = start..<last
        }
        guard validUTF8(bytes[field.range]) else {
          throw failure("UTF-8 text", "bytes that are not UTF-8")
        }
        fields.append(field)
        if at < end, bytes[at] == comma {
          at += 1
          continue
        }
        recordDone = true
        if at < end {
          at += bytes[at] == carriageReturn && at + 1 < end && bytes[at + 1] == lineFeed ? 2 : 1
          line += 1
        }
      }
      let blank = fields.count == 1 && fields[0].range.isEmpty && !fields[0].quoted
      if !blank { try body(Record(line: recordLine, bytes: bytes, fields: fields)) }
    }
  }

  private func validUTF8(_ slice: ArraySlice<UInt8>) -> Bool {
    slice.allSatisfy { $0 < 0x80 } || String(validating: slice, as: UTF8.self) != nil
  }

  private func describe(_ byte: UInt8) -> String {
    byte >= 0x20 && byte < 0x7F ? "\"\(Character(Unicode.Scalar(byte)))\"" : "byte 0x\(String(byte, radix: 16))"
  }
}

private let (quote, comma, space, tab, lineFeed, carriageReturn): (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
  (0x22, 0x2C, 0x20, 0x09, 0x0A, 0x0D)
