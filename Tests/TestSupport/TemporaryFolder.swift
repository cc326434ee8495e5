import Foundation

/// A new folder under the system's temporary directory for one suite's files, and a way to write
/// a text file into it (the suites on CSV files write many small ones).
public struct TemporaryFolder: Sendable {
  public let path: String

  /// Creates `<temporary directory>/<prefix>-<UUID>`.
  public init(_ prefix: String) {
    path = NSTemporaryDirectory() + "\(prefix)-\(UUID().uuidString)"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  }

  /// Writes `text` (UTF-8) to the file `name` in the folder and returns its path.
  public func write(_ text: String, name: String = "data.csv") throws -> String {
    let file = "\(path)/\(name)"
    try Data(text.utf8).write(to: URL(fileURLWithPath: file))
    return file
  }
}
