import CLibPQ
import Foundation

/// One libpq connection. Values travel as bound text parameters (`PQexecParams`, never spliced);
/// the server infers their types from where they stand. A connection lost mid-transaction (the
/// server restarted, the network dropped) is reset with back-off and the transaction run again,
/// for up to `retryWindow` seconds; then the error names the host and libpq's message.
final class PostgreSQLConnection: SQLDatabase {
  /// The URL without its password.
  let location: String
  let autoKey = "BIGSERIAL PRIMARY KEY"
  let tableListQuery = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
  let retryWindow: Double
  private let connection: OpaquePointer

  /// What a connection sets unless the URL sets it: a server that accepts the connection but never
  /// answers fails the connection after 10 s (libpq waits forever by default), and a server that
  /// vanishes mid-query (its host down, the network cut) is noticed within about 30 s by TCP
  /// keepalives and the kernel's limit on unacknowledged data, instead of the system's 2 hours.
  static let defaults: KeyValuePairs = [
    "connect_timeout": "10", "keepalives_idle": "10", "keepalives_interval": "5", "keepalives_count": "3",
    "tcp_user_timeout": "30000",
  ]

  /// Connects to `url` (`postgresql://user[:password]@host[:port]/database[?param=value…]`, or
  /// any libpq connection string) with ``defaults`` below the URL's own settings; fails at once
  /// when the server cannot be reached, and after `connect_timeout` when it does not answer.
  init(url: String, retryWindow: Double = 120) throws {
    location = try Self.redacted(url)
    self.retryWindow = retryWindow
    // expand_dbname: the URL in "dbname" is expanded in place, so its settings override the
    // defaults listed before it.
    let keywords = Self.defaults.map { strdup($0.key) } + [strdup("dbname"), nil]
    let values = Self.defaults.map { strdup($0.value) } + [strdup(url), nil]
    defer { (keywords + values).forEach { free($0) } }
    let connected = keywords.map { UnsafePointer($0) }.withUnsafeBufferPointer { keys in
      values.map { UnsafePointer($0) }.withUnsafeBufferPointer {
        PQconnectdbParams(keys.baseAddress, $0.baseAddress, 1)
      }
    }
    guard let connection = connected else {
      throw TuningError.storage(path: location, reason: "libpq could not allocate a connection")
    }
    self.connection = connection
    guard PQstatus(connection) == CONNECTION_OK else {  // deinit closes it
      throw TuningError.storage(path: location, reason: "cannot connect: \(Self.message(PQerrorMessage(connection)))")
    }
    // Notices ("…, skipping") are not errors and do not belong on the user's terminal.
    PQsetNoticeProcessor(connection, { _, _ in }, nil)
  }

  deinit { PQfinish(connection) }

  /// `url` as `postgresql://user@host:port/database`: the password and every other option left out.
  static func redacted(_ url: String) throws -> String {
    // libpq would read only up to a NUL: refused rather than connecting somewhere else.
    guard !url.contains("\0") else {
      throw TuningError.storage(path: "postgresql://…", reason: "invalid URL: it holds a NUL byte")
    }
    var error: UnsafeMutablePointer<CChar>?
    guard let options = PQconninfoParse(url, &error) else {
      let message = (error.map { String(cString: $0) } ?? "not a connection URL")
        .trimmingCharacters(in: .whitespacesAndNewlines)
      PQfreemem(error)
      // libpq's message may quote the URL or the password ("invalid percent-encoded token:
      // \"s3cret%ZZ\""): scrubbed before it is formatted anywhere.
      let scrubbed = ConnectionSecrets.scrubbed(message, secretsOf: url)
      throw TuningError.storage(path: "postgresql://…", reason: "invalid URL: \(scrubbed)")
    }
    defer { PQconninfoFree(options) }
    var values: [String: String] = [:]
    var option = options
    while let keyword = option.pointee.keyword {
      if let value = option.pointee.val { values[String(cString: keyword)] = String(cString: value) }
      option += 1
    }
    let user = values["user"].map { "\($0)@" } ?? ""
    let host = values["host"] ?? values["hostaddr"] ?? "localhost"
    // A malformed URL can move the password into another field: scrubbed as libpq's messages are.
    return ConnectionSecrets.scrubbed(
      "postgresql://\(user)\(host)\(values["port"].map { ":\($0)" } ?? "")/\(values["dbname"] ?? "")",
      secretsOf: url)
  }

  private static func message(_ text: UnsafePointer<CChar>?) -> String {
    text.map { String(cString: $0) }.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? "no message"
  }

  /// A failure that a new connection or a second attempt may cure.
  private struct Transient: Error { let message: String }

