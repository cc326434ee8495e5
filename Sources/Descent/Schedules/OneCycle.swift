import Foundation

/// The momentum range a one-cycle schedule moves the optimizer's momentum (SGD, RMSprop) or β₁
/// (Adam, AdamW) through: PyTorch's `base_momentum` and `max_momentum`. The momentum is highest
/// when the learning rate is lowest.
public struct OneCycleMomentum: Sendable, Hashable, Codable {
  public var base: Double
  public var maximum: Double

  public init(base: Double = 0.85, maximum: Double = 0.95) {
    self.base = base
    self.maximum = maximum
  }
}

extension LearningRateSchedule {
  /// The momentum or β₁ the optimizer uses at step `t` under a schedule that cycles it (a one-cycle
  /// schedule with `momentum`, also as a warm-up's `then`, which holds its step-0 value during the
  /// warm-up); nil for every other schedule, which leaves the optimizer's own value.
  public func momentum(at t: Int) -> Double? {
    switch self {
    case .oneCycle: oneCycle(at: t)?.momentum
    case let .warmup(steps, _, then): then.momentum(at: max(0, t - steps))
    default: nil
    }
  }

  /// A one-cycle schedule's learning rate and momentum at step `t`, phase by phase as PyTorch's
  /// `OneCycleLR.get_lr` finds them; nil for other schedules.
  func oneCycle(at t: Int) -> (learningRate: Double, momentum: Double?)? {
    guard
      case let .oneCycle(
        maximum, totalSteps, warmupFraction, initialDivisor, finalDivisor, annealing,
        threePhase, momentum) = self
    else { return nil }
    let initial = maximum / initialDivisor, final = initial / finalDivisor
    let peak = warmupFraction * Double(totalSteps) - 1, last = Double(totalSteps - 1)
    let (low, high) = (momentum?.base ?? 0, momentum?.maximum ?? 0)
    // Each phase: its last step, then the learning rate's and the momentum's start and end values.
    typealias Phase = (end: Double, rate: (Double, Double), momentum: (Double, Double))
    let phases: [Phase] =
      threePhase
      ? [
        (peak, (initial, maximum), (high, low)), (2 * peak, (maximum, initial), (low, high)),
        (last, (initial, final), (high, high)),
      ]
      : [(peak, (initial, maximum), (high, low)), (last, (maximum, final), (low, high))]
    func anneal(_ values: (Double, Double), _ p: Double) -> Double {
      switch annealing {
      case .cosine: values.1 + (values.0 - values.1) / 2 * (cos(Double.pi * p) + 1)
      case .linear: (values.1 - values.0) * p + values.0
      }
    }
    let step = Double(min(t, totalSteps - 1))
    var start = 0.0
    for (index, phase) in phases.enumerated() {
      guard step <= phase.end || index == phases.count - 1 else {
        start = phase.end
        continue
      }
      let p = phase.end > start ? (step - start) / (phase.end - start) : 1
      return (anneal(phase.rate, p), momentum.map { _ in anneal(phase.momentum, p) })
    }
    return nil
  }
}
