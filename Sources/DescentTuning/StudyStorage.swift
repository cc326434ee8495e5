import Foundation

/// Where studies live: every state change of every trial, shared by all processes that open the
/// same store. ``SQLiteStorage`` is one file on one machine, ``PostgreSQLStorage`` a server for
/// many; each operation is one transaction.
public protocol StudyStorage: AnyObject, Sendable {
  /// A printable location (a path, a URL without its password).
  var location: String { get }
  /// Opens study `name`, creating it with `directions` (one per objective) if it is new.
  /// - Throws: ``TuningError/incompatible(study:parameter:stored:given:)`` for other directions.
  func openStudy(_ name: String, directions: [Direction]) throws -> Int64
  /// Records that `study` uses `parameter` with `domain`, or checks it against the stored one.
  /// - Throws: ``TuningError/incompatible(study:parameter:stored:given:)`` naming the parameter.
  func register(_ parameter: String, _ domain: Domain, study: Int64) throws
  /// Every parameter's domain the study holds, by name.
  func domains(study: Int64) throws -> [String: Domain]
  /// The study's settings as its creator stored them (`descent tune` keeps its options here, so
  /// workers that join need none), or nil.
  func settings(study: Int64) throws -> String?
  func storeSettings(_ settings: String, study: Int64) throws
  /// In one transaction: claims the oldest WAITING (re-queued) trial, or, unless `target` trials
  /// (lost and re-queued ones not counted) already exist, creates a RUNNING trial with the next
  /// number; for grid search (`gridSize` points) it also claims the lowest grid point no live
  /// trial holds, and creates nothing when none is left.
  func startTrial(study: Int64, target: Int, gridSize: Int?, device: String, owner: TrialOwner) throws -> StartedTrial?
  /// Claims PAUSED trial `number` of `study` to continue it (RUNNING again, with its parameters);
  /// nil when it is no longer PAUSED (another worker claimed it first).
  func resumeTrial(study: Int64, number: Int, device: String, owner: TrialOwner) throws -> StartedTrial?
  /// Adds a WAITING trial holding `parameters` (it is claimed before any new trial, and suggests
  /// these values for the parameters it holds).
  func enqueueTrial(study: Int64, parameters: [String: ParameterValue]) throws
  /// Returns a RUNNING trial whose process is gone to PAUSED at `step` (the step its kept
  /// checkpoint holds), dropping the values it reported after it and storing `error` as why;
  /// false (changing nothing) when it is no longer RUNNING.
  func pauseLostTrial(trial: Int64, step: Int, error: String) throws -> Bool
  /// Ends PAUSED trial `number` of `study` as PRUNED, storing `error` as why, and deletes its
  /// artifacts whose names start with `artifactPrefix` (its checkpoints), in one transaction;
  /// false (changing nothing) when it is no longer PAUSED (a worker promoted it first).
  func prunePausedTrial(study: Int64, number: Int, error: String, artifactPrefix: String) throws -> Bool
  func setParameter(trial: Int64, _ name: String, _ value: ParameterValue) throws
  /// Stores an intermediate value (with `values`, each objective's in a study of several) and
  /// refreshes the heartbeat.
  func report(trial: Int64, step: Int, value: Double, values: [Double]) throws
  func heartbeat(trial: Int64) throws
  /// Ends a RUNNING trial; returns false (changing nothing) when it is no longer RUNNING. A FAILED
  /// trial retried fewer than `retryLimit` times is re-queued in the same transaction: a WAITING
  /// copy with its parameters (and grid point) takes its place in the count. `values` and
  /// `constraints` are a study with several objectives' results (``TrialRecord/values``).
  @discardableResult
  func finish(
    trial: Int64, state: TrialState, value: Double?, values: [Double], constraints: [Double], foldValues: [Double],
    error: String?, lost: Bool, retryLimit: Int
  ) throws -> Bool
  /// Stores `data` as the trial's artifact `name`, replacing one of that name: what is kept of a
  /// trial beyond its values (``Trial/keep(_:as:)``: its models and validation predictions).
  func storeArtifact(_ data: [UInt8], name: String, trial: Int64) throws
  /// Removes the trial's artifact `name`, if it has one.
  func removeArtifact(name: String, trial: Int64) throws
  /// The artifact `name` of trial `number` of `study`, or nil.
  func artifact(name: String, study: Int64, number: Int) throws -> [UInt8]?
  /// Every trial of the study, by number, read in one consistent snapshot.
  func trials(study: Int64) throws -> [TrialRecord]
  /// The RUNNING trials with who runs them and their last heartbeat.
  func runningTrials(study: Int64) throws -> [(id: Int64, number: Int, owner: TrialOwner, heartbeat: Date)]
  /// The stored studies, oldest first, with their objectives' directions.
  func studies() throws -> [(id: Int64, name: String, directions: [Direction])]
}

extension StudyStorage {
  /// Opens study `name` of one objective (``openStudy(_:directions:)``).
  public func openStudy(_ name: String, direction: Direction) throws -> Int64 {
    try openStudy(name, directions: [direction])
  }
}

/// The process that runs a trial: a lost trial is one whose process is gone.
public struct TrialOwner: Sendable, Equatable {
  public var host: String
  public var pid: Int32

  /// This process.
  public static var current: TrialOwner {
    TrialOwner(host: ProcessInfo.processInfo.hostName, pid: getpid())
  }
}

/// What ``StudyStorage/startTrial(study:target:gridSize:device:owner:)`` created.
public struct StartedTrial: Sendable {
  public var id: Int64
  public var number: Int
  public var gridIndex: Int?
  /// The parameters a re-queued trial keeps from the attempt that failed.
  public var parameters: [String: ParameterValue] = [:]
}
