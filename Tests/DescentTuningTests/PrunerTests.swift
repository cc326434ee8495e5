@testable import DescentTuning
import Foundation
import Testing

/// Pruners on scripted learning curves, decisions worked out by hand.
struct PrunerTests {
  static func trial(_ number: Int, _ curve: [Double], state: TrialState = .complete) -> TrialRecord {
    TrialRecord(
      number: number, state: state, parameters: [:], value: state == .complete ? curve.last : nil, foldValues: [],
      intermediate: Dictionary(uniqueKeysWithValues: curve.enumerated().map { ($0 + 1, $1) }), device: "cpu",
      started: Date(), finished: nil, error: nil, gridIndex: nil, lost: false)
  }

  /// `timeout` stops running trials too, not only new ones: an objective that would run forever
  /// stops at its first pruning check past the deadline, stored PRUNED with why (issue 31).
  @Test func theTimeoutStopsRunningTrials() throws {
    let storage = try SQLiteStorage(path: try TestStudies.folder() + "/study.sqlite")
    let study = try Study(storage: storage, direction: .maximize, sampler: RandomSampler(seed: 3))
    try study.optimize(trials: 10, timeout: 0.5, devices: ["cpu", "cpu"]) { trial, _ in
      let x = try trial.suggestFloat("x", 0, 1)
      for step in 1... {
        usleep(20_000)
        try trial.report(x, step: step)
        if try trial.shouldPrune { throw TrialPruned(step: step) }
      }
      return x
    }
    let trials = try study.trials()
    #expect(trials.count == 2, "one trial per worker, each stopped at the deadline")
    for trial in trials {
      #expect(trial.state == .pruned && trial.error?.hasPrefix("stopped at the study's timeout after step") == true)
      #expect((trial.lastStep ?? 0) >= 1)
    }
  }

  /// With `runningUntil`, the timeout only stops new trials: a running trial goes on past it and
  /// is stopped from `runningUntil` on (here it runs 0.5 s past a 0.2 s timeout).
  @Test func runningTrialsMayGoOnUntilRunningUntil() throws {
    let storage = try SQLiteStorage(path: try TestStudies.folder() + "/study.sqlite")
    let study = try Study(storage: storage, direction: .maximize, sampler: RandomSampler(seed: 3))
    let started = Date()
    try study.optimize(trials: 10, timeout: 0.2, runningUntil: started.addingTimeInterval(0.7)) { trial, _ in
      let x = try trial.suggestFloat("x", 0, 1)
      for step in 1... {
        usleep(20_000)
        try trial.report(x, step: step)
        if try trial.shouldPrune { throw TrialPruned(step: step) }
      }
      return x
    }
    let trials = try study.trials()
    #expect(trials.count == 1 && trials[0].state == .pruned)
    #expect(try #require(trials[0].finished).timeIntervalSince(started) >= 0.7)
  }

  /// Holds every trial but trial 1 at its step 1 until trial 1 has reported step 5.
  struct HoldUntilTrialOneReachesStep5: Pruner {
    func shouldPrune(_ trial: TrialRecord, history: [TrialRecord], direction: Direction) -> Bool {
      trial.number != 1 && history.first { $0.number == 1 }?.intermediate[5] == nil
    }
  }

  /// Between the timeout and `runningUntil` no trial starts, but a worker whose trial ended
  /// promotes PAUSED trials: trials 0 and 2 pause at step 1 while trial 1 is short of step 5, and
  /// complete from step 2 only after the 0.3 s timeout.
  @Test func pausedTrialsArePromotedUntilRunningUntil() throws {
    try Self.promotedAfterTheTimeout(HoldUntilTrialOneReachesStep5())
  }

