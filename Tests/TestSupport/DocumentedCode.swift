import Foundation

/// Code shown in the documentation that a test runs: the ```` ```swift ```` block of `document`
/// (a path from the package's root) that ends just before `marker`, against the test file that
/// runs it.
public struct DocumentedCode {
  /// The block's lines, trimmed, without those `skipping` leaves out (imports, a path the test
  /// replaces).
  public let lines: [String]

  /// - Throws: when the document or the marker is missing, or no code block precedes the marker.
  public init(
    _ document: String, before marker: String, skipping: (String) -> Bool = { $0.hasPrefix("import ") }
  )
    throws
  {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    let text = try String(contentsOf: root.appendingPathComponent(document), encoding: .utf8)
    guard let end = text.range(of: marker)?.lowerBound,
      let start = text[..<end].range(of: "```swift\n", options: .backwards)?.upperBound,
      let close = text[start..<end].range(of: "```")?.lowerBound
    else {
      throw CocoaError(
        .fileReadCorruptFile, userInfo: [NSFilePathErrorKey: document + ": no code block before " + marker])
    }
    lines = text[start..<close].split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
      .filter { !skipping($0) }
  }

  /// The first of the block's lines that is not in the file at `path` (in order, indentation
  /// aside), or nil when the file holds them all.
  public func firstLineMissing(from path: String) throws -> String? {
    let file = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
      .map { $0.trimmingCharacters(in: .whitespaces) }
    var position = file.startIndex
    for line in lines {
      guard let found = file[position...].firstIndex(of: line) else { return line }
      position = found + 1
    }
    return nil
  }
}
