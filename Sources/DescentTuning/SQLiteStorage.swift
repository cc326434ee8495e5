import Foundation

/// Studies in one SQLite file (WAL mode: readers never wait for the writer). Each state change is
/// one transaction, synced to disk (`synchronous=FULL`), so a process killed at any moment loses
/// at most its running trials. Several processes may share the file; a connection waits up to two
/// minutes for another's lock. Every name and value reaches SQL as a bound parameter.
public final class SQLiteStorage: StudyStorage, @unchecked Sendable {
  public let location: String
  /// One connection shared by this process's workers, used under `lock`.
  private let connection: SQLiteConnection
  private let lock = NSLock()
  /// The file format: `format` and `version` in the `descent` table.
  static let format = "descent-study", version = "1"

  /// Opens (or, when `create`, creates) the store at `path`.
  /// - Throws: ``TuningError/storage(path:reason:)`` when it cannot be opened or created,
  ///   ``TuningError/notAStudy(path:reason:)`` for a file that is not a Descent study store.
  public init(path: String, create: Bool = true) throws {
    location = path
    if !create, !FileManager.default.fileExists(atPath: path) {
      throw TuningError.storage(path: path, reason: "no such file")
    }
    let connection = try SQLiteConnection(path: path, create: create)
    try Self.prepare(connection)
    self.connection = connection
  }

  private static func prepare(_ db: SQLiteConnection) throws {
    // Switching a new file to WAL needs the file to itself and answers "database is locked" at
    // once (no busy wait) while another process opens it too: retry, as the busy timeout would.
    var mode: String?
    let deadline = Date().addingTimeInterval(120)
    while true {
      do {
        mode = try db.query("PRAGMA journal_mode=WAL").first?.first?.string
        break
      } catch let TuningError.storage(_, reason) where reason.contains("(SQLite code 5)") && Date() < deadline {
        Thread.sleep(forTimeInterval: 0.02)
      }
    }
    guard mode == "wal" else { throw TuningError.storage(path: db.path, reason: "cannot use WAL mode (got \(mode ?? "nothing"))") }
    try db.query("PRAGMA synchronous=FULL")
    try db.query("PRAGMA foreign_keys=ON")
    try db.transaction {
      let tables = Set(try db.query("SELECT name FROM sqlite_master WHERE type = 'table'").compactMap { $0.first?.string })
      if tables.isEmpty {
        try createSchema(db)
        return
      }
      guard tables.contains("descent") else {
        throw TuningError.notAStudy(path: db.path, reason: "an SQLite database without Descent's tables (it has \(tables.sorted().joined(separator: ", ")))")
      }
      let info = Dictionary(try db.query("SELECT key, value FROM descent").map { ($0[0].string ?? "", $0[1].string ?? "") }) { a, _ in a }
      guard info["format"] == format else { throw TuningError.notAStudy(path: db.path, reason: "format is \(info["format"] ?? "missing")") }
      guard info["version"] == version else {
        throw TuningError.notAStudy(path: db.path, reason: "format version \(info["version"] ?? "missing"); this Descent reads version \(version)")
      }
    }
  }

  private static func createSchema(_ db: SQLiteConnection) throws {
    for statement in [
      "CREATE TABLE descent (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
      "CREATE TABLE studies (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, direction TEXT NOT NULL, created REAL NOT NULL)",
      "CREATE TABLE domains (study INTEGER NOT NULL REFERENCES studies(id), name TEXT NOT NULL, domain TEXT NOT NULL, PRIMARY KEY (study, name))",
      """
      CREATE TABLE trials (id INTEGER PRIMARY KEY, study INTEGER NOT NULL REFERENCES studies(id), number INTEGER NOT NULL,
        state TEXT NOT NULL, value REAL, fold_values TEXT NOT NULL DEFAULT '[]', grid_index INTEGER, device TEXT NOT NULL,
        host TEXT NOT NULL, pid INTEGER NOT NULL, started REAL NOT NULL, finished REAL, heartbeat REAL NOT NULL,
        error TEXT, lost INTEGER NOT NULL DEFAULT 0, UNIQUE (study, number))
      """,
      "CREATE TABLE parameters (trial INTEGER NOT NULL REFERENCES trials(id), name TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (trial, name))",
      "CREATE TABLE intermediate (trial INTEGER NOT NULL REFERENCES trials(id), step INTEGER NOT NULL, value REAL, PRIMARY KEY (trial, step))",
    ] { try db.query(statement) }
    try db.query("INSERT INTO descent (key, value) VALUES ('format', ?), ('version', ?)", [.text(format), .text(version)])
  }

