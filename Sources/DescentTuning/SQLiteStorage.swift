import Foundation

/// Studies in one SQLite file (WAL mode: readers never wait for the writer). Each state change is
/// one transaction, synced to disk (`synchronous=FULL`), so a process killed at any moment loses
/// at most its running trials. Several processes on one machine may share the file; a connection
/// waits up to two minutes for another's lock. For many machines, see ``PostgreSQLStorage``.
public final class SQLiteStorage: SQLStudyStorage, @unchecked Sendable {
  /// Opens (or, when `create`, creates) the store at `path`.
  /// - Throws: ``TuningError/storage(path:reason:)`` when it cannot be opened or created,
  ///   ``TuningError/notAStudy(path:reason:)`` for a file that is not a Descent study store.
  public init(path: String, create: Bool = true) throws {
    if !create, !FileManager.default.fileExists(atPath: path) {
      throw TuningError.storage(path: path, reason: "no such file")
    }
    let connection = try SQLiteConnection(path: path, create: create)
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
    try super.init(connection)
  }
}
