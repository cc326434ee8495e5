import Descent
import Foundation
import Synchronization

/// CMA-ES over a study's numeric parameters (``CMAES``), as Optuna's `CmaEsSampler`, with what
/// that one lacks for studies shared by many workers:
///
/// - **Every result is used.** The state is a replay of the study's COMPLETE trials in the order
///   they finished: generation `g` is told the finished trials `gλ ..< (g+1)λ`, whichever
///   generation sampled them (a late one's step is clipped, ``CMAES``). Nothing lives outside
///   the store, so a worker that joins or restarts, on any machine, continues the same run; the
///   replay is cached and extended as results arrive.
/// - **Categorical parameters are searched**, not drawn at random: each is drawn from its choices'
///   frequencies among the best `λ/2` complete trials, smoothed by a prior of one trial spread
///   evenly over the choices, so no choice is lost.
///   Numeric parameters are searched by CMA-ES jointly, in the samplers' transformed space (log
///   scales, half-step-widened grids) scaled to the unit box; whole numbers and steps keep a
///   margin so they never freeze.
/// - **IPOP restarts**: when a run stagnates (``CMAES/hasStagnated``), it restarts at a random
///   mean with the population doubled (Auger & Hansen, CEC 2005).
/// - **Warm start** from another study's trials (WS-CMA-ES, Nomura, Watanabe, Akimoto, Ozaki &
///   Onishi, AAAI 2021): the mean and covariance of the best 10% of `warmStart`'s complete
///   trials, widened by `0.1²·I`.
///
/// Parameters a trial suggests under a condition (`when`), or that not every complete trial
/// holds, are sampled by TPE one at a time. The same seed and the same trials give the same
/// suggestions.
public struct CMAESSampler: Sampler {
  public var seed: UInt64
  /// The first run's population `λ` (nil: `4 + ⌊3 ln n⌋` for `n` numeric parameters).
  public var population: Int?
  /// The initial step size in the unit box (Optuna's default, a sixth of each range).
  public var sigma: Double
  /// Whether a stagnated run restarts with twice the population (IPOP).
  public var restarts: Bool
  /// Trials of an earlier study over the same parameters to start from (empty: the box's middle).
  public var warmStart: [TrialRecord]
  let independent: TPESampler
  let cache = FinishOrderReplay<Run, Replay>()

  /// - Throws: ``ConfigurationError`` for a population below 2 or a step size outside (0, 1].
  public init(
    seed: UInt64 = 0, population: Int? = nil, sigma: Double = 1.0 / 6, restarts: Bool = true,
    warmStart: [TrialRecord] = []
  ) throws {
    if let population { try ConfigurationError.require(population >= 2, "population", population, ">= 2") }
    try ConfigurationError.require(sigma > 0 && sigma <= 1, "sigma", sigma, "in (0, 1]")
    (self.seed, self.population, self.sigma, self.restarts, self.warmStart) = (
      seed, population, sigma, restarts, warmStart
    )
    independent = TPESampler(seed: seed)
  }

  public func sample(_ parameter: Hyperparameter, _ context: SamplingContext) throws -> ParameterValue {
    try independent.sample(parameter, context)
  }

  public func sampleRelative(_ space: [Hyperparameter], _ context: SamplingContext) throws -> [String: ParameterValue] {
    let complete = context.history.filter { $0.state == .complete && ($0.value?.isFinite ?? false) }
    // The joint space: unconditional parameters every complete trial holds, by name.
    let joint = space.filter { parameter in
      parameter.when.isEmpty
        && complete.allSatisfy { $0.parameters[parameter.name].map(parameter.domain.contains) ?? false }
    }.sorted { $0.name < $1.name }
    let numeric = joint.filter { NumericScale($0.domain) != nil }.map { ($0.name, $0.domain) }
    var values: [String: ParameterValue] = [:]
    if !numeric.isEmpty {
      let replay = replay(Run(sampler: self, dimensions: numeric, direction: context.direction), complete).state
      var generator = SeededGenerator(seed: seed, trial: context.trial, parameter: "cmaes")
      for ((name, domain), x) in zip(numeric, replay.state.sample(&generator)) {
        let scale = NumericScale(domain)!
        values[name] = scale.value(scale.low + x * (scale.high - scale.low))
      }
    }
    let parents = max(1, (population ?? 4 + Int(3 * Foundation.log(Double(max(numeric.count, 1))))) / 2)
    let sign = context.direction == .minimize ? 1.0 : -1.0
    let elite = complete.sorted {
      sign * $0.value! < sign * $1.value! || ($0.value == $1.value && $0.number < $1.number)
    }
    .prefix(parents)
    for parameter in joint {
      guard case let .categorical(choices) = parameter.domain else { continue }
      let counts = choices.map { choice in
        Double(elite.count { $0.parameters[parameter.name] == choice }) + 1 / Double(choices.count)
      }
      var generator = SeededGenerator(seed: seed, trial: context.trial, parameter: "cmaes.\(parameter.name)")
      var draw = generator.unit() * counts.reduce(0, +)
      let index =
        counts.firstIndex { count in
          draw -= count
          return draw < 0
        } ?? choices.count - 1
      values[parameter.name] = choices[index]
    }
    return values
  }

