import Foundation

/// Studies in an SQL database: ``SQLiteStorage`` (one file) and ``PostgreSQLStorage`` (a server
/// many machines share) run this one implementation. Each state change is one transaction; every
/// name and value reaches SQL as a bound parameter. Claims are serialized per study (the study's
/// row is updated first, which locks it on PostgreSQL; SQLite has one writer at a time), so a
/// trial number, a grid point or a waiting trial is never handed out twice.
public class SQLStudyStorage: StudyStorage, @unchecked Sendable {
  // @unchecked: the one connection is used under `lock` only.
  public var location: String { db.location }
  let db: any SQLDatabase
  private let lock = NSLock()
  /// The schema: `format` and `version` in the `descent` table. Version 1 (before retries and
  /// stored settings), 2 (before artifacts), 3 (before PAUSED trials, which older versions
  /// cannot read) and 4 (before studies of several objectives and their intermediate values) are
  /// upgraded in place; a newer
  /// version is refused.
  static let format = "descent-study", version = 5

  /// Opens the store on `db`. It is identified first, by reading alone: a database that is not a
  /// Descent store is refused as it was found. Then, unless `readOnly`, `beforeWriting` runs (SQLite
  /// switches to WAL there) and an empty database gets the schema, a version-1 one the upgrade.
  init(_ db: any SQLDatabase, readOnly: Bool = false, beforeWriting: () throws -> Void = {}) throws {
    self.db = db
    var version = try identify()
    if readOnly {
      guard let version else { throw TuningError.notAStudy(path: location, reason: "an empty database") }
      guard version == Self.version else {
        throw TuningError.storage(
          path: location,
          reason: "schema version \(version) must be upgraded first: run `descent tune` on it once without --show")
      }
      return
    }
    try beforeWriting()
    if version == nil {
      do {
        try db.transaction(writing: true) { try createSchema() }
        return
      } catch {
        // Another process created the schema first (its CREATE won; ours failed after it committed).
        guard let theirs = try? identify() else { throw error }
        version = theirs
      }
    }
    if let version, version < Self.version { try db.transaction(writing: true) { try upgrade() } }
  }

  private func tables() throws -> Set<String> {
    try db.transaction(writing: false) { Set(try db.query(db.tableListQuery).compactMap { $0.first?.string }) }
  }

  /// The store's schema version, nil for an empty database; reads only.
  /// - Throws: ``TuningError/notAStudy(path:reason:)`` for another program's database, or a
  ///   Descent store newer than this Descent.
  private func identify() throws -> Int? {
    let existing = try tables()
    if existing.isEmpty { return nil }
    guard existing.contains("descent") else {
      throw TuningError.notAStudy(
        path: location,
        reason: "a database without Descent's tables (it has \(existing.sorted().joined(separator: ", ")))")
    }
    let info = try db.transaction(writing: false) {
      Dictionary(try db.query("SELECT key, value FROM descent").map { ($0[0].string ?? "", $0[1].string ?? "") }) {
        a, _ in a
      }
    }
    guard info["format"] == Self.format else {
      throw TuningError.notAStudy(path: location, reason: "format is \(info["format"] ?? "missing")")
    }
    guard let stored = info["version"].flatMap({ Int($0) }), stored >= 1 else {
      throw TuningError.notAStudy(path: location, reason: "schema version is \(info["version"] ?? "missing")")
    }
    guard stored <= Self.version else {
      throw TuningError.notAStudy(
        path: location,
        reason: "schema version \(stored) is newer than this Descent's (\(Self.version)): use a newer descent")
    }
    return stored
  }

