import CSQLite
import Foundation

/// One SQLite connection: statements with bound parameters only (never spliced text), errors as
/// ``TuningError/storage(path:reason:)`` with SQLite's message and code.
final class SQLiteConnection: SQLDatabase {
  let path: String
  var location: String { path }
  let autoKey = "INTEGER PRIMARY KEY"
  let tableListQuery = "SELECT name FROM sqlite_master WHERE type = 'table'"
  private var handle: OpaquePointer?

  /// SQLite's destructor constant that makes it copy bound text before the call returns.
  private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

  /// Opens `path`; creates it only when `create`; for reading only when `readOnly`, and then, when
  /// `immutable`, as a file nothing changes (no locks, no `-shm` file). Waits up to `busyTimeout`
  /// seconds for another connection's lock instead of failing with "database is locked".
  init(path: String, create: Bool, readOnly: Bool = false, immutable: Bool = false, busyTimeout: Double = 120) throws {
    self.path = path
    var flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | SQLITE_OPEN_FULLMUTEX
    if create, !readOnly { flags |= SQLITE_OPEN_CREATE }
    var name = path
    if immutable {
      flags |= SQLITE_OPEN_URI
      let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
      let allowed = CharacterSet.urlPathAllowed.subtracting(CharacterSet(charactersIn: "?#"))
      name = "file:\(absolute.addingPercentEncoding(withAllowedCharacters: allowed) ?? absolute)?immutable=1"
    }
    let status = sqlite3_open_v2(name, &handle, flags, nil)
    guard status == SQLITE_OK else {
      let reason = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
      sqlite3_close(handle)
      handle = nil
      throw TuningError.storage(path: path, reason: "\(reason) (SQLite code \(status))")
    }
    sqlite3_busy_timeout(handle, Int32(busyTimeout * 1000))
  }

  deinit { sqlite3_close(handle) }

  func failure(_ status: Int32, _ sql: String) -> TuningError {
    let message = String(cString: sqlite3_errmsg(handle))
    if status == SQLITE_NOTADB || status == SQLITE_CORRUPT {
      return .notAStudy(path: path, reason: "\(message) (SQLite code \(status))")
    }
    return .storage(path: path, reason: "\(message) (SQLite code \(status)) in: \(sql.prefix(60))")
  }

  /// Runs `sql` with `bindings` and returns every row. `$1`, `$2`, … become SQLite's `?1`, `?2`, …
  /// (numbered as PostgreSQL's: one index may appear twice).
  @discardableResult
  func query(_ sql: String, _ bindings: [SQLValue]) throws -> [[SQLValue]] {
    var statement: OpaquePointer?
    var status = sqlite3_prepare_v2(handle, sql.replacingOccurrences(of: "$", with: "?"), -1, &statement, nil)
    guard status == SQLITE_OK else { throw failure(status, sql) }
    defer { sqlite3_finalize(statement) }
    for (index, value) in bindings.enumerated() {
      let position = Int32(index + 1)
      switch value {
      case .null: status = sqlite3_bind_null(statement, position)
      case let .integer(number): status = sqlite3_bind_int64(statement, position, number)
      case let .real(number):
        status =
          number.isNaN
          ? sqlite3_bind_null(statement, position)
          : sqlite3_bind_double(statement, position, number)
      case let .text(text): status = sqlite3_bind_text(statement, position, text, -1, Self.transient)
      }
      guard status == SQLITE_OK else { throw failure(status, sql) }
    }
    var rows: [[SQLValue]] = []
    while true {
      status = sqlite3_step(statement)
      if status == SQLITE_DONE { return rows }
      guard status == SQLITE_ROW else { throw failure(status, sql) }
      rows.append(
        (0..<sqlite3_column_count(statement)).map { column in
          switch sqlite3_column_type(statement, column) {
          case SQLITE_INTEGER: .integer(sqlite3_column_int64(statement, column))
          case SQLITE_FLOAT: .real(sqlite3_column_double(statement, column))
          case SQLITE_NULL: .null
          default: .text(String(cString: sqlite3_column_text(statement, column)))
          }
        })
    }
  }

  /// Runs `body` in a transaction; rolls back if it throws. A write transaction (`BEGIN
  /// IMMEDIATE`) takes the write lock up front, so two writers queue on the busy timeout rather
  /// than deadlock; a read one (`BEGIN`) sees one snapshot across all its queries.
  func transaction<T>(writing: Bool, _ body: () throws -> T) throws -> T {
    try query(writing ? "BEGIN IMMEDIATE" : "BEGIN")
    do {
      let result = try body()
      try query("COMMIT")
      return result
    } catch {
      _ = try? query("ROLLBACK")
      throw error
    }
  }
}