  /// Three trials on two workers, a 0.3 s timeout and `runningUntil` 3 s away: trial 1 takes ten
  /// 0.1 s steps, the others three of 0.01 s, each pausing when `pruner` says so; all must
  /// complete, trials 0 and 2 with every step and finished only after the timeout.
  static func promotedAfterTheTimeout(_ pruner: any Pruner) throws {
    let storage = try SQLiteStorage(path: try TestStudies.folder() + "/study.sqlite")
    let study = try Study(
      storage: storage, direction: .maximize, sampler: RandomSampler(seed: 3), pruner: pruner, pausing: true)
    let started = Date()
    try study.optimize(
      trials: 3, timeout: 0.3, runningUntil: started.addingTimeInterval(3), devices: ["cpu", "cpu"]
    ) { trial, _ in
      let x = try trial.suggestFloat("x", 0, 1)
      let steps = trial.number == 1 ? 10 : 3
      for step in (trial.resumedStep ?? 0) + 1...steps {
        usleep(trial.number == 1 ? 100_000 : 10_000)
        try trial.report(x, step: step)
        if step < steps, try trial.shouldPrune { throw TrialPaused(step: step) }
      }
      return x
    }
    let trials = try study.trials()
    #expect(trials.count == 3 && trials.allSatisfy { $0.state == .complete }, "\(trials.map(\.state))")
    for trial in trials where trial.number != 1 {
      #expect(trial.intermediate.keys.sorted() == [1, 2, 3])
      #expect(
        try #require(trial.finished).timeIntervalSince(started) > 0.3,
        "trial \(trial.number) went on before the timeout")
    }
  }

  struct HoldAllButTrialOne: Pruner {
    func shouldPrune(_ trial: TrialRecord, history: [TrialRecord], direction: Direction) -> Bool {
      trial.number != 1
    }
  }

  /// Past the timeout, a worker the pruner gives nothing to promotes the paused trial with the
  /// most steps anyway (never before the timeout): trials 0 and 2, which the pruner pauses at
  /// every step, complete from step 2 after the 0.3 s timeout while trial 1 runs for a second.
  @Test func pastTheTimeoutPausedTrialsGoOnWhenTheWorkersHaveNothingElse() throws {
    try Self.promotedAfterTheTimeout(HoldAllButTrialOne())
    // Without runningUntil, the timeout ends the study with them paused.
    let plain = try Study(
      storage: try SQLiteStorage(path: try TestStudies.folder() + "/study.sqlite"), direction: .maximize,
      sampler: RandomSampler(seed: 3), pruner: HoldAllButTrialOne(), pausing: true)
    try plain.optimize(trials: 3, timeout: 0.3, devices: ["cpu", "cpu"]) { trial, _ in
      let x = try trial.suggestFloat("x", 0, 1)
      for step in (trial.resumedStep ?? 0) + 1...3 {
        usleep(10_000)
        try trial.report(x, step: step)
        if step < 3, try trial.shouldPrune { throw TrialPaused(step: step) }
      }
      return x
    }
    #expect(try plain.trials().map(\.state) == [.paused, .complete, .paused])
  }

  @Test func medianPrunesBelowTheMedianOfCompleteTrials() throws {
    // Losses (minimize) of three complete trials: medians per step are 0.8, 0.6, 0.5.
    let history = [Self.trial(0, [0.9, 0.7, 0.5]), Self.trial(1, [0.8, 0.6, 0.4]), Self.trial(2, [0.7, 0.5, 0.6])]
    let pruner = try MedianPruner(startupTrials: 3, warmupSteps: 1, interval: 1)
    // step 1 is warm-up: never pruned, however bad
    #expect(!pruner.shouldPrune(Self.trial(3, [5.0], state: .running), history: history, direction: .minimize))
    // step 2: best so far 0.65 > median 0.6 → prune; 0.55 → keep
    #expect(pruner.shouldPrune(Self.trial(3, [0.9, 0.65], state: .running), history: history, direction: .minimize))
    #expect(!pruner.shouldPrune(Self.trial(3, [0.9, 0.55], state: .running), history: history, direction: .minimize))
    // the best value so far counts, not the last: 0.55 at step 2, then 0.9 at step 3 (median 0.5) → prune; 0.45 → keep
    #expect(
      pruner.shouldPrune(Self.trial(3, [0.9, 0.55, 0.9], state: .running), history: history, direction: .minimize))
    #expect(
      !pruner.shouldPrune(Self.trial(3, [0.9, 0.45, 0.9], state: .running), history: history, direction: .minimize))
    // maximize: accuracies below the median are pruned
    #expect(pruner.shouldPrune(Self.trial(3, [0.5, 0.55], state: .running), history: history, direction: .maximize))
    #expect(!pruner.shouldPrune(Self.trial(3, [0.5, 0.65], state: .running), history: history, direction: .maximize))
    // fewer complete trials than startupTrials: no pruning; running and pruned trials do not count
    let early = [history[0], history[1], Self.trial(2, [0.1, 0.1], state: .running)]
    #expect(!pruner.shouldPrune(Self.trial(3, [0.9, 0.99], state: .running), history: early, direction: .minimize))
    // interval 2 after warm-up 1: judged at steps 2, 4, … only
    let sparse = try MedianPruner(startupTrials: 1, warmupSteps: 1, interval: 2)
    #expect(sparse.shouldPrune(Self.trial(3, [0.9, 0.99], state: .running), history: history, direction: .minimize))
    #expect(
      !sparse.shouldPrune(Self.trial(3, [0.9, 0.99, 0.99], state: .running), history: history, direction: .minimize))
    // NaN prunes
    #expect(pruner.shouldPrune(Self.trial(3, [0.9, .nan], state: .running), history: history, direction: .minimize))
  }

  @Test func successiveHalvingKeepsTheTopQuarterAtEachRung() throws {
    let pruner = try SuccessiveHalvingPruner(minimumResource: 1, reductionFactor: 4)
    #expect(pruner.rungs(upTo: 20) == [1, 4, 16])
    // The first trials at a rung always continue (fewer than 2·4 competitors: the best one decides).
    #expect(!pruner.shouldPrune(Self.trial(0, [0.5], state: .running), history: [], direction: .maximize))
    // Eight earlier accuracies at step 1; with the new one 9 competitors → the 2nd best (0.8) is the bar.
    let history = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2].enumerated().map { Self.trial($0, [$1], state: .pruned) }
    #expect(!pruner.shouldPrune(Self.trial(8, [0.85], state: .running), history: history, direction: .maximize))
    #expect(!pruner.shouldPrune(Self.trial(8, [0.8], state: .running), history: history, direction: .maximize))
    #expect(pruner.shouldPrune(Self.trial(8, [0.75], state: .running), history: history, direction: .maximize))
    // Steps between rungs are never judged.
    #expect(!pruner.shouldPrune(Self.trial(8, [0.85, 0.01], state: .running), history: history, direction: .maximize))
    // Minimize: losses; the bar is the 2nd lowest.
    #expect(pruner.shouldPrune(Self.trial(8, [0.85], state: .running), history: history, direction: .minimize))
    #expect(!pruner.shouldPrune(Self.trial(8, [0.3], state: .running), history: history, direction: .minimize))
    #expect(throws: Error.self) { try SuccessiveHalvingPruner(reductionFactor: 1) }
  }

  /// The study's first trials (its starting points) are never stopped; later ones are judged as
  /// the base pruner judges them, against the spared trials' values too.
  @Test func sparingKeepsTheFirstTrialsAndJudgesTheRestAsItsBase() throws {
    let asha = try SuccessiveHalvingPruner(minimumResource: 1, reductionFactor: 4)
    let pruner = SparingPruner(asha, sparing: 2)
    let history = [Self.trial(0, [0.9], state: .paused), Self.trial(2, [0.7], state: .pruned)]
    // Trial 1 at 0.5 after epoch 1: ASHA stops it (trial 0's 0.9 is the bar), the sparing pruner does not.
    let low = Self.trial(1, [0.5], state: .running)
    #expect(asha.shouldPrune(low, history: history, direction: .maximize))
    #expect(!pruner.shouldPrune(low, history: history, direction: .maximize))
    // Trial 3 at 0.5 is stopped by both; at 0.95 by neither (the spared trial's 0.9 is still compared).
    for (value, stops) in [(0.5, true), (0.95, false), (0.85, true)] {
      let trial = Self.trial(3, [value], state: .running)
      #expect(pruner.shouldPrune(trial, history: history, direction: .maximize) == stops, "trial 3 at \(value)")
    }
    #expect(!pruner.handlesSeveralObjectives)
    #expect(SparingPruner(try ParetoPruner(directions: [.maximize, .minimize]), sparing: 1).handlesSeveralObjectives)
  }
}