  private func createSchema() throws {
    for statement in [
      "CREATE TABLE descent (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
      """
      CREATE TABLE studies (id \(db.autoKey), name TEXT NOT NULL UNIQUE, direction TEXT NOT NULL,
        created DOUBLE PRECISION NOT NULL, settings TEXT, claims BIGINT NOT NULL DEFAULT 0)
      """,
      "CREATE TABLE domains (study BIGINT NOT NULL REFERENCES studies(id), name TEXT NOT NULL, domain TEXT NOT NULL, "
        + "PRIMARY KEY (study, name))",
      """
      CREATE TABLE trials (id \(db.autoKey), study BIGINT NOT NULL REFERENCES studies(id), number INTEGER NOT NULL,
        state TEXT NOT NULL, value DOUBLE PRECISION, fold_values TEXT NOT NULL DEFAULT '[]', grid_index INTEGER,
        device TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL, started DOUBLE PRECISION NOT NULL,
        finished DOUBLE PRECISION, heartbeat DOUBLE PRECISION NOT NULL, error TEXT, lost BOOLEAN NOT NULL DEFAULT FALSE,
        retry INTEGER NOT NULL DEFAULT 0, replaced BOOLEAN NOT NULL DEFAULT FALSE, token TEXT,
        objective_values TEXT, constraint_values TEXT, UNIQUE (study, number))
      """,
      "CREATE UNIQUE INDEX trials_token ON trials (token)",
      "CREATE TABLE parameters (trial BIGINT NOT NULL REFERENCES trials(id), name TEXT NOT NULL, value TEXT NOT NULL, "
        + "PRIMARY KEY (trial, name))",
      "CREATE TABLE intermediate (trial BIGINT NOT NULL REFERENCES trials(id), step INTEGER NOT NULL, "
        + "value DOUBLE PRECISION, objective_values TEXT, PRIMARY KEY (trial, step))",
      Self.artifactsTable,
    ] { try db.query(statement) }
    try db.query(
      "INSERT INTO descent (key, value) VALUES ('format', $1), ('version', $2)",
      [.text(Self.format), .text("\(Self.version)")])
  }

  /// A trial's named byte strings (its models, its validation predictions), base64 in TEXT so
  /// both engines store them alike.
  private static let artifactsTable =
    "CREATE TABLE artifacts (trial BIGINT NOT NULL REFERENCES trials(id), name TEXT NOT NULL, data TEXT NOT NULL, "
    + "PRIMARY KEY (trial, name))"

  /// Brings an older store to ``version``, step by step.
  private func upgrade() throws {
    // Read again under the write lock: another process opening the file may have upgraded it.
    guard let text = try db.query("SELECT value FROM descent WHERE key = 'version'").first?[0].string,
      let stored = Int(text), stored < Self.version
    else { return }
    var statements: [String] = []
    if stored < 2 {
      statements += [
        "ALTER TABLE studies ADD COLUMN settings TEXT",
        "ALTER TABLE studies ADD COLUMN claims BIGINT NOT NULL DEFAULT 0",
        "ALTER TABLE trials ADD COLUMN retry INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE trials ADD COLUMN replaced BOOLEAN NOT NULL DEFAULT FALSE",
        "ALTER TABLE trials ADD COLUMN token TEXT",
        "CREATE UNIQUE INDEX trials_token ON trials (token)",
      ]
    }
    if stored < 3 { statements.append(Self.artifactsTable) }
    if stored < 5 {
      statements += [
        "ALTER TABLE trials ADD COLUMN objective_values TEXT", "ALTER TABLE trials ADD COLUMN constraint_values TEXT",
        "ALTER TABLE intermediate ADD COLUMN objective_values TEXT",
      ]
    }
    for statement in statements { try db.query(statement) }
    try db.query("UPDATE descent SET value = $1 WHERE key = 'version'", [.text("\(Self.version)")])
  }

  @discardableResult
  private func write<T>(_ body: () throws -> T) throws -> T {
    try lock.withLock { try db.transaction(writing: true, body) }
  }

  private func read<T>(_ body: () throws -> T) throws -> T {
    try lock.withLock { try db.transaction(writing: false, body) }
  }

