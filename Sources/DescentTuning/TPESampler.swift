import Foundation

/// The Tree-structured Parzen Estimator (Bergstra, Bardenet, Bengio & Kégl, "Algorithms for
/// Hyper-Parameter Optimization", NeurIPS 2011), as Optuna's `TPESampler` runs it by default
/// (independent per parameter, prior on, magic clip on, endpoints off):
///
/// 1. For the first `startupTrials` finished trials, draw at random (``RandomSampler``).
/// 2. Rank the finished trials (COMPLETE by value, then PRUNED by how far they got and their last
///    value) and split them: the best `γ(n) = min(⌈0.1·n⌉, 25)` are "good", the rest "bad".
/// 3. Fit a Parzen estimator to each group's values of the parameter (trials without it, e.g.
///    where its condition did not hold, are left out): one truncated Gaussian per observation at
///    its value, with a width of the larger gap to its neighbours, clipped to
///    `[(high−low)/min(100, n+1), high−low]`, plus a prior Gaussian at the middle of the range
///    with width `high−low` and weight `priorWeight`. Weights ramp up for older trials once there
///    are more than 25 (the last 25 weigh 1). Log scales and steps are handled in the transformed,
///    half-step-widened space; categorical values get a categorical kernel per observation.
/// 4. Draw `candidates` values from the good estimator `l(x)` and return the one maximising
///    `l(x)/g(x)`, which maximises expected improvement.
///
/// With `constantLiar` (on by default, unlike Optuna, whose distributed users are told to turn it
/// on), trials still RUNNING elsewhere count as bad ones at the values they hold: workers that
/// start together steer away from each other's points instead of all proposing the same one.
/// With one worker no other trial runs, so it changes nothing there.
public struct TPESampler: Sampler {
  public var seed: UInt64
  /// Several objectives and constraints rank trials by Pareto fronts (``paretoSplit(_:directions:)``).
  public var handlesSeveralObjectives: Bool { true }
  public var startupTrials: Int
  public var candidates: Int
  public var priorWeight: Double
  public var constantLiar: Bool

  public init(
    seed: UInt64 = 0, startupTrials: Int = 10, candidates: Int = 24, priorWeight: Double = 1,
    constantLiar: Bool = true
  ) {
    self.seed = seed
    self.startupTrials = startupTrials
    self.candidates = candidates
    self.priorWeight = priorWeight
    self.constantLiar = constantLiar
  }

  /// Optuna's `default_gamma`.
  static func gamma(_ n: Int) -> Int { min(Int((0.1 * Double(n)).rounded(.up)), 25) }

  /// Optuna's `default_weights`: a ramp from 1/n for older trials, 1 for the newest 25.
  static func weights(_ n: Int) -> [Double] {
    guard n >= 25 else { return Array(repeating: 1, count: n) }
    let ramp = n - 25
    return (0..<ramp).map {
      ramp == 1 ? 1 / Double(n) : 1 / Double(n) + (1 - 1 / Double(n)) * Double($0) / Double(ramp - 1)
    }
      + Array(repeating: 1, count: 25)
  }

