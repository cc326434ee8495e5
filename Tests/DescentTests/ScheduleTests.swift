import Descent
import Foundation
import Testing

/// Each schedule's first 100 rates against its formula written out here, and the plateau and
/// early-stopping rules on scripted metric sequences.
@Suite struct ScheduleTests {
  static let base = 0.1

  static func expectSequence(
    _ schedule: LearningRateSchedule, _ formula: (Int) -> Double,
    sourceLocation: SourceLocation = #_sourceLocation
  ) {
    for t in 0..<100 {
      let got = schedule.learningRate(base: base, at: t), expected = formula(t)
      guard abs(got - expected) <= 1e-12 * max(1, abs(expected)) else {
        Issue.record("\(schedule) at step \(t): \(got), expected \(expected)", sourceLocation: sourceLocation)
        return
      }
    }
  }

  @Test func stepAndMultiStep() {
    Self.expectSequence(.constant) { _ in 0.1 }
    Self.expectSequence(.step(size: 30, gamma: 0.1)) { t in t < 30 ? 0.1 : t < 60 ? 0.01 : t < 90 ? 0.001 : 0.0001 }
    Self.expectSequence(.multiStep(milestones: [10, 25, 70], gamma: 0.5)) { t in
      t < 10 ? 0.1 : t < 25 ? 0.05 : t < 70 ? 0.025 : 0.0125
    }
    Self.expectSequence(.piecewiseConstant(boundaries: [5, 50], values: [1, 0.5, 0.1])) { t in
      t <= 5 ? 1 : t <= 50 ? 0.5 : 0.1
    }
    Self.expectSequence(.exponential(gamma: 0.95)) { t in (0..<t).reduce(0.1) { value, _ in value * 0.95 } }
  }

  @Test func cosineAndRestarts() {
    Self.expectSequence(.cosine(period: 100, minimum: 0.001)) { t in
      0.001 + 0.099 * (1 + cos(Double.pi * Double(t) / 100)) / 2
    }
    // T_0 = 10, T_mult = 2: restarts at 10, 30, 70.
    Self.expectSequence(.cosineWithRestarts(period: 10, multiplier: 2)) { t in
      let (start, length) = t < 10 ? (0, 10) : t < 30 ? (10, 20) : t < 70 ? (30, 40) : (70, 80)
      return 0.1 * (1 + cos(Double.pi * Double(t - start) / Double(length))) / 2
    }
    #expect(LearningRateSchedule.cosineWithRestarts(period: 10).learningRate(base: 0.1, at: 10) == 0.1)
  }

  @Test func warmupThenAnySchedule() {
    Self.expectSequence(.warmup(steps: 5, startFactor: 0.2, then: .step(size: 10, gamma: 0.5))) { t in
      t < 5 ? 0.1 * (0.2 + 0.8 * Double(t) / 5) : 0.1 * pow(0.5, Double((t - 5) / 10))
    }
  }

  @Test func oneCycleFollowsPyTorch() {
    // PyTorch OneCycleLR(max_lr=1, total_steps=100): 0.04 → 1 at step 29, → 4e-6 at step 99.
    let schedule = LearningRateSchedule.oneCycle(maximum: 1, totalSteps: 100)
    Self.expectSequence(schedule) { t in
      let t = Double(t)
      func anneal(_ a: Double, _ b: Double, _ p: Double) -> Double { b + (a - b) / 2 * (cos(Double.pi * p) + 1) }
      return t <= 29 ? anneal(0.04, 1, t / 29) : anneal(1, 0.04 / 1e4, (t - 29) / 70)
    }
    #expect(abs(schedule.learningRate(base: 0, at: 0) - 0.04) < 1e-15)
    #expect(abs(schedule.learningRate(base: 0, at: 29) - 1) < 1e-15)
    #expect(abs(schedule.learningRate(base: 0, at: 99) - 4e-6) < 1e-15)
  }