  private func studyName(_ study: Int64) throws -> String {
    try db.query("SELECT name FROM studies WHERE id = $1", [.integer(study)]).first?[0].string ?? "?"
  }

  // Workers that start together may all create the study or register a parameter: the first
  // insert wins, the others insert nothing and read what it stored.
  public func openStudy(_ name: String, directions: [Direction]) throws -> Int64 {
    // One objective's study stores its direction as before; several, a comma-separated list.
    let text = directions.map(\.rawValue).joined(separator: ",")
    return try write {
      try db.query(
        "INSERT INTO studies (name, direction, created) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
        [.text(name), .text(text), .real(Date().timeIntervalSince1970)])
      let row = try db.query("SELECT id, direction FROM studies WHERE name = $1", [.text(name)])[0]
      let stored = row[1].string ?? ""
      guard stored == text else {
        throw TuningError.incompatible(study: name, parameter: "direction", stored: stored, given: text)
      }
      return row[0].int ?? 0
    }
  }

  public func register(_ parameter: String, _ domain: Domain, study: Int64) throws {
    let text = try Self.json(domain)
    try write {
      try db.query(
        "INSERT INTO domains (study, name, domain) VALUES ($1, $2, $3) ON CONFLICT (study, name) DO NOTHING",
        [.integer(study), .text(parameter), .text(text)])
      let stored =
        try db.query("SELECT domain FROM domains WHERE study = $1 AND name = $2", [.integer(study), .text(parameter)])[
          0][0].string ?? ""
      guard stored == text else {
        let old = (try? JSONDecoder().decode(Domain.self, from: Data(stored.utf8)))?.description ?? stored
        throw TuningError.incompatible(
          study: try studyName(study), parameter: parameter, stored: old, given: domain.description)
      }
    }
  }

  public func domains(study: Int64) throws -> [String: Domain] {
    try read {
      var domains: [String: Domain] = [:]
      for row in try db.query("SELECT name, domain FROM domains WHERE study = $1", [.integer(study)]) {
        let name = row[0].string ?? ""
        domains[name] = try decode(Domain.self, row[1].string ?? "", "parameter \(name)'s domain")
      }
      return domains
    }
  }

  public func storeSettings(_ settings: String, study: Int64) throws {
    try write { try db.query("UPDATE studies SET settings = $1 WHERE id = $2", [.text(settings), .integer(study)]) }
  }

  public func settings(study: Int64) throws -> String? {
    try read { try db.query("SELECT settings FROM studies WHERE id = $1", [.integer(study)]).first?[0].string }
  }

  public func startTrial(
    study: Int64, target: Int, gridSize: Int?, device: String, owner: TrialOwner
  ) throws -> StartedTrial? {
    // The token finds this claim again when the connection drops after COMMIT was sent.
    let token = UUID().uuidString
    return try write {
      if let row = try db.query("SELECT id, number, grid_index FROM trials WHERE token = $1", [.text(token)]).first {
        return try started(row)
      }
      try db.query("UPDATE studies SET claims = claims + 1 WHERE id = $1", [.integer(study)])  // serializes claims
      let now = Date().timeIntervalSince1970
      let claim: [SQLValue] = [.text(device), .text(owner.host), .integer(Int64(owner.pid)), .real(now), .text(token)]
      if let waiting = try db.query(
        """
        SELECT id FROM trials WHERE study = $1 AND state = 'WAITING' ORDER BY number LIMIT 1
        """, [.integer(study)]
      ).first?[0].int {
        let row = try db.query(
          """
          UPDATE trials SET state = 'RUNNING', device = $1, host = $2, pid = $3, started = $4, heartbeat = $4,
          token = $5
          WHERE id = $6 RETURNING id, number, grid_index
          """, claim + [.integer(waiting)])[0]
        return try started(row)
      }
      let counted =
        try db.query(
          "SELECT count(*) FROM trials WHERE study = $1 AND lost = FALSE AND replaced = FALSE",
          [.integer(study)])[0][0].int ?? 0
      guard counted < target else { return nil }
      var gridIndex: Int?
      if let gridSize {
        let taken = Set(
          try db.query(
            """
            SELECT grid_index FROM trials WHERE study = $1 AND lost = FALSE AND replaced = FALSE AND grid_index
            IS NOT NULL
            """, [.integer(study)]
          ).compactMap { $0[0].int.map(Int.init) })
        guard let free = (0..<gridSize).first(where: { !taken.contains($0) }) else { return nil }
        gridIndex = free
      }
      let row = try db.query(
        """
        INSERT INTO trials (device, host, pid, started, heartbeat, token, study, number, state, grid_index)
        VALUES ($1, $2, $3, $4, $4, $5, $6, (SELECT coalesce(max(number) + 1, 0) FROM trials WHERE study = $6),
        'RUNNING', $7)
        RETURNING id, number, grid_index
        """, claim + [.integer(study), gridIndex.map { .integer(Int64($0)) } ?? .null])[0]
      return try started(row)
    }
  }