  public func sample(_ parameter: Hyperparameter, _ context: SamplingContext) throws -> ParameterValue {
    var generator = SeededGenerator(seed: seed, trial: context.trial, parameter: parameter.name)
    let directions = context.directions.isEmpty ? [context.direction] : context.directions
    // Several objectives or constraints: ranked by Pareto fronts (MOTPE).
    let pareto = directions.count > 1 || context.history.contains { !$0.constraints.isEmpty }
    let finished = context.history.filter {
      pareto
        ? Pareto.minimized($0, directions) != nil
        : ($0.state == .complete && ($0.value?.isFinite ?? false)) || ($0.stoppedEarly && $0.lastStep != nil)
    }
    guard finished.count >= startupTrials else { return RandomSampler.draw(parameter.domain, &generator) }
    let (good, ranked) =
      pareto ? Self.paretoSplit(finished, directions: directions) : Self.split(finished, direction: context.direction)
    let bad = ranked + (constantLiar ? context.history.filter { $0.state == .running } : [])
    func observations(_ trials: [TrialRecord]) -> [ParameterValue] {
      trials.sorted { $0.number < $1.number }.compactMap { trial in
        trial.parameters[parameter.name].flatMap(parameter.domain.member)
      }
    }
    let (goodValues, badValues) = (observations(good), observations(bad))
    guard !goodValues.isEmpty || !badValues.isEmpty else { return RandomSampler.draw(parameter.domain, &generator) }
    if case let .categorical(choices) = parameter.domain {
      let index = { (value: ParameterValue) in choices.firstIndex(of: value)! }
      let l = CategoricalParzen(goodValues.map(index), choices: choices.count, priorWeight: priorWeight)
      let g = CategoricalParzen(badValues.map(index), choices: choices.count, priorWeight: priorWeight)
      let draws = (0..<candidates).map { _ in l.draw(&generator) }
      return choices[draws.max { l.logDensity($0) - g.logDensity($0) < l.logDensity($1) - g.logDensity($1) }!]
    }
    let scale = NumericScale(parameter.domain)!
    let l = NumericParzen(goodValues.compactMap(scale.internalValue), scale: scale, priorWeight: priorWeight)
    let g = NumericParzen(badValues.compactMap(scale.internalValue), scale: scale, priorWeight: priorWeight)
    // Candidates are snapped to the domain first, so a discrete one is scored as the value it becomes.
    let draws = (0..<candidates).map { _ in scale.internalValue(scale.value(l.draw(&generator)))! }
    let best = draws.max { l.logDensity($0) - g.logDensity($0) < l.logDensity($1) - g.logDensity($1) }!
    return scale.value(best)
  }

  /// The good and bad groups of step 2.
  static func split(_ trials: [TrialRecord], direction: Direction) -> (good: [TrialRecord], bad: [TrialRecord]) {
    let sign = direction == .minimize ? 1.0 : -1.0
    let complete = trials.filter { $0.state == .complete }.sorted { sign * $0.value! < sign * $1.value! }
    let pruned = trials.filter(\.stoppedEarly).sorted { a, b in
      let (stepA, stepB) = (a.lastStep!, b.lastStep!)
      if stepA != stepB { return stepA > stepB }
      let (valueA, valueB) = (sign * (a.intermediate[stepA] ?? .nan), sign * (b.intermediate[stepB] ?? .nan))
      return valueA < valueB || (!valueA.isNaN && valueB.isNaN)
    }
    let ranked = complete + pruned
    let count = gamma(ranked.count)
    return (Array(ranked.prefix(count)), Array(ranked.dropFirst(count)))
  }

  /// Step 2 for several objectives or constraints (MOTPE, Ozaki et al., GECCO 2020, as Optuna
  /// splits): whole Pareto fronts (feasible trials first) while they fit in γ(n); from the front
  /// that does not, the trials adding most hypervolume, by dropping the one adding least until it
  /// fits.
  static func paretoSplit(
    _ trials: [TrialRecord], directions: [Direction]
  ) -> (good: [TrialRecord], bad: [TrialRecord]) {
    let points = trials.map { Pareto.minimized($0, directions)! }
    let count = gamma(trials.count)
    let reference = Pareto.reference(points, objectives: directions.count)
    var good: [Int] = []
    for front in Pareto.fronts(points, violations: trials.map(Pareto.violation)) where good.count < count {
      var kept = front
      while good.count + kept.count > count {
        let whole = Pareto.hypervolume(kept.map { points[$0] }, reference: reference)
        let least = kept.indices.min { a, b in
          let without = { (k: Int) in
            whole - Pareto.hypervolume(kept.indices.filter { $0 != k }.map { points[kept[$0]] }, reference: reference)
          }
          let (x, y) = (without(a), without(b))
          return x != y ? x < y : trials[kept[a]].number > trials[kept[b]].number
        }!
        kept.remove(at: least)
      }
      good += kept
    }
    let chosen = Set(good)
    return (good.map { trials[$0] }, trials.indices.filter { !chosen.contains($0) }.map { trials[$0] })
  }
}

/// A mixture of Gaussians truncated to the scale's `[low, high]`, one per observation plus the prior.
struct NumericParzen {
  let means: [Double], deviations: [Double], weights: [Double]
  let scale: NumericScale

