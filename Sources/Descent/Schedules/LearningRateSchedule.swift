import Foundation

/// How the learning rate changes with the step count `t` (epochs or batches, as the training loop
/// chooses), starting from the optimizer's base rate `lr₀`. Each case follows the closed form of the
/// PyTorch scheduler it names (`torch.optim.lr_scheduler`), so a run can resume at any step.
public indirect enum LearningRateSchedule: Sendable, Hashable, Codable {
  /// `lr₀` at every step.
  case constant
  /// `StepLR`: `lr₀·γ^⌊t / size⌋`.
  case step(size: Int, gamma: Double)
  /// `MultiStepLR`: `lr₀·γ^(number of milestones ≤ t)`.
  case multiStep(milestones: [Int], gamma: Double)
  /// Keras's `PiecewiseConstantDecay`, ignoring `lr₀`: `values[0]` while `t ≤ boundaries[0]`,
  /// `values[i]` while `boundaries[i−1] < t ≤ boundaries[i]`, the last value after the last boundary.
  case piecewiseConstant(boundaries: [Int], values: [Double])
  /// `ExponentialLR`: `lr₀·γᵗ`.
  case exponential(gamma: Double)
  /// `CosineAnnealingLR` (closed form): `η_min + (lr₀ − η_min)·(1 + cos(π·t / period))/2` for
  /// `t ≤ period`; after `period` the cosine continues, as PyTorch's closed form does.
  case cosine(period: Int, minimum: Double = 0)
  /// `CosineAnnealingWarmRestarts` (SGDR, Loshchilov & Hutter 2017): the cosine over `T_i` steps,
  /// restarting at `lr₀`; `T_0 = period`, `T_{i+1} = multiplier·T_i`.
  case cosineWithRestarts(period: Int, multiplier: Int = 1, minimum: Double = 0)
  /// `OneCycleLR` (two phases, cosine annealing): from `maximum/initialDivisor` up to `maximum` over
  /// the first `warmupFraction·totalSteps − 1` steps, then down to
  /// `maximum/(initialDivisor·finalDivisor)` at step `totalSteps − 1`. Ignores `lr₀`.
  case oneCycle(maximum: Double, totalSteps: Int, warmupFraction: Double = 0.3, initialDivisor: Double = 25,
                finalDivisor: Double = 10_000)
  /// Linear warmup (`LinearLR` then the schedule, as `SequentialLR`): for `t < steps`,
  /// `then(0)·(startFactor + (1 − startFactor)·t/steps)`; afterwards `then(t − steps)`.
  case warmup(steps: Int, startFactor: Double = 0, then: LearningRateSchedule)

  /// The learning rate at step `t ≥ 0` for a base rate `base`.
  public func learningRate(base: Double, at t: Int) -> Double {
    switch self {
    case .constant:
      return base
    case let .step(size, gamma):
      return base * pow(gamma, Double(t / size))
    case let .multiStep(milestones, gamma):
      return base * pow(gamma, Double(milestones.filter { $0 <= t }.count))
    case let .piecewiseConstant(boundaries, values):
      return values[boundaries.firstIndex { t <= $0 } ?? boundaries.count]
    case let .exponential(gamma):
      return base * pow(gamma, Double(t))
    case let .cosine(period, minimum):
      return minimum + (base - minimum) * (1 + cos(Double.pi * Double(t) / Double(period))) / 2
    case let .cosineWithRestarts(period, multiplier, minimum):
      var length = period, position = t
      while position >= length {
        position -= length
        length *= multiplier
      }
      return minimum + (base - minimum) * (1 + cos(Double.pi * Double(position) / Double(length))) / 2
    case let .oneCycle(maximum, totalSteps, warmupFraction, initialDivisor, finalDivisor):
      let initial = maximum / initialDivisor, final = initial / finalDivisor
      let peak = warmupFraction * Double(totalSteps) - 1, end = Double(totalSteps - 1)
      let step = Double(min(t, totalSteps - 1))
      func anneal(_ start: Double, _ stop: Double, _ fraction: Double) -> Double {
        stop + (start - stop) / 2 * (cos(Double.pi * fraction) + 1)
      }
      return step <= peak
        ? anneal(initial, maximum, peak > 0 ? step / peak : 1)
        : anneal(maximum, final, (step - peak) / (end - peak))
    case let .warmup(steps, startFactor, then):
      guard t < steps else { return then.learningRate(base: base, at: t - steps) }
      return then.learningRate(base: base, at: 0) * (startFactor + (1 - startFactor) * Double(t) / Double(steps))
    }
  }

  /// Throws ``ConfigurationError/outOfRange(parameter:value:allowed:)`` naming the first bad setting.
  public func validate() throws {
    switch self {
    case .constant:
      return
    case let .step(size, gamma):
      try ConfigurationError.require(size >= 1, "step size", size, ">= 1")
      try ConfigurationError.require(gamma > 0 && gamma.isFinite, "gamma", gamma, "> 0")
    case let .multiStep(milestones, gamma):
      try ConfigurationError.require(milestones == milestones.sorted() && Set(milestones).count == milestones.count,
                                     "milestones", milestones, "strictly increasing")
      try ConfigurationError.require(gamma > 0 && gamma.isFinite, "gamma", gamma, "> 0")
    case let .piecewiseConstant(boundaries, values):
      try ConfigurationError.require(values.count == boundaries.count + 1, "values", values,
                                     "one more value than boundaries (\(boundaries.count + 1))")
      try ConfigurationError.require(boundaries == boundaries.sorted() && Set(boundaries).count == boundaries.count,
                                     "boundaries", boundaries, "strictly increasing")
      try ConfigurationError.require(values.allSatisfy { $0 >= 0 && $0.isFinite }, "values", values, ">= 0")
    case let .exponential(gamma):
      try ConfigurationError.require(gamma > 0 && gamma.isFinite, "gamma", gamma, "> 0")
    case let .cosine(period, minimum):
      try ConfigurationError.require(period >= 1, "period", period, ">= 1")
      try ConfigurationError.require(minimum >= 0, "minimum", minimum, ">= 0")
    case let .cosineWithRestarts(period, multiplier, minimum):
      try ConfigurationError.require(period >= 1, "period", period, ">= 1")
      try ConfigurationError.require(multiplier >= 1, "multiplier", multiplier, ">= 1")
      try ConfigurationError.require(minimum >= 0, "minimum", minimum, ">= 0")
    case let .oneCycle(maximum, totalSteps, warmupFraction, initialDivisor, finalDivisor):
      try ConfigurationError.require(maximum > 0 && maximum.isFinite, "maximum", maximum, "> 0")
      try ConfigurationError.require(totalSteps >= 2, "total steps", totalSteps, ">= 2")
      try ConfigurationError.require(warmupFraction > 0 && warmupFraction < 1, "warmup fraction", warmupFraction, "(0, 1)")
      try ConfigurationError.require(initialDivisor >= 1, "initial divisor", initialDivisor, ">= 1")
      try ConfigurationError.require(finalDivisor >= 1, "final divisor", finalDivisor, ">= 1")
    case let .warmup(steps, startFactor, then):
      try ConfigurationError.require(steps >= 1, "warmup steps", steps, ">= 1")
      try ConfigurationError.require(startFactor >= 0 && startFactor <= 1, "warmup start factor", startFactor, "[0, 1]")
      try then.validate()
    }
  }
}
