import CSQLite
import Foundation

/// Studies in one SQLite file (WAL mode: readers never wait for the writer). Each state change is
/// one transaction, synced to disk (`synchronous=FULL`), so a process killed at any moment loses
/// at most its running trials. Several processes on one machine may share the file; a connection
/// waits up to two minutes for another's lock. For many machines, see ``PostgreSQLStorage``.
public final class SQLiteStorage: SQLStudyStorage, @unchecked Sendable {
  // @unchecked: no state of its own; the connection is SQLStudyStorage's, used under its lock.
  /// Opens (or, when `create`, creates) the store at `path`; with `readOnly` (`descent tune
  /// --show`) opens an existing store for reading and writes nothing, even in a read-only folder.
  /// A file that is not a Descent store is refused unchanged: it is identified before the
  /// switch to WAL mode, which rewrites the file's header.
  /// - Throws: ``TuningError/storage(path:reason:)`` when it cannot be opened or created,
  ///   ``TuningError/notAStudy(path:reason:)`` for a file that is not a Descent study store.
  public init(path: String, create: Bool = true, readOnly: Bool = false) throws {
    if !create || readOnly, !FileManager.default.fileExists(atPath: path) {
      throw TuningError.storage(path: path, reason: "no such file")
    }
    if readOnly {
      try super.init(try Self.readOnlyConnection(path), readOnly: true)
      return
    }
    let connection = try SQLiteConnection(path: path, create: create)
    try super.init(connection) {
      // Switching a new file to WAL needs the file to itself and answers "database is locked" at
      // once (no busy wait) while another process opens it too: retry, as the busy timeout would.
      var mode: String?
      let deadline = Date().addingTimeInterval(120)
      while true {
        do {
          mode = try connection.query("PRAGMA journal_mode=WAL").first?.first?.string
          break
        } catch let TuningError.storage(_, reason) where reason.contains("(SQLite code 5)") && Date() < deadline {
          Thread.sleep(forTimeInterval: 0.02)
        }
      }
      guard mode == "wal" else {
        throw TuningError.storage(path: path, reason: "cannot use WAL mode (got \(mode ?? "nothing"))")
      }
      try connection.query("PRAGMA synchronous=FULL")
      try connection.query("PRAGMA foreign_keys=ON")
    }
  }

  /// A read-only connection. Reading a WAL-mode file needs its `-shm` index, which SQLite creates
  /// beside the file; where it cannot (a read-only folder, no writer running), the file is opened
  /// as immutable: a snapshot, read without locks.
  private static func readOnlyConnection(_ path: String) throws -> SQLiteConnection {
    let connection = try SQLiteConnection(path: path, create: false, readOnly: true)
    do {
      try connection.query("SELECT count(*) FROM sqlite_master")
      return connection
    } catch let TuningError.storage(_, reason)
      where reason.contains("(SQLite code \(SQLITE_READONLY))") || reason.contains("(SQLite code \(SQLITE_CANTOPEN))")
    {
      return try SQLiteConnection(path: path, create: false, readOnly: true, immutable: true)
    }
  }
}