  /// What one replay depends on: the sampler's settings, the numeric dimensions and the direction.
  struct Run: Hashable, Sendable {
    let seed: UInt64, population: Int?, sigma: Double, restarts: Bool
    let warmStart: [[Double]]
    let names: [String]
    let domains: [Domain]
    let direction: Direction

    init(sampler: CMAESSampler, dimensions: [(String, Domain)], direction: Direction) {
      (seed, population, sigma, restarts) = (sampler.seed, sampler.population, sampler.sigma, sampler.restarts)
      let (names, domains) = (dimensions.map(\.0), dimensions.map(\.1))
      (self.names, self.domains, self.direction) = (names, domains, direction)
      // WS-CMA-ES's promising set: the best 10% (at least one) of the source's usable trials.
      let sign = direction == .minimize ? 1.0 : -1.0
      let usable = sampler.warmStart.filter { $0.state == .complete && ($0.value?.isFinite ?? false) }
        .compactMap { trial in Self.point(trial, names: names, domains: domains).map { (trial.value!, $0) } }
        .sorted { sign * $0.0 < sign * $1.0 }
      warmStart = usable.prefix(max(1, Int((0.1 * Double(usable.count)).rounded(.up)))).map(\.1)
    }

    /// A trial's numeric parameters as a point of the unit box, nil when it lacks one.
    static func point(_ trial: TrialRecord, names: [String], domains: [Domain]) -> [Double]? {
      var point: [Double] = []
      for (name, domain) in zip(names, domains) {
        guard let value = trial.parameters[name].flatMap(domain.member), let scale = NumericScale(domain),
          let x = scale.internalValue(value)
        else { return nil }
        point.append(min(max((x - scale.low) / (scale.high - scale.low), 0), 1))
      }
      return point
    }

    /// The state a run starts from after `restart` restarts (0: the first).
    func start(restart: Int) -> CMAES {
      let n = names.count
      let cells: [CMAES.Cell?] = domains.map { domain in
        let scale = NumericScale(domain)!
        let span = scale.high - scale.low
        if scale.log { return scale.isInteger ? .logInteger(low: scale.low, span: span) : nil }
        return scale.step.map { .width($0 / span) }
      }
      let size = population.map { $0 << restart } ?? (4 + Int(3 * Foundation.log(Double(n)))) << restart
      if restart == 0, !warmStart.isEmpty {
        let count = Double(warmStart.count)
        let mean = (0..<n).map { i in warmStart.map { $0[i] }.reduce(0, +) / count }
        var covariance = (0..<n).map { i in (0..<n).map { j in i == j ? 0.01 : 0.0 } }
        for point in warmStart {
          for i in 0..<n { for j in 0..<n { covariance[i][j] += (point[i] - mean[i]) * (point[j] - mean[j]) / count } }
        }
        // σ = det(Σ)^(1/2n), C = Σ/σ²: the step size carries the scale, C the shape.
        let logDeterminant = CMAES.symmetricEigen(covariance).values.map { Foundation.log(max($0, 1e-300)) }.reduce(
          0, +)
        let start = Foundation.exp(logDeterminant / Double(2 * n))
        return CMAES(
          mean: mean, sigma: start, covariance: covariance.map { $0.map { $0 / (start * start) } },
          population: size, cells: cells)
      }
      var mean = Array(repeating: 0.5, count: n)
      if restart > 0 {
        var generator = SeededGenerator(seed: seed, trial: restart, parameter: "cmaes.restart")
        mean = mean.map { _ in generator.unit() }
      }
      return CMAES(mean: mean, sigma: sigma, population: size, cells: cells)
    }
  }

  /// `run` told `complete` in finish order, and the trials' numbers in that order.
  func replay(_ run: Run, _ complete: [TrialRecord]) -> (state: Replay, used: [Int]) {
    cache.replay(run, complete, start: { Replay(state: run.start(restart: 0)) }) { $0.add($1, run) }
  }

  /// A run replayed through some of a study's results.
  struct Replay: Sendable {
    var state: CMAES
    var restart = 0
    var waiting: [(point: [Double], value: Double)] = []

    /// Feeds one result; a full generation is told, and a stagnated run restarts.
    mutating func add(_ trial: TrialRecord, _ run: Run) {
      guard let point = Run.point(trial, names: run.names, domains: run.domains) else { return }
      waiting.append((point, run.direction == .minimize ? trial.value! : -trial.value!))
      guard waiting.count == state.population else { return }
      state.tell(waiting)
      waiting = []
      if run.restarts, state.hasStagnated {
        restart += 1
        state = run.start(restart: restart)
      }
    }
  }
}
