import Descent
@testable import DescentTuning
import Foundation
import Testing

/// A study with ``Study/pausedLimit`` keeps the checkpoints of at most that many PAUSED trials: the
/// others are PRUNED with their checkpoints deleted, those furthest from a promotion first.
struct PausedLimitTests {
  /// Five trials on one worker (maximized), each keeping a checkpoint, the paused step and a model
  /// as `descent tune`'s do (trial 3 also keeps "checkpoint-notes", not a checkpoint):
  ///
  ///     trial  step 1  step 2  ends         rank where it paused  fraction
  ///     0      0.9     0.95    COMPLETE
  ///     1      0.5             PAUSED at 1  4 of 5                0.8
  ///     2      0.7             PAUSED at 1  3 of 5                0.6
  ///     3      0.3             PAUSED at 1  5 of 5                1.0
  ///     4      0.8     0.6     PAUSED at 2  2 of 2                1.0
  ///
  /// Kept by fraction, ties by the higher step: 2, 1, 4, 3. Keeping two prunes 4 and 3 — not 3 and 1
  /// (the lowest step first), 1 and 3 (the raw value), or 1 and 3 (the rank, not its fraction).
  static func run(_ study: Study) throws {
    let table: [Int: [Double]] = [0: [0.9, 0.95], 1: [0.5], 2: [0.7], 3: [0.3], 4: [0.8, 0.6]]
    try study.optimize(trials: 5) { trial, _ in
      let values = table[trial.number]!
      for (index, value) in values.enumerated() { try trial.report(value, step: index + 1) }
      guard trial.number != 0 else { return values.last! }
      try trial.keep([1, 2, 3], as: Trial.checkpointName(fold: 0))
      try trial.keep(Array("\(values.count)".utf8), as: Trial.pausedStepName)
      try trial.keep([4], as: "model.0")
      if trial.number == 3 { try trial.keep([5], as: "checkpoint-notes") }
      throw TrialPaused(step: values.count)
    }
  }

  static func makeStudy(_ kind: String, limit: Int?) throws -> Study {
    let storage = try TestStudies.storages.first { $0.name == kind }!.make()
    // A pruner that lets no paused trial go on: the table alone decides where trials stop.
    return try Study(
      storage: storage, direction: .maximize, sampler: RandomSampler(seed: 1), pruner: StudyEnsembleTests.AlwaysPrune(),
      pausing: true, pausedLimit: limit)
  }

  @Test(arguments: TestStudies.storages.map(\.name))
  func thoseFurthestFromAPromotionLoseTheirCheckpoints(kind: String) throws {
    let study = try Self.makeStudy(kind, limit: nil)
    try Self.run(study)
    #expect(try study.trials().map(\.state) == [.complete, .paused, .paused, .paused, .paused])
    #expect(try study.prunePaused(keeping: 2) == [4, 3])
    let trials = try study.trials()
    #expect(trials.map(\.state) == [.complete, .paused, .paused, .pruned, .pruned])
    #expect(trials[3].error?.contains("paused after step 1 ranked 5 of 5 there") == true)
    #expect(trials[4].error?.contains("paused after step 2 ranked 2 of 2 there") == true)
    #expect(trials[4].error?.contains("at most 2 paused trials' checkpoints") == true)
    for number in 1...4 {
      let kept = number <= 2
      #expect(try study.artifact(Trial.checkpointName(fold: 0), trial: number) == (kept ? [1, 2, 3] : nil))
      #expect((try study.artifact(Trial.pausedStepName, trial: number) != nil) == kept)
      #expect(try study.artifact("model.0", trial: number) == [4], "models stay: ensembles choose from them")
    }
    #expect(try study.artifact("checkpoint-notes", trial: 3) == [5])
    // Pruned trials keep their values; a second call has nothing to do; COMPLETE trials are not paused.
    #expect(trials[4].intermediate == [1: 0.8, 2: 0.6])
    #expect(try study.prunePaused(keeping: 2) == [])
    #expect(
      try !study.storage.prunePausedTrial(study: study.id, number: 0, error: "x", artifactPrefix: "checkpoint."))
    #expect(try study.trials()[0].state == .complete)
    #expect(throws: ConfigurationError.self) { try study.prunePaused(keeping: -1) }
  }

  /// With the limit set, the study prunes after each trial that pauses: trial 2 outranks 1 when
  /// it pauses, 3 is the worst of step 1, 4 the worst of step 2.
  @Test(arguments: TestStudies.storages.map(\.name))
  func theStudyPrunesAsTrialsPause(kind: String) throws {
    let study = try Self.makeStudy(kind, limit: 1)
    try Self.run(study)
    #expect(try study.trials().map(\.state) == [.complete, .pruned, .paused, .pruned, .pruned])
    #expect(try study.artifact(Trial.checkpointName(fold: 0), trial: 2) == [1, 2, 3])
    #expect(throws: ConfigurationError.self) {
      try Study(
        storage: study.storage, direction: .maximize, sampler: RandomSampler(seed: 1), pausing: true, pausedLimit: -1)
    }
  }
}