  init(_ observations: [Double], scale: NumericScale, priorWeight: Double) {
    self.scale = scale
    let (low, high) = (scale.low, scale.high)
    let mus = observations + [0.5 * (low + high)]
    let order = mus.indices.sorted { mus[$0] < mus[$1] }
    let sorted = order.map { mus[$0] }
    let padded = [low] + sorted + [high]
    var sortedSigmas: [Double] = (0..<sorted.count).map { (i: Int) -> Double in
      let left: Double = padded[i + 1] - padded[i], right: Double = padded[i + 2] - padded[i + 1]
      return max(left, right)
    }
    if sorted.count >= 2 {  // consider_endpoints=False: the outermost use their inner gap only
      sortedSigmas[0] = sorted[1] - sorted[0]
      sortedSigmas[sorted.count - 1] = sorted[sorted.count - 1] - sorted[sorted.count - 2]
    }
    var sigmas = [Double](repeating: 0, count: mus.count)
    for (rank, index) in order.enumerated() { sigmas[index] = sortedSigmas[rank] }
    let (maxSigma, minSigma) = (high - low, (high - low) / min(100, 1 + Double(mus.count)))
    sigmas = sigmas.map { min(max($0, minSigma), maxSigma) }
    sigmas[mus.count - 1] = high - low  // the prior's width
    let raw = TPESampler.weights(observations.count) + [priorWeight]
    let total = raw.reduce(0, +)
    (means, deviations, weights) = (mus, sigmas, raw.map { $0 / total })
  }

  /// A draw: a kernel by weight, then its truncated Gaussian (by rejection; each kernel's mean lies
  /// in the range, so at least half its mass does).
  func draw(_ generator: inout SeededGenerator) -> Double {
    var u = generator.unit(), kernel = weights.count - 1
    for (i, w) in weights.enumerated() {
      if u < w { kernel = i; break }
      u -= w
    }
    for _ in 0..<1000 {
      let x = means[kernel] + deviations[kernel] * generator.normal()
      if x >= scale.low, x <= scale.high { return x }
    }
    return min(max(means[kernel], scale.low), scale.high)
  }

  /// log of the mixture's density at `x` (its probability mass over `x`'s step for a discrete scale).
  func logDensity(_ x: Double) -> Double {
    var terms: [Double] = []
    for i in means.indices {
      let (mu, sigma) = (means[i], deviations[i])
      let mass = Self.cdf((scale.high - mu) / sigma) - Self.cdf((scale.low - mu) / sigma)
      let density: Double
      if let step = scale.step, !scale.log {
        density = Self.cdf((x + step / 2 - mu) / sigma) - Self.cdf((x - step / 2 - mu) / sigma)
      } else {
        let z = (x - mu) / sigma
        density = exp(-0.5 * z * z) / (sigma * (2 * Double.pi).squareRoot())
      }
      terms.append(
        Foundation.log(weights[i]) + Foundation.log(max(density, 1e-300)) - Foundation.log(max(mass, 1e-300)))
    }
    return logSumExp(terms)
  }

  static func cdf(_ z: Double) -> Double { 0.5 * erfc(-z / 2.squareRoot()) }
}

/// One categorical kernel per observation (its choice gets one extra count over a uniform prior
/// share, as Optuna), mixed with the observation weights and the prior.
struct CategoricalParzen {
  let probabilities: [[Double]], weights: [Double]

  init(_ observations: [Int], choices: Int, priorWeight: Double) {
    let kernels = observations.count + 1
    var rows = [[Double]](repeating: [Double](repeating: priorWeight / Double(kernels), count: choices), count: kernels)
    for (i, choice) in observations.enumerated() { rows[i][choice] += 1 }
    probabilities = rows.map { row in
      let total = row.reduce(0, +); return row.map { $0 / total }
    }
    let raw = TPESampler.weights(observations.count) + [priorWeight]
    let total = raw.reduce(0, +)
    weights = raw.map { $0 / total }
  }

  func draw(_ generator: inout SeededGenerator) -> Int {
    var u = generator.unit()
    var mixed = [Double](repeating: 0, count: probabilities[0].count)
    for (w, row) in zip(weights, probabilities) { for c in row.indices { mixed[c] += w * row[c] } }
    for (c, p) in mixed.enumerated() {
      if u < p { return c }
      u -= p
    }
    return mixed.count - 1
  }

  func logDensity(_ choice: Int) -> Double {
    Foundation.log(zip(weights, probabilities).map { $0 * $1[choice] }.reduce(0, +))
  }
}

/// log Σ exp(terms), without overflow.
func logSumExp(_ terms: [Double]) -> Double {
  guard let top = terms.max(), top > -.infinity else { return -.infinity }
  return top + Foundation.log(terms.map { exp($0 - top) }.reduce(0, +))
}