  @Test func invalidSchedulesNameTheSetting() {
    #expect(throws: ConfigurationError.outOfRange(parameter: "step size", value: "0", allowed: ">= 1")) {
      try LearningRateSchedule.step(size: 0, gamma: 0.1).validate()
    }
    #expect(
      throws: ConfigurationError.outOfRange(
        parameter: "values", value: "[1.0]", allowed: "one more value than boundaries (2)")
    ) {
      try LearningRateSchedule.piecewiseConstant(boundaries: [3], values: [1]).validate()
    }
    #expect(throws: ConfigurationError.outOfRange(parameter: "gamma", value: "-1.0", allowed: "> 0")) {
      try LearningRateSchedule.warmup(steps: 2, then: .exponential(gamma: -1)).validate()
    }
  }

  // MARK: ReduceLROnPlateau

  /// Feeds the metrics and returns the learning rate after each.
  func plateau(_ rule: ReduceLROnPlateau, _ metrics: [Double], start: Double = 1) -> [Double] {
    var rule = rule, rate = start
    return metrics.map { metric in
      rate = rule.step(metric: metric, learningRate: rate)
      return rate
    }
  }

  @Test func plateauCutsAfterPatiencePlusOneBadEpochs() throws {
    // patience 2: the best is epoch 0; epochs 1, 2, 3 are bad; PyTorch cuts after the third.
    let rule = try ReduceLROnPlateau(factor: 0.5, patience: 2)
    #expect(plateau(rule, [1, 1, 1, 1, 1, 1, 1]) == [1, 1, 1, 0.5, 0.5, 0.5, 0.25])
    // An improvement resets the count.
    #expect(plateau(rule, [5, 6, 6, 4, 6, 6, 6]) == [1, 1, 1, 1, 1, 1, 0.5])
  }

  @Test func plateauThresholdsAndMode() throws {
    // Relative threshold 0.1: 0.95 is not better than 1·(1 − 0.1); 0.89 is.
    let relative = try ReduceLROnPlateau(factor: 0.5, patience: 0, threshold: 0.1)
    #expect(plateau(relative, [1, 0.95, 0.89]) == [1, 0.5, 0.5])
    // Absolute threshold 0.1: 0.85 beats 1 − 0.1; 0.8 does not beat 0.85 − 0.1.
    let absolute = try ReduceLROnPlateau(factor: 0.5, patience: 0, threshold: 0.1, relativeThreshold: false)
    #expect(plateau(absolute, [1, 0.85, 0.8]) == [1, 1, 0.5])
    // Mode max: accuracy rising is good, falling is bad.
    let max = try ReduceLROnPlateau(mode: .max, factor: 0.1, patience: 1, threshold: 0)
    #expect(plateau(max, [0.5, 0.6, 0.6, 0.6, 0.7]).map { ($0 * 1e6).rounded() / 1e6 } == [1, 1, 1, 0.1, 0.1])
  }

  @Test func plateauCooldownAndMinimum() throws {
    // Cooldown 2: after a cut, two epochs count no bad epochs, then patience 0 cuts at once again.
    let cooldown = try ReduceLROnPlateau(factor: 0.5, patience: 0, cooldown: 2)
    #expect(plateau(cooldown, [1, 2, 2, 2, 2, 2]) == [1, 0.5, 0.5, 0.5, 0.25, 0.25])
    // The rate never goes below the minimum, and a change smaller than epsilon is skipped.
    let floor = try ReduceLROnPlateau(factor: 0.1, patience: 0, minimum: 0.05)
    #expect(plateau(floor, [1, 2, 2, 2]) == [1, 0.1, 0.05, 0.05])
    // PyTorch's eps: a cut by less than epsilon (strictly more is needed) is skipped. From 4e-3,
    // halving changes the rate by 2e-3 > 1e-3; from 2e-3 by exactly 1e-3, which is skipped.
    let tiny = try ReduceLROnPlateau(factor: 0.5, patience: 0, epsilon: 1e-3)
    #expect(plateau(tiny, [1, 2, 2, 2], start: 4e-3) == [4e-3, 2e-3, 2e-3, 2e-3])
    #expect(throws: ConfigurationError.outOfRange(parameter: "factor", value: "1.0", allowed: "(0, 1)")) {
      try ReduceLROnPlateau(factor: 1)
    }
  }

  // MARK: EarlyStopping

  func decisions(_ rule: EarlyStopping, _ values: [Double]) -> [EarlyStopping.Decision] {
    var rule = rule
    return values.map { rule.observe($0) }
  }

  @Test func earlyStoppingAfterPatienceEpochsWithoutImprovement() throws {
    let rule = try EarlyStopping(patience: 2)
    #expect(
      decisions(rule, [3, 2, 2.5, 2.1]) == [
        .proceed(improved: true), .proceed(improved: true),
        .proceed(improved: false), .stop,
      ])
    var tracked = rule
    for value in [3, 1, 2, 0.5, 0.7] { _ = tracked.observe(value) }
    #expect(tracked.best == 0.5 && tracked.bestEpoch == 3)
  }

  @Test func earlyStoppingMinDeltaModeAndNaN() throws {
    // minDelta 0.1: 0.95 after 1 is no improvement.
    let delta = try EarlyStopping(minDelta: 0.1, patience: 1)
    #expect(decisions(delta, [1, 0.95]) == [.proceed(improved: true), .stop])
    let accuracy = try EarlyStopping(monitor: "validation accuracy", mode: .max, patience: 2)
    #expect(
      decisions(accuracy, [0.5, 0.6, 0.6, 0.59]) == [
        .proceed(improved: true), .proceed(improved: true),
        .proceed(improved: false), .stop,
      ])
    #expect(decisions(try EarlyStopping(patience: 1), [.nan]) == [.stop])
    #expect(throws: ConfigurationError.outOfRange(parameter: "patience", value: "0", allowed: ">= 1")) {
      try EarlyStopping(patience: 0)
    }
  }
}
