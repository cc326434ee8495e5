import Synchronization

extension TrialRecord {
  /// `trials` in the order they finished (a trial with no finish time by its start), ties by
  /// number: the order in which every worker, on any machine, sees the same results.
  static func inFinishOrder(_ trials: [TrialRecord]) -> [TrialRecord] {
    trials.sorted { a, b in
      let (x, y) = (a.finished ?? a.started, b.finished ?? b.started)
      return x != y ? x < y : a.number < b.number
    }
  }
}

/// A sampler's state built by feeding a study's finished trials one by one in the order they
/// finished (CMA-ES's generations, NSGA-II's parents). The last replay is kept and extended while
/// the trials it used are still the first ones in that order; otherwise (another key, a result
/// that finished earlier than ones already used) it replays from the start.
final class FinishOrderReplay<Key: Equatable & Sendable, State: Sendable>: Sendable {
  private let last = Mutex<(key: Key, state: State, used: [Int])?>(nil)

  /// The state after every trial of `trials` (in finish order): `start` for an empty one, then
  /// `add` for each trial; and the trials' numbers in the order added.
  func replay(
    _ key: Key, _ trials: [TrialRecord], start: () -> State, add: (inout State, TrialRecord) -> Void
  ) -> (state: State, used: [Int]) {
    let ordered = TrialRecord.inFinishOrder(trials)
    return last.withLock { last in
      var (state, used) = (start(), [Int]())
      if let kept = last, kept.key == key, kept.used.count <= ordered.count,
        zip(kept.used, ordered).allSatisfy({ $0 == $1.number })
      {
        (state, used) = (kept.state, kept.used)
      }
      for trial in ordered.dropFirst(used.count) {
        add(&state, trial)
        used.append(trial.number)
      }
      last = (key, state, used)
      return (state, used)
    }
  }
}