  /// A claimed trial, with the parameters it already holds (a retried one's).
  private func started(_ row: [SQLValue]) throws -> StartedTrial {
    let id = row[0].int ?? 0
    var fixed: [String: ParameterValue] = [:]
    for parameter in try db.query("SELECT name, value FROM parameters WHERE trial = $1", [.integer(id)]) {
      fixed[parameter[0].string ?? ""] = try JSONDecoder().decode(
        ParameterValue.self, from: Data((parameter[1].string ?? "").utf8))
    }
    return StartedTrial(
      id: id, number: try checked(row[1].int, "trial \(id)'s number"),
      gridIndex: try row[2].int.map { try checked($0, "trial \(id)'s grid index") }, parameters: fixed)
  }

  public func resumeTrial(study: Int64, number: Int, device: String, owner: TrialOwner) throws -> StartedTrial? {
    try write {
      let row = try db.query(
        """
        UPDATE trials SET state = 'RUNNING', device = $1, host = $2, pid = $3, heartbeat = $4, finished = NULL
        WHERE study = $5 AND number = $6 AND state = 'PAUSED' RETURNING id, number, grid_index
        """,
        [
          .text(device), .text(owner.host), .integer(Int64(owner.pid)), .real(Date().timeIntervalSince1970),
          .integer(study), .integer(Int64(number)),
        ]
      ).first
      return try row.map(started)
    }
  }

  public func enqueueTrial(study: Int64, parameters: [String: ParameterValue]) throws {
    let values = try parameters.sorted { $0.key < $1.key }.map { ($0.key, try Self.json($0.value)) }
    try write {
      try db.query("UPDATE studies SET claims = claims + 1 WHERE id = $1", [.integer(study)])
      let now = Date().timeIntervalSince1970
      let id = try db.query(
        """
        INSERT INTO trials (study, number, state, device, host, pid, started, heartbeat)
        VALUES ($1, (SELECT coalesce(max(number) + 1, 0) FROM trials WHERE study = $1), 'WAITING', '', '', 0, $2, $2)
        RETURNING id
        """, [.integer(study), .real(now)])[0][0]
      for (name, value) in values {
        try db.query(
          "INSERT INTO parameters (trial, name, value) VALUES ($1, $2, $3)", [id, .text(name), .text(value)])
      }
    }
  }

  public func pauseLostTrial(trial: Int64, step: Int, error: String) throws -> Bool {
    try write {
      let changed = try db.query(
        """
        UPDATE trials SET state = 'PAUSED', error = $1, finished = $2 WHERE id = $3 AND state = 'RUNNING'
        RETURNING id
        """, [.text(error), .real(Date().timeIntervalSince1970), .integer(trial)])
      guard !changed.isEmpty else { return false }
      try db.query("DELETE FROM intermediate WHERE trial = $1 AND step > $2", [.integer(trial), .integer(Int64(step))])
      return true
    }
  }

