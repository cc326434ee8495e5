import Foundation

/// Waits up to `seconds` for `path` to disappear (a WAL file its last connection deletes when a
/// thread that held it ends); whether it did.
@discardableResult
public func waitUntilGone(_ path: String, seconds: Double = 10) -> Bool {
  let deadline = Date().addingTimeInterval(seconds)
  while FileManager.default.fileExists(atPath: path) {
    guard Date() < deadline else { return false }
    Thread.sleep(forTimeInterval: 0.01)
  }
  return true
}
