import Foundation

/// The seed of a test whose schedule is random (when to kill a process, which trial to damage): a
/// new one each run, or `DESCENT_TEST_SEED` to replay one. Such a test draws from a
/// ``Mutator`` seeded with it and names ``TestSeed/replay`` in each failure message.
public enum TestSeed {
  /// `DESCENT_TEST_SEED` when set, else drawn from the system's generator.
  public static func make() -> UInt64 {
    ProcessInfo.processInfo.environment["DESCENT_TEST_SEED"].flatMap { UInt64($0) }
      ?? UInt64.random(in: 0...UInt64.max)
  }

  /// What to put in a failure message so it can be replayed: "seed N (DESCENT_TEST_SEED=N replays it)".
  public static func replay(_ seed: UInt64) -> String { "seed \(seed) (DESCENT_TEST_SEED=\(seed) replays it)" }
}