  @discardableResult
  func query(_ sql: String, _ bindings: [SQLValue]) throws -> [[SQLValue]] {
    let texts: [UnsafeMutablePointer<CChar>?] = bindings.map { value in
      switch value {
      case .null: nil
      case let .integer(number): strdup("\(number)")
      case let .real(number):
        number.isNaN ? nil : strdup(number.isInfinite ? (number > 0 ? "Infinity" : "-Infinity") : "\(number)")
      case let .text(text): strdup(text)
      }
    }
    defer { texts.forEach { free($0) } }
    let result = texts.map { UnsafePointer($0) }.withUnsafeBufferPointer {
      PQexecParams(connection, sql, Int32(bindings.count), nil, $0.baseAddress, nil, nil, 0)
    }
    defer { PQclear(result) }
    switch PQresultStatus(result) {
    case PGRES_COMMAND_OK: return []
    case PGRES_TUPLES_OK:
      return (0..<PQntuples(result)).map { row in
        (0..<PQnfields(result)).map { column in
          PQgetisnull(result, row, column) == 1 ? .null : .text(String(cString: PQgetvalue(result, row, column)))
        }
      }
    default:
      let message = Self.message(result.map { PQresultErrorMessage($0) } ?? PQerrorMessage(connection))
      let code = result.flatMap { PQresultErrorField($0, Int32(UInt8(ascii: "C"))) }.map { String(cString: $0) } ?? ""
      // Lost connection (class 08, or none at all), the server shutting down or starting (57P0x),
      // a serialization failure or deadlock (40001, 40P01): the whole transaction can run again.
      if PQstatus(connection) != CONNECTION_OK || code.hasPrefix("08") || code.hasPrefix("57P0") || code == "40001"
        || code == "40P01"
      {
        throw Transient(message: message)
      }
      if code == "42501" {
        throw TuningError.storage(
          path: location, reason: "\(message): this role may read studies (--show) but not run trials")
      }
      throw TuningError.storage(path: location, reason: "\(message) (SQLSTATE \(code)) in: \(sql.prefix(60))")
    }
  }

  func transaction<T>(writing: Bool, _ body: () throws -> T) throws -> T {
    let deadline = Date().addingTimeInterval(retryWindow)
    var delay = 0.05
    while true {
      do {
        if PQstatus(connection) != CONNECTION_OK {
          PQreset(connection)
          guard PQstatus(connection) == CONNECTION_OK else {
            throw Transient(message: Self.message(PQerrorMessage(connection)))
          }
        }
        // Reads see one snapshot across their queries; writes lock the rows they claim.
        try query(writing ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        do {
          let result = try body()
          try query("COMMIT")
          return result
        } catch {
          if PQstatus(connection) == CONNECTION_OK { _ = try? query("ROLLBACK") }
          throw error
        }
      } catch let error as Transient {
        guard Date() < deadline else {
          let host = PQhost(connection).map { String(cString: $0) } ?? "the server"
          throw TuningError.storage(
            path: location, reason: "no answer from \(host) for \(Int(retryWindow)) s: \(error.message)")
        }
        Thread.sleep(forTimeInterval: delay)
        delay = min(delay * 2, 2)
      }
    }
  }
}

/// The secrets a storage location may hold, kept out of every message and of the process list.
package enum ConnectionSecrets {
  /// What may be a password in `location`, as written, whatever its shape: after the scheme, every
  /// field that follows a `:` up to the next `:`, `@`, `/` or `?` and is not a port number (as in
  /// `scheme://user:password@host`, also when a typo dropped the `@`), and every `password=` value
  /// of a keyword string. Hiding a field that was not one costs less than showing one that was.
  package static func passwords(in location: String) -> [String] {
    let body = location.range(of: "://").map { location[$0.upperBound...] } ?? location[...]
    let fields = body.matches(of: /:([^:@\/?]+)/).map { String($0.output.1) }.filter { !$0.allSatisfy(\.isNumber) }
    return fields + location.matches(of: /password=([^ &]+)/).map { String($0.output.1) }
  }

  /// ``passwords(in:)`` as written and percent-decoded, longest first.
  static func secrets(of location: String) -> [String] {
    let passwords = passwords(in: location)
    return Set(passwords + passwords.compactMap { $0.removingPercentEncoding }).filter { !$0.isEmpty }
      .sorted { $0.count > $1.count }
  }

  /// `message` with every quoted token that holds a password of `location` (as written or
  /// percent-decoded), and any other occurrence of one, replaced by `…`.
  package static func scrubbed(_ message: String, secretsOf location: String) -> String {
    let secrets = self.secrets(of: location)
    guard !secrets.isEmpty else { return message }
    let parts = message.split(separator: "\"", omittingEmptySubsequences: false)
    var result = parts.enumerated().map { index, part in
      index % 2 == 1 && secrets.contains(where: { part.contains($0) }) ? "…" : String(part)
    }.joined(separator: "\"")
    for secret in secrets { result = result.replacingOccurrences(of: secret, with: "…") }
    return result
  }
}
