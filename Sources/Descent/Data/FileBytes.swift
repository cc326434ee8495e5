import CZlib
import Foundation

/// Reads whole files, gzip-compressed or plain (zlib's `gzread` passes plain files through), so
/// `train-images-idx3-ubyte.gz` and its unpacked twin load the same way.
enum FileBytes {
  static func read(_ path: String) throws -> [UInt8] {
    guard let file = gzopen(path, "rb") else {
      throw DataError.unreadable(path: path, reason: String(cString: strerror(errno)))
    }
    defer { gzclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    while true {
      let count = chunk.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32($0.count)) }
      if count < 0 {
        var status: Int32 = 0
        let message = gzerror(file, &status).map { String(cString: $0) } ?? "error \(status)"
        throw DataError.unreadable(path: path, reason: "after \(bytes.count) bytes: \(message)")
      }
      if count == 0 { break }
      bytes += chunk[0..<Int(count)]
    }
    // gzread returns what it could decode from a cut-off stream and records the error.
    var status: Int32 = 0
    let message = gzerror(file, &status)
    if status != Z_OK, status != Z_STREAM_END {
      throw DataError.unreadable(
        path: path, reason: "after \(bytes.count) bytes: \(message.map { String(cString: $0) } ?? "error \(status)")")
    }
    return bytes
  }
}