  public func prunePausedTrial(study: Int64, number: Int, error: String, artifactPrefix: String) throws -> Bool {
    try write {
      let changed = try db.query(
        """
        UPDATE trials SET state = 'PRUNED', error = $1 WHERE study = $2 AND number = $3 AND state = 'PAUSED'
        RETURNING id
        """,
        [.text(error), .integer(study), .integer(Int64(number))])
      guard let id = changed.first?[0] else { return false }
      // substr, not LIKE: a prefix's '_' or '%' would be a pattern.
      try db.query(
        "DELETE FROM artifacts WHERE trial = $1 AND substr(name, 1, $2) = $3",
        [id, .integer(Int64(artifactPrefix.count)), .text(artifactPrefix)])
      return true
    }
  }

  public func setParameter(trial: Int64, _ name: String, _ value: ParameterValue) throws {
    let text = try Self.json(value)
    try write {
      try db.query(
        """
        INSERT INTO parameters (trial, name, value) VALUES ($1, $2, $3) ON CONFLICT (trial, name) DO UPDATE SET
        value = excluded.value
        """, [.integer(trial), .text(name), .text(text)])
    }
  }

  public func report(trial: Int64, step: Int, value: Double, values: [Double]) throws {
    let objectives: SQLValue =
      values.isEmpty
      ? .null : .text(String(decoding: try JSONEncoder().encode(values.map { $0.isFinite ? $0 : nil }), as: UTF8.self))
    try write {
      try db.query(
        """
        INSERT INTO intermediate (trial, step, value, objective_values) VALUES ($1, $2, $3, $4)
        ON CONFLICT (trial, step) DO UPDATE SET value = excluded.value, objective_values = excluded.objective_values
        """, [.integer(trial), .integer(Int64(step)), .real(value), objectives])
      try db.query(
        "UPDATE trials SET heartbeat = $1 WHERE id = $2", [.real(Date().timeIntervalSince1970), .integer(trial)])
    }
  }

  public func heartbeat(trial: Int64) throws {
    try write {
      try db.query(
        "UPDATE trials SET heartbeat = $1 WHERE id = $2 AND state = 'RUNNING'",
        [.real(Date().timeIntervalSince1970), .integer(trial)])
    }
  }

  public func finish(
    trial: Int64, state: TrialState, value: Double?, values: [Double], constraints: [Double], foldValues: [Double],
    error: String?, lost: Bool, retryLimit: Int
  ) throws -> Bool {
    func json(_ numbers: [Double]) throws -> String {
      String(decoding: try JSONEncoder().encode(numbers.map { $0.isFinite ? $0 : nil }), as: UTF8.self)
    }
    let folds = try json(foldValues)
    let objectives: SQLValue = values.isEmpty ? .null : .text(try json(values))
    let limits: SQLValue = constraints.isEmpty ? .null : .text(try json(constraints))
    return try write {
      let changed = try db.query(
        """
        UPDATE trials SET state = $1, value = $2, fold_values = $3, error = $4, lost = $5, finished = $6,
        objective_values = $8, constraint_values = $9
        WHERE id = $7 AND state = 'RUNNING' RETURNING study, number, retry, grid_index
        """,
        [
          .text(state.rawValue), value.map { .real($0) } ?? .null, .text(folds), error.map { .text($0) } ?? .null,
          SQLValue(lost), .real(Date().timeIntervalSince1970), .integer(trial), objectives, limits,
        ])
      guard let row = changed.first else {
        // Already so: this transaction committed before its connection dropped, and runs again.
        let now = try db.query("SELECT state, lost, error FROM trials WHERE id = $1", [.integer(trial)]).first
        return now?[0].string == state.rawValue && now?[1].bool == lost && now?[2].string == error
      }
      let (study, retry) = (row[0].int ?? 0, row[2].int ?? 0)
      guard state == .failed, retry < retryLimit else { return true }
      // Re-queued with the same parameters (and grid point); the copy counts in its place.
      try db.query("UPDATE studies SET claims = claims + 1 WHERE id = $1", [.integer(study)])
      try db.query("UPDATE trials SET replaced = TRUE WHERE id = $1", [.integer(trial)])
      let now = Date().timeIntervalSince1970
      let copy = try db.query(
        """
        INSERT INTO trials (study, number, state, grid_index, device, host, pid, started, heartbeat, retry)
        VALUES ($1, (SELECT coalesce(max(number) + 1, 0) FROM trials WHERE study = $1), 'WAITING', $2, '', '',
        0, $3, $3, $4)
        RETURNING id
        """, [.integer(study), row[3], .real(now), .integer(retry + 1)])[0][0]
      try db.query(
        "INSERT INTO parameters (trial, name, value) "
          + "SELECT CAST($1 AS BIGINT), name, value FROM parameters WHERE trial = $2",
        [copy, .integer(trial)])
      return true
    }
  }

