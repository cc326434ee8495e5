import Foundation

/// Where studies live: every state change of every trial, shared by all processes that open the
/// same store. ``SQLiteStorage`` is one file on one machine; each operation is one transaction.
public protocol StudyStorage: AnyObject, Sendable {
  /// A printable location (a path, a URL without its password).
  var location: String { get }
  /// Opens study `name`, creating it with `direction` if it is new.
  /// - Throws: ``TuningError/incompatible(study:parameter:stored:given:)`` for another direction.
  func openStudy(_ name: String, direction: Direction) throws -> Int64
  /// Records that `study` uses `parameter` with `domain`, or checks it against the stored one.
  /// - Throws: ``TuningError/incompatible(study:parameter:stored:given:)`` naming the parameter.
  func register(_ parameter: String, _ domain: Domain, study: Int64) throws
  /// In one transaction: unless `target` trials (lost ones not counted) already exist, creates a
  /// RUNNING trial with the next number; for grid search (`gridSize` points) it also claims the
  /// lowest grid point no live trial holds, and creates nothing when none is left.
  func startTrial(study: Int64, target: Int, gridSize: Int?, device: String, owner: TrialOwner) throws -> StartedTrial?
  func setParameter(trial: Int64, _ name: String, _ value: ParameterValue) throws
  /// Stores an intermediate value and refreshes the heartbeat.
  func report(trial: Int64, step: Int, value: Double) throws
  func heartbeat(trial: Int64) throws
  /// Ends a RUNNING trial; returns false (changing nothing) when it is no longer RUNNING.
  @discardableResult
  func finish(trial: Int64, state: TrialState, value: Double?, foldValues: [Double], error: String?, lost: Bool) throws -> Bool
  /// Every trial of the study, by number, read in one consistent snapshot.
  func trials(study: Int64) throws -> [TrialRecord]
  /// The RUNNING trials with who runs them and their last heartbeat.
  func runningTrials(study: Int64) throws -> [(id: Int64, number: Int, owner: TrialOwner, heartbeat: Date)]
  /// The stored studies' names and directions, oldest first.
  func studies() throws -> [(name: String, direction: Direction)]
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
}
