import Foundation

/// Studies on a PostgreSQL server, shared by workers on any number of machines. Claims lock the
/// study's row, so every trial number, grid point and re-queued trial goes to one worker; a worker
/// that loses its connection (a restart, a network drop) reconnects with back-off for up to
/// `retryWindow` seconds and repeats the transaction, so nothing committed is lost or doubled.
/// The password never leaves libpq: ``location`` and every error show the URL without it.
public final class PostgreSQLStorage: SQLStudyStorage, @unchecked Sendable {
  // @unchecked: no state of its own; the connection is SQLStudyStorage's, used under its lock.
  /// Connects to `url` (`postgresql://user@host:port/database`; the password from the URL,
  /// `PGPASSWORD` or `~/.pgpass`, TLS with libpq's `?sslmode=require`) and creates Descent's
  /// tables if the database has none.
  /// - Throws: ``TuningError/storage(path:reason:)`` with libpq's message when the server cannot
  ///   be reached or refuses the login; ``TuningError/notAStudy(path:reason:)`` for a database
  ///   with other tables or a newer Descent schema.
  /// With `readOnly`, nothing is written: a database without Descent's tables is refused.
  public init(url: String, retryWindow: Double = 120, readOnly: Bool = false) throws {
    try super.init(try PostgreSQLConnection(url: url, retryWindow: retryWindow), readOnly: readOnly)
  }
}

/// The store `location` names: `postgresql://…` or `postgres://…` on a server, `sqlite:PATH` or a
/// plain path in an SQLite file (created unless `create` is false; opened for reading only, never
/// written, with `readOnly`).
public func studyStorage(_ location: String, create: Bool = true, readOnly: Bool = false) throws -> any StudyStorage {
  if location.hasPrefix("postgresql://") || location.hasPrefix("postgres://") {
    return try PostgreSQLStorage(url: location, readOnly: readOnly)
  }
  return try SQLiteStorage(
    path: location.hasPrefix("sqlite:") ? String(location.dropFirst("sqlite:".count)) : location,
    create: create, readOnly: readOnly)
}
