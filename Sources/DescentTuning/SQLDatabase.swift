import Foundation

/// One connection to the engine that holds studies (SQLite or PostgreSQL). Statements use `$1`,
/// `$2`, … for bound values (never spliced text) and SQL that both engines accept.
protocol SQLDatabase: AnyObject {
  /// The printable location (a path; a URL without its password), as errors name it.
  var location: String { get }
  /// `CREATE TABLE` column type of an auto-numbered 64-bit primary key.
  var autoKey: String { get }
  /// A query whose rows are the names of the tables in the database (its current schema).
  var tableListQuery: String { get }
  /// Runs `sql` with `bindings` and returns every row.
  @discardableResult
  func query(_ sql: String, _ bindings: [SQLValue]) throws -> [[SQLValue]]
  /// Runs `body` in one transaction; rolls back if it throws. A write transaction serializes with
  /// other writers. The engine may run `body` again after a lost connection, so `body` must
  /// derive everything from what it reads.
  func transaction<T>(writing: Bool, _ body: () throws -> T) throws -> T
}

extension SQLDatabase {
  @discardableResult
  func query(_ sql: String) throws -> [[SQLValue]] { try query(sql, []) }
}

/// A value bound to or read from SQL. PostgreSQL answers in text, so the readers accept text too.
enum SQLValue: Equatable {
  case null, integer(Int64), real(Double), text(String)

  init(_ value: Bool) { self = .integer(value ? 1 : 0) }

  var int: Int64? {
    switch self {
    case let .integer(v): v
    case let .text(v): Int64(v)
    default: nil
    }
  }
  var double: Double? {
    switch self {
    case let .real(v): v
    case let .integer(v): Double(v)
    case let .text(v): Double(v) ?? Self.special[v]
    case .null: nil
    }
  }
  var string: String? { if case let .text(v) = self { v } else { nil } }
  /// SQLite's 0/1 or PostgreSQL's `t`/`f`.
  var bool: Bool { int.map { $0 != 0 } ?? (string == "t" || string == "true") }

  /// PostgreSQL's spellings of the values Swift's `Double(String)` does not read.
  private static let special = ["NaN": Double.nan, "Infinity": .infinity, "-Infinity": -.infinity]
}