  public func storeArtifact(_ data: [UInt8], name: String, trial: Int64) throws {
    let text = Data(data).base64EncodedString()
    try write {
      try db.query(
        """
        INSERT INTO artifacts (trial, name, data) VALUES ($1, $2, $3) ON CONFLICT (trial, name) DO UPDATE SET
        data = excluded.data
        """, [.integer(trial), .text(name), .text(text)])
    }
  }

  public func removeArtifact(name: String, trial: Int64) throws {
    try write { try db.query("DELETE FROM artifacts WHERE trial = $1 AND name = $2", [.integer(trial), .text(name)]) }
  }

  public func artifact(name: String, study: Int64, number: Int) throws -> [UInt8]? {
    let text = try read {
      try db.query(
        """
        SELECT a.data FROM artifacts a JOIN trials t ON t.id = a.trial
        WHERE t.study = $1 AND t.number = $2 AND a.name = $3
        """, [.integer(study), .integer(Int64(number)), .text(name)]
      ).first?[0].string
    }
    guard let text else { return nil }
    guard let data = Data(base64Encoded: text) else {
      throw TuningError.storage(path: location, reason: "trial \(number)'s \(name) is damaged: not base64")
    }
    return [UInt8](data)
  }

  public func trials(study: Int64) throws -> [TrialRecord] {
    try read {
      let rows = try db.query(
        """
        SELECT id, number, state, value, fold_values, grid_index, device, started, finished, error, lost,
        retry, replaced, objective_values, constraint_values
        FROM trials WHERE study = $1 ORDER BY number
        """, [.integer(study)])
      var parameters: [Int64: [String: ParameterValue]] = [:]
      for row in try db.query(
        """
        SELECT p.trial, p.name, p.value FROM parameters p JOIN trials t ON t.id = p.trial WHERE t.study = $1
        """, [.integer(study)])
      {
        guard let id = row[0].int, let name = row[1].string, let text = row[2].string else { continue }
        parameters[id, default: [:]][name] = try decode(ParameterValue.self, text, "trial \(id)'s parameter \(name)")
      }
      var intermediate: [Int64: [Int: Double]] = [:]
      var vectors: [Int64: [Int: [Double]]] = [:]
      for row in try db.query(
        """
        SELECT i.trial, i.step, i.value, i.objective_values FROM intermediate i JOIN trials t ON t.id = i.trial
        WHERE t.study = $1
        """, [.integer(study)])
      {
        guard let id = row[0].int, let step = row[1].int else { continue }
        let number = try checked(step, "trial \(id)'s intermediate step")
        intermediate[id, default: [:]][number] = row[2].double ?? .nan
        if let text = row[3].string {
          vectors[id, default: [:]][number] = try decode(
            [Double?].self, text, "trial \(id)'s intermediate objective values at step \(number)"
          ).map { $0 ?? .nan }
        }
      }
      return try rows.map { row in
        let id = row[0].int ?? 0
        let folds = try decode([Double?].self, row[4].string ?? "[]", "trial \(id)'s fold values").map { $0 ?? .nan }
        let values = try decode([Double?].self, row[13].string ?? "[]", "trial \(id)'s objective values").map {
          $0 ?? .nan
        }
        let constraints = try decode([Double?].self, row[14].string ?? "[]", "trial \(id)'s constraint values").map {
          $0 ?? .nan
        }
        guard let state = TrialState(rawValue: row[2].string ?? "") else {
          throw TuningError.storage(
            path: location, reason: "trial \(id)'s state \"\(row[2].string ?? "NULL")\" is not a trial state")
        }
        return TrialRecord(
          number: try checked(row[1].int, "trial \(id)'s number"), state: state,
          parameters: parameters[id] ?? [:], value: row[3].double, foldValues: folds,
          intermediate: intermediate[id] ?? [:], device: row[6].string ?? "",
          started: Date(timeIntervalSince1970: row[7].double ?? 0),
          finished: row[8].double.map { Date(timeIntervalSince1970: $0) }, error: row[9].string,
          gridIndex: try row[5].int.map { try checked($0, "trial \(id)'s grid index") }, lost: row[10].bool,
          retry: try checked(row[11].int, "trial \(id)'s retry count"), replaced: row[12].bool, values: values,
          constraints: constraints, intermediateValues: vectors[id] ?? [:])
      }
    }
  }

