import Foundation

/// How the learning rate changes with the step count `t` (epochs or batches, as the training loop
/// chooses), starting from the optimizer's base rate `lr₀`. Each case follows the closed form of the
/// PyTorch scheduler or Keras schedule it names (`torch.optim.lr_scheduler`,
/// `keras.optimizers.schedules`), so a run can resume at any step. A one-cycle schedule also
/// cycles the optimizer's momentum (see ``momentum(at:)``).
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
  /// `OneCycleLR` (Smith & Topin, 2019), PyTorch's defaults: from `initial = maximum/initialDivisor`
  /// up to `maximum` at step `warmupFraction·totalSteps − 1`, then down to `initial/finalDivisor` at
  /// step `totalSteps − 1` (held after it). With `threePhase`, back down to `initial` at step
  /// `2·warmupFraction·totalSteps − 2` first, then to `initial/finalDivisor`. Each phase anneals by
  /// `annealing`. Ignores `lr₀`. With `momentum` (the default, as `cycle_momentum=True`), the
  /// optimizer's momentum (SGD, RMSprop) or β₁ (Adam, AdamW) moves the other way: `maximum` → `base`
  /// → `maximum` (three phases: then stays at `maximum`). See ``OneCycleMomentum``.
  case oneCycle(
    maximum: Double, totalSteps: Int, warmupFraction: Double = 0.3, initialDivisor: Double = 25,
    finalDivisor: Double = 10_000, annealing: Annealing = .cosine, threePhase: Bool = false,
    momentum: OneCycleMomentum? = OneCycleMomentum())
  /// `LinearLR`: `lr₀·(start + (end − start)·min(t, steps)/steps)`; a warm-up with `start < end`,
  /// a linear decay with `start > end`.
  case linear(startFactor: Double, endFactor: Double = 1, steps: Int)
  /// Keras's `InverseTimeDecay`: `lr₀ / (1 + rate·t/steps)`, with `⌊t/steps⌋` when `staircase`.
  case inverseTime(steps: Int, rate: Double, staircase: Bool = false)
  /// Keras's `PolynomialDecay`: `(lr₀ − end)·(1 − min(t, steps)/steps)^power + end`. With `cycle`,
  /// `steps` grows to the next multiple of itself at or above `t` instead (`t = 0` keeps `steps`).
  /// `end: 0` is PyTorch's `PolynomialLR(total_iters: steps, power)`.
  case polynomial(steps: Int, power: Double = 1, end: Double = 0.0001, cycle: Bool = false)
  /// Linear warmup (`LinearLR` then the schedule, as `SequentialLR`): for `t < steps`,
  /// `then(0)·(startFactor + (1 − startFactor)·t/steps)`; afterwards `then(t − steps)`.
  case warmup(steps: Int, startFactor: Double = 0, then: LearningRateSchedule)

  /// How a one-cycle phase goes from its start value to its end value as its fraction `p` of
  /// steps grows from 0 to 1.
  public enum Annealing: String, Sendable, Hashable, Codable {
    /// `end + (start − end)·(1 + cos(πp))/2` (`anneal_strategy='cos'`).
    case cosine
    /// `start + (end − start)·p` (`anneal_strategy='linear'`).
    case linear
  }

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
    case .oneCycle:
      return oneCycle(at: t)!.learningRate
    case let .linear(start, end, steps):
      return base * (start + (end - start) * Double(min(t, steps)) / Double(steps))
    case let .inverseTime(steps, rate, staircase):
      let p = Double(t) / Double(steps)
      return base / (1 + rate * (staircase ? p.rounded(.down) : p))
    case let .polynomial(steps, power, end, cycle):
      let length = cycle && t > 0 ? Double(steps) * (Double(t) / Double(steps)).rounded(.up) : Double(steps)
      let p = Double(cycle ? t : min(t, steps)) / length
      return (base - end) * pow(1 - p, power) + end
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
      try ConfigurationError.require(
        milestones == milestones.sorted() && Set(milestones).count == milestones.count,
        "milestones", milestones, "strictly increasing")
      try ConfigurationError.require(gamma > 0 && gamma.isFinite, "gamma", gamma, "> 0")
    case let .piecewiseConstant(boundaries, values):
      try ConfigurationError.require(
        values.count == boundaries.count + 1, "values", values,
        "one more value than boundaries (\(boundaries.count + 1))")
      try ConfigurationError.require(
        boundaries == boundaries.sorted() && Set(boundaries).count == boundaries.count,
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
    case let .oneCycle(maximum, totalSteps, warmupFraction, initialDivisor, finalDivisor, _, threePhase, momentum):
      try ConfigurationError.require(maximum > 0 && maximum.isFinite, "maximum", maximum, "> 0")
      try ConfigurationError.require(totalSteps >= 2, "total steps", totalSteps, ">= 2")
      try ConfigurationError.require(
        warmupFraction > 0 && warmupFraction < 1, "warmup fraction", warmupFraction,
        "(0, 1)")
      try ConfigurationError.require(
        !threePhase || 2 * warmupFraction * Double(totalSteps) - 2 < Double(totalSteps - 1),
        "warmup fraction", warmupFraction,
        "below (totalSteps + 1) / (2·totalSteps) with three phases")
      try ConfigurationError.require(initialDivisor >= 1, "initial divisor", initialDivisor, ">= 1")
      try ConfigurationError.require(finalDivisor >= 1, "final divisor", finalDivisor, ">= 1")
      if let momentum {
        for (name, value) in [("base momentum", momentum.base), ("maximum momentum", momentum.maximum)] {
          try ConfigurationError.require(value > 0 && value < 1, name, value, "(0, 1)")
        }
      }
    case let .linear(start, end, steps):
      try ConfigurationError.require(start > 0 && start <= 1, "start factor", start, "(0, 1]")
      try ConfigurationError.require(end >= 0 && end <= 1, "end factor", end, "[0, 1]")
      try ConfigurationError.require(steps >= 1, "steps", steps, ">= 1")
    case let .inverseTime(steps, rate, _):
      try ConfigurationError.require(steps >= 1, "decay steps", steps, ">= 1")
      try ConfigurationError.require(rate >= 0 && rate.isFinite, "decay rate", rate, ">= 0")
    case let .polynomial(steps, power, end, _):
      try ConfigurationError.require(steps >= 1, "decay steps", steps, ">= 1")
      try ConfigurationError.require(power > 0 && power.isFinite, "power", power, "> 0")
      try ConfigurationError.require(end >= 0 && end.isFinite, "end", end, ">= 0")
    case let .warmup(steps, startFactor, then):
      try ConfigurationError.require(steps >= 1, "warmup steps", steps, ">= 1")
      try ConfigurationError.require(startFactor >= 0 && startFactor <= 1, "warmup start factor", startFactor, "[0, 1]")
      try then.validate()
    }
  }
}
