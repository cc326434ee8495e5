import Foundation

/// File helpers that never leave a half-written file behind.
package enum FileSystem {
  package static func exists(_ path: String) -> Bool {
    FileManager.default.fileExists(atPath: path)
  }

  /// Nil when a file can be created in `folder` (checked by creating and removing one), else the
  /// system's reason.
  package static func fileCreationError(in folder: String) -> String? {
    let probe = "\(folder)/.descent-write-test-\(getpid())"
    guard FileManager.default.createFile(atPath: probe, contents: Data()) else {
      return String(cString: strerror(errno))
    }
    unlink(probe)
    return nil
  }

  /// Whether `a` and `b` name one existing file, however written: through symbolic links, `./` or
  /// `..`, or as hard links (the same device and inode).
  package static func sameFile(_ a: String, _ b: String) -> Bool {
    var first = stat(), second = stat()
    guard stat(a, &first) == 0, stat(b, &second) == 0 else { return false }
    return first.st_dev == second.st_dev && first.st_ino == second.st_ino
  }

  package static func isDirectory(_ path: String) -> Bool {
    var directory: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
  }

  /// Writes `bytes` to a temporary file beside `path`, flushes it to disk (`fsync`), renames it over
  /// `path` and flushes the folder: a crash at any moment leaves either the old file or the new one.
  /// Temporary files of earlier writes to `path` whose process is gone (killed mid-write) are
  /// removed first.
  package static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
    try writeAtomically(to: path) { write in try bytes.withUnsafeBytes(write) }
  }

  /// The same, with the bytes given a part at a time: `body` calls `write` with each part in order.
  package static func writeAtomically(
    to path: String, _ body: (_ write: (UnsafeRawBufferPointer) throws -> Void) throws -> Void
  ) throws {
    let url = URL(fileURLWithPath: path)
    let folder = url.deletingLastPathComponent().path
    removeStaleTemporaries(of: url.lastPathComponent, in: folder)
    let temporary = "\(folder)/.\(url.lastPathComponent).\(getpid()).tmp"
    func failure(_ call: String) -> DataError {
      .unwritable(path: path, reason: "\(call) failed: \(String(cString: strerror(errno)))")
    }
    let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard descriptor >= 0 else { throw failure("creating \(temporary)") }
    do {
      try body { part in
        var written = 0
        while written < part.count {
          let count = write(descriptor, part.baseAddress! + written, part.count - written)
          guard count > 0 else { throw failure("writing \(temporary)") }
          written += count
        }
      }
    } catch {
      close(descriptor)
      unlink(temporary)
      throw error
    }
    guard fsync(descriptor) == 0 else {
      close(descriptor)
      unlink(temporary)
      throw failure("fsync")
    }
    close(descriptor)
    guard rename(temporary, path) == 0 else {
      unlink(temporary)
      throw failure("rename to \(path)")
    }
    let directory = open(folder, O_RDONLY)
    if directory >= 0 {
      fsync(directory)
      close(directory)
    }
  }

  /// Removes `.NAME.PID.tmp` files in `folder` left by processes that no longer run.
  private static func removeStaleTemporaries(of name: String, in folder: String) {
    let prefix = ".\(name).", suffix = ".tmp"
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
    for entry in entries where entry.hasPrefix(prefix) && entry.hasSuffix(suffix) {
      guard let pid = Int32(entry.dropFirst(prefix.count).dropLast(suffix.count)), pid != getpid() else { continue }
      if kill(pid, 0) != 0, errno == ESRCH { unlink("\(folder)/\(entry)") }
    }
  }
}