  /// A count or index read from the store, which is input like a file: a whole number from 0 to
  /// 2³¹ − 1, else an error naming `field`.
  private func checked(_ value: Int64?, _ field: String) throws -> Int {
    guard let value, (0...Int64(Int32.max)).contains(value) else {
      throw TuningError.storage(
        path: location, reason: "\(field) is \(value.map(String.init) ?? "NULL"), not a whole number from 0 to 2^31 - 1"
      )
    }
    return Int(value)
  }

  /// JSON text read from the store, decoded, or an error naming `field`.
  private func decode<T: Decodable>(_ type: T.Type, _ text: String, _ field: String) throws -> T {
    do {
      return try JSONDecoder().decode(type, from: Data(text.utf8))
    } catch {
      throw TuningError.storage(path: location, reason: "\(field) is damaged: \(text.prefix(80)) is not its JSON")
    }
  }

  public func runningTrials(study: Int64) throws -> [(id: Int64, number: Int, owner: TrialOwner, heartbeat: Date)] {
    try read {
      try db.query(
        "SELECT id, number, host, pid, heartbeat FROM trials WHERE study = $1 AND state = 'RUNNING'", [.integer(study)]
      )
      .map { row in
        (
          id: row[0].int ?? 0, number: try checked(row[1].int, "a running trial's number"),
          owner: TrialOwner(host: row[2].string ?? "", pid: Int32(truncatingIfNeeded: row[3].int ?? 0)),
          heartbeat: Date(timeIntervalSince1970: row[4].double ?? 0)
        )
      }
    }
  }

  public func studies() throws -> [(id: Int64, name: String, directions: [Direction])] {
    try read {
      try db.query("SELECT id, name, direction FROM studies ORDER BY id").map { row in
        let (name, text) = (row[1].string ?? "", row[2].string ?? "NULL")
        let directions = text.split(separator: ",", omittingEmptySubsequences: false).map {
          Direction(rawValue: String($0))
        }
        guard !directions.isEmpty, directions.allSatisfy({ $0 != nil }) else {
          throw TuningError.storage(
            path: location, reason: "study '\(name)''s direction \"\(text.prefix(80))\" is not minimize or maximize")
        }
        return (row[0].int ?? 0, name, directions.map { $0! })
      }
    }
  }

  static func json(_ value: some Encodable) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    return String(decoding: try encoder.encode(value), as: UTF8.self)
  }
}
