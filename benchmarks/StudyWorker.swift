import DescentTuning
import Foundation
import Synchronization

/// `descent-benchmarks study-worker LOCATION STUDY TRIALS`: one worker process of the study
/// storage benchmark (benchmarks/storage.sh). It joins study STUDY in LOCATION (a PostgreSQL URL
/// or an SQLite path) and runs trials of a trivial objective (two floats, random sampler) until
/// the study holds TRIALS, so the time is what the store costs per trial: claiming it, storing
/// its two parameters, finishing it and reading the study. Prints one JSON line: the wall-clock
/// times of its first claim and its last finish, its trials and the failed ones among them.
enum StudyWorker {
  static func run(_ arguments: [String]) throws {
    guard arguments.count == 3, let total = Int(arguments[2]), total > 0 else {
      FileHandle.standardError.write(Data("usage: descent-benchmarks study-worker LOCATION STUDY TRIALS\n".utf8))
      exit(64)
    }
    let study = try Study(
      name: arguments[1], storage: try studyStorage(arguments[0]), direction: .minimize,
      sampler: RandomSampler(seed: 1))
    let tally = Tally()
    let start = Date().timeIntervalSince1970
    try study.optimize(trials: total, onTrialFinished: { record, _ in tally.add(failed: record.state == .failed) }) {
      trial, _ in
      let x = try trial.suggestFloat("x", -10, 10)
      let y = try trial.suggestFloat("y", -10, 10)
      return x * x + y
    }
    let (trials, failed, end) = tally.totals
    print(#"{"start": \#(start), "end": \#(end ?? start), "trials": \#(trials), "failed": \#(failed)}"#)
  }

  final class Tally: Sendable {
    private let counts = Mutex<(trials: Int, failed: Int, end: Double?)>((0, 0, nil))
    func add(failed isFailed: Bool) {
      counts.withLock {
        $0.trials += 1
        $0.failed += isFailed ? 1 : 0
        $0.end = Date().timeIntervalSince1970
      }
    }
    var totals: (Int, Int, Double?) { counts.withLock { ($0.trials, $0.failed, $0.end) } }
  }
}