  @discardableResult
  private func write<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
    try lock.withLock { try connection.transaction { try body(connection) } }
  }

  private func read<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
    try lock.withLock { try connection.transaction(writing: false) { try body(connection) } }
  }

  public func openStudy(_ name: String, direction: Direction) throws -> Int64 {
    try write { db in
      if let row = try db.query("SELECT id, direction FROM studies WHERE name = ?", [.text(name)]).first {
        let stored = row[1].string ?? ""
        guard stored == direction.rawValue else {
          throw TuningError.incompatible(study: name, parameter: "direction", stored: stored, given: direction.rawValue)
        }
        return row[0].int ?? 0
      }
      try db.query("INSERT INTO studies (name, direction, created) VALUES (?, ?, ?)",
                   [.text(name), .text(direction.rawValue), .real(Date().timeIntervalSince1970)])
      return try db.query("SELECT last_insert_rowid()")[0][0].int ?? 0
    }
  }

  public func register(_ parameter: String, _ domain: Domain, study: Int64) throws {
    let text = try Self.json(domain)
    try write { db in
      if let stored = try db.query("SELECT domain FROM domains WHERE study = ? AND name = ?", [.integer(study), .text(parameter)]).first?[0].string {
        guard stored == text else {
          let name = try db.query("SELECT name FROM studies WHERE id = ?", [.integer(study)]).first?[0].string ?? "?"
          let old = (try? JSONDecoder().decode(Domain.self, from: Data(stored.utf8)))?.description ?? stored
          throw TuningError.incompatible(study: name, parameter: parameter, stored: old, given: domain.description)
        }
        return
      }
      try db.query("INSERT INTO domains (study, name, domain) VALUES (?, ?, ?)", [.integer(study), .text(parameter), .text(text)])
    }
  }

  public func startTrial(study: Int64, target: Int, gridSize: Int?, device: String, owner: TrialOwner) throws -> StartedTrial? {
    try write { db in
      let counted = try db.query("SELECT count(*) FROM trials WHERE study = ? AND lost = 0", [.integer(study)])[0][0].int ?? 0
      guard counted < target else { return nil }
      var gridIndex: Int?
      if let gridSize {
        let taken = Set(try db.query("SELECT grid_index FROM trials WHERE study = ? AND lost = 0 AND grid_index IS NOT NULL",
                                     [.integer(study)]).compactMap { $0[0].int.map(Int.init) })
        guard let free = (0..<gridSize).first(where: { !taken.contains($0) }) else { return nil }
        gridIndex = free
      }
      let number = Int(try db.query("SELECT coalesce(max(number) + 1, 0) FROM trials WHERE study = ?", [.integer(study)])[0][0].int ?? 0)
      let now = Date().timeIntervalSince1970
      try db.query("""
        INSERT INTO trials (study, number, state, grid_index, device, host, pid, started, heartbeat)
        VALUES (?, ?, 'RUNNING', ?, ?, ?, ?, ?, ?)
        """, [.integer(study), .integer(Int64(number)), gridIndex.map { .integer(Int64($0)) } ?? .null, .text(device),
              .text(owner.host), .integer(Int64(owner.pid)), .real(now), .real(now)])
      return StartedTrial(id: try db.query("SELECT last_insert_rowid()")[0][0].int ?? 0, number: number, gridIndex: gridIndex)
    }
  }

  public func setParameter(trial: Int64, _ name: String, _ value: ParameterValue) throws {
    let text = try Self.json(value)
    try write { db in
      try db.query("INSERT OR REPLACE INTO parameters (trial, name, value) VALUES (?, ?, ?)", [.integer(trial), .text(name), .text(text)])
    }
  }

  public func report(trial: Int64, step: Int, value: Double) throws {
    try write { db in
      try db.query("INSERT OR REPLACE INTO intermediate (trial, step, value) VALUES (?, ?, ?)",
                   [.integer(trial), .integer(Int64(step)), .real(value)])
      try db.query("UPDATE trials SET heartbeat = ? WHERE id = ?", [.real(Date().timeIntervalSince1970), .integer(trial)])
    }
  }

  public func heartbeat(trial: Int64) throws {
    try write { db in
      try db.query("UPDATE trials SET heartbeat = ? WHERE id = ? AND state = 'RUNNING'", [.real(Date().timeIntervalSince1970), .integer(trial)])
    }
  }

  public func finish(trial: Int64, state: TrialState, value: Double?, foldValues: [Double], error: String?, lost: Bool) throws -> Bool {
    let folds = String(decoding: try JSONEncoder().encode(foldValues.map { $0.isFinite ? $0 : nil }), as: UTF8.self)
    return try write { db in
      try db.query("""
        UPDATE trials SET state = ?, value = ?, fold_values = ?, error = ?, lost = ?, finished = ?
        WHERE id = ? AND state = 'RUNNING'
        """, [.text(state.rawValue), value.map { .real($0) } ?? .null, .text(folds), error.map { .text($0) } ?? .null,
              .integer(lost ? 1 : 0), .real(Date().timeIntervalSince1970), .integer(trial)])
      return try db.query("SELECT changes()")[0][0].int == 1
    }
  }

  public func trials(study: Int64) throws -> [TrialRecord] {
    try read { db in
      let rows = try db.query("""
        SELECT id, number, state, value, fold_values, grid_index, device, started, finished, error, lost
        FROM trials WHERE study = ? ORDER BY number
        """, [.integer(study)])
      var parameters: [Int64: [String: ParameterValue]] = [:]
      for row in try db.query("""
        SELECT p.trial, p.name, p.value FROM parameters p JOIN trials t ON t.id = p.trial WHERE t.study = ?
        """, [.integer(study)]) {
        guard let id = row[0].int, let name = row[1].string, let text = row[2].string else { continue }
        parameters[id, default: [:]][name] = try JSONDecoder().decode(ParameterValue.self, from: Data(text.utf8))
      }
      var intermediate: [Int64: [Int: Double]] = [:]
      for row in try db.query("""
        SELECT i.trial, i.step, i.value FROM intermediate i JOIN trials t ON t.id = i.trial WHERE t.study = ?
        """, [.integer(study)]) {
        guard let id = row[0].int, let step = row[1].int else { continue }
        intermediate[id, default: [:]][Int(step)] = row[2].double ?? .nan
      }
      return try rows.map { row in
        let id = row[0].int ?? 0
        let folds = try JSONDecoder().decode([Double?].self, from: Data((row[4].string ?? "[]").utf8)).map { $0 ?? .nan }
        return TrialRecord(number: Int(row[1].int ?? 0), state: TrialState(rawValue: row[2].string ?? "") ?? .failed,
                           parameters: parameters[id] ?? [:], value: row[3].double, foldValues: folds,
                           intermediate: intermediate[id] ?? [:], device: row[6].string ?? "",
                           started: Date(timeIntervalSince1970: row[7].double ?? 0),
                           finished: row[8].double.map { Date(timeIntervalSince1970: $0) }, error: row[9].string,
                           gridIndex: row[5].int.map(Int.init), lost: row[10].int == 1)
      }
    }
  }

  public func runningTrials(study: Int64) throws -> [(id: Int64, number: Int, owner: TrialOwner, heartbeat: Date)] {
    try read { db in
      try db.query("SELECT id, number, host, pid, heartbeat FROM trials WHERE study = ? AND state = 'RUNNING'", [.integer(study)])
        .map { row in
          (id: row[0].int ?? 0, number: Int(row[1].int ?? 0),
           owner: TrialOwner(host: row[2].string ?? "", pid: Int32(truncatingIfNeeded: row[3].int ?? 0)),
           heartbeat: Date(timeIntervalSince1970: row[4].double ?? 0))
        }
    }
  }

  public func studies() throws -> [(name: String, direction: Direction)] {
    try read { db in
      try db.query("SELECT name, direction FROM studies ORDER BY id").map { ($0[0].string ?? "", Direction(rawValue: $0[1].string ?? "") ?? .minimize) }
    }
  }

  static func json(_ value: some Encodable) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    return String(decoding: try encoder.encode(value), as: UTF8.self)
  }
}
