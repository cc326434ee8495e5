import Descent
import Foundation
import Testing

/// The schedules added to match PyTorch and Keras: each against the framework's own formula at 100
/// steps (PyTorch's chainable form where it has one, so the closed form here is checked against a
/// different computation), and against numbers PyTorch 2.x printed.
@Suite struct ScheduleFrameworkTests {
  static let printedSteps = [0, 7, 29, 45, 57, 80, 99]

  /// `values` at ``printedSteps``, to 1e-12 relative (PyTorch computes in Python floats too).
  static func expectPrinted(
    _ values: (Int) -> Double?, _ printed: [Double], _ what: String,
    sourceLocation: SourceLocation = #_sourceLocation
  ) {
    for (t, expected) in zip(printedSteps, printed) {
      let got = values(t) ?? .nan
      #expect(
        abs(got - expected) <= 1e-12 * max(1e-3, abs(expected)), "\(what) at step \(t): \(got), PyTorch \(expected)",
        sourceLocation: sourceLocation)
    }
  }

  @Test func linearMatchesPyTorchsChainableForm() {
    // LinearLR.get_lr: lr·start at t = 0, then lr·(1 + (end − start)/(T·start + (t − 1)·(end − start))) up to T.
    for (start, end, steps) in [(1.0 / 3, 1.0, 5), (1.0, 0.1, 40), (0.5, 0.25, 99)] {
      var rate = ScheduleTests.base * start
      ScheduleTests.expectSequence(.linear(startFactor: start, endFactor: end, steps: steps)) { t in
        if t > 0 && t <= steps {
          rate *= 1 + (end - start) / (Double(steps) * start + Double(t - 1) * (end - start))
        }
        return rate
      }
    }
    // LinearLR(start_factor=1.0, end_factor=0.1, total_iters=40) on lr 0.1.
    let schedule = LearningRateSchedule.linear(startFactor: 1, endFactor: 0.1, steps: 40)
    Self.expectPrinted(
      { schedule.learningRate(base: 0.1, at: $0) },
      [0.1, 0.08424999999999999, 0.03474999999999998, 0.01, 0.01, 0.01, 0.01], "LinearLR")
  }

  @Test func polynomialMatchesKerasAndPyTorch() {
    ScheduleTests.expectSequence(.polynomial(steps: 60, power: 2, end: 0.001)) { t in
      (0.1 - 0.001) * pow(1 - Double(min(t, 60)) / 60, 2) + 0.001
    }
    // Keras cycle=True: decay_steps·ceil(t/decay_steps), 1 at t = 0.
    ScheduleTests.expectSequence(.polynomial(steps: 30, power: 0.5, end: 0.01, cycle: true)) { t in
      let length = t == 0 ? 30 : 30 * Double((t + 29) / 30)
      return (0.1 - 0.01) * pow(1 - Double(t) / length, 0.5) + 0.01
    }
    // PyTorch's PolynomialLR(total_iters=60, power=2), chainable: lr·((1 − t/T)/(1 − (t − 1)/T))^power.
    var rate = ScheduleTests.base
    ScheduleTests.expectSequence(.polynomial(steps: 60, power: 2, end: 0)) { t in
      if t > 0 { rate = t > 60 ? rate : rate * pow((1 - Double(t) / 60) / (1 - Double(t - 1) / 60), 2) }
      return rate
    }
    let schedule = LearningRateSchedule.polynomial(steps: 60, power: 2, end: 0)
    Self.expectPrinted(
      { schedule.learningRate(base: 0.1, at: $0) },
      [0.1, 0.0780277777777778, 0.026694444444444455, 0.00625, 0.00025, 0, 0], "PolynomialLR")
  }

  @Test func inverseTimeMatchesKeras() {
    ScheduleTests.expectSequence(.inverseTime(steps: 10, rate: 0.5)) { t in 0.1 / (1 + 0.5 * Double(t) / 10) }
    ScheduleTests.expectSequence(.inverseTime(steps: 10, rate: 0.5, staircase: true)) { t in
      0.1 / (1 + 0.5 * Double(t / 10))
    }
  }

  @Test func oneCycleVariantsAndMomentumMatchPyTorch() {
    // OneCycleLR(max_lr=1, total_steps=100) with SGD(momentum=0.9): group lr and momentum.
    let twoPhase = LearningRateSchedule.oneCycle(maximum: 1, totalSteps: 100)
    Self.expectPrinted(
      { twoPhase.learningRate(base: 0.1, at: $0) },
      [
        0.040000000000000036, 0.17152216387689723, 1, 0.8765362268588736, 0.654509879153485,
        0.1710339529075956, 4e-06,
      ], "two-phase lr")
    Self.expectPrinted(
      { twoPhase.momentum(at: $0) },
      [
        0.95, 0.9362997745961565, 0.85, 0.8623464266998194, 0.8845491502812526, 0.9328969362969856,
        0.95,
      ], "two-phase momentum")
    // three_phase=True, anneal_strategy='linear', with Adam: betas[0].
    let threePhase = LearningRateSchedule.oneCycle(maximum: 1, totalSteps: 100, annealing: .linear, threePhase: true)
    Self.expectPrinted(
      { threePhase.learningRate(base: 0.1, at: $0) },
      [
        0.04, 0.2717241379310345, 1, 0.4703448275862069, 0.07310344827586202, 0.018538731707317072,
        3.9999999999970615e-06,
      ], "three-phase lr")
    Self.expectPrinted(
      { threePhase.momentum(at: $0) },
      [0.95, 0.9258620689655171, 0.85, 0.9051724137931034, 0.946551724137931, 0.95, 0.95],
      "three-phase momentum")
    // Every step of the three phases, written out: 0.04 → 1 by step 29, → 0.04 by 58, → 4e-6 by 99.
    ScheduleTests.expectSequence(threePhase) { t in
      let t = Double(t)
      return t <= 29 ? 0.04 + 0.96 * t / 29 : t <= 58 ? 1 - 0.96 * (t - 29) / 29 : 0.04 + (4e-6 - 0.04) * (t - 58) / 41
    }
    #expect(LearningRateSchedule.oneCycle(maximum: 1, totalSteps: 10, momentum: nil).momentum(at: 3) == nil)
    #expect(LearningRateSchedule.warmup(steps: 5, then: twoPhase).momentum(at: 5 + 29) == 0.85)
    #expect(LearningRateSchedule.cosine(period: 10).momentum(at: 3) == nil)
  }

  @Test func oneCycleMomentumReachesTheOptimizer() throws {
    let backend = CPUBackend()
    let model = try Sequential([try Dense(2)], inputFeatures: 3, backend: backend)
    let schedule = LearningRateSchedule.oneCycle(maximum: 1, totalSteps: 10)
    // SGD without momentum gets PyTorch's behaviour: the cycled momentum, with a buffer for it.
    let trainer = try Trainer(
      model: model, loss: .meanSquaredError, optimizer: SGD(), schedule: schedule, scheduleUnit: .batch)
    for step in 0..<3 {
      let momentum = Float(schedule.momentum(at: step)!)
      #expect(
        trainer.nextUpdate
          == SGD(momentum: momentum).update(
            step: step + 1, learningRate: schedule.learningRate(base: 0.01, at: step), momentum: nil))
      try trainer.trainStep(inputs: try backend.buffer([1, 2, 3]), targets: try backend.buffer([1, -1]), rows: 1)
    }
    let adam = try Trainer(
      model: model, loss: .meanSquaredError, optimizer: Adam(), schedule: schedule, scheduleUnit: .batch)
    #expect(
      adam.nextUpdate
        == Adam(beta1: 0.95).update(
          step: 1, learningRate: schedule.learningRate(base: 0, at: 0),
          momentum: nil))
    #expect(throws: ConfigurationError.self) {
      try Trainer(model: model, loss: .meanSquaredError, optimizer: AdaGrad(), schedule: schedule)
    }
    let plain = LearningRateSchedule.oneCycle(maximum: 1, totalSteps: 10, momentum: nil)
    #expect(
      try Trainer(model: model, loss: .meanSquaredError, optimizer: AdaGrad(), schedule: plain).nextUpdate
        == AdaGrad().update(step: 1, learningRate: plain.learningRate(base: 0, at: 0), momentum: nil))
  }

  @Test func invalidSettingsAreNamed() {
    let cases: [(LearningRateSchedule, String)] = [
      (.linear(startFactor: 0, steps: 5), "start factor"),
      (.linear(startFactor: 1, endFactor: 1.5, steps: 5), "end factor"),
      (.linear(startFactor: 1, steps: 0), "steps"), (.inverseTime(steps: 0, rate: 1), "decay steps"),
      (.inverseTime(steps: 5, rate: -1), "decay rate"), (.polynomial(steps: 5, power: 0), "power"),
      (.polynomial(steps: 5, end: -1), "end"),
      (.oneCycle(maximum: 1, totalSteps: 10, warmupFraction: 0.6, threePhase: true), "warmup fraction"),
      (.oneCycle(maximum: 1, totalSteps: 10, momentum: OneCycleMomentum(base: 0, maximum: 0.9)), "base momentum"),
    ]
    for (schedule, parameter) in cases {
      #expect {
        try schedule.validate()
      } throws: { error in
        guard case let .outOfRange(name, _, _) = error as? ConfigurationError else { return false }
        return name == parameter
      }
    }
  }
}
