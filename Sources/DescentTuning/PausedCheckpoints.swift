import Descent

extension Study {
  /// Bounds the checkpoints a study with ``pausing`` holds: keeps those of at most `limit` PAUSED
  /// trials and prunes the others — PRUNED, their checkpoints (the artifacts named
  /// ``Trial/checkpointPrefix``…) deleted, their models and validation predictions kept for
  /// ensembles. Pruned first are those furthest from a promotion: ranked worst at the step they
  /// paused after, as a fraction of the trials with a value there (ASHA promotes the best fraction
  /// of each rung), then the lower step, then the older trial. Safe beside other workers: a trial
  /// promoted meanwhile is left alone. Returns the numbers of the trials it pruned.
  /// - Throws: ``ConfigurationError`` for a negative `limit`; storage errors.
  @discardableResult
  public func prunePaused(keeping limit: Int) throws -> [Int] {
    try prunePaused(keeping: limit, history: try trials())
  }

  /// As ``prunePaused(keeping:)``, judging by `history`, the study's trials as just read.
  func prunePaused(keeping limit: Int, history: [TrialRecord]) throws -> [Int] {
    try ConfigurationError.require(limit >= 0, "limit", limit, ">= 0")
    let paused = history.filter { $0.state == .paused && $0.lastStep != nil }
    guard paused.count > limit else { return [] }
    let ranked = paused.map { trial in (trial, Self.standing(of: trial, among: history, direction)) }
      .sorted { a, b in
        if a.1.fraction != b.1.fraction { return a.1.fraction < b.1.fraction }
        if a.0.lastStep! != b.0.lastStep! { return a.0.lastStep! > b.0.lastStep! }
        return a.0.number > b.0.number
      }
    var pruned: [Int] = []
    for (trial, standing) in ranked.dropFirst(limit) {
      let why =
        "paused after step \(trial.lastStep!) ranked \(standing.rank) of \(standing.count) there; pruned to keep "
        + "at most \(limit) paused trials' checkpoints"
      if try storage.prunePausedTrial(
        study: id, number: trial.number, error: why, artifactPrefix: Trial.checkpointPrefix)
      {
        pruned.append(trial.number)
      }
    }
    return pruned
  }

  /// Where `trial`'s value at its last step ranks among the values the study's trials reported
  /// there: 1 + the number of better ones, of how many, and that rank as a fraction of them (a
  /// NaN ranks last).
  static func standing(
    of trial: TrialRecord, among history: [TrialRecord], _ direction: Direction
  ) -> (rank: Int, count: Int, fraction: Double) {
    let step = trial.lastStep!
    let values = history.compactMap { $0.intermediate[step] }.filter { !$0.isNaN }
    guard let mine = trial.intermediate[step], !mine.isNaN else {
      return (values.count + 1, values.count + 1, .infinity)
    }
    let rank = 1 + values.count { direction.isBetter($0, than: mine) }
    return (rank, values.count, Double(rank) / Double(values.count))
  }
}
