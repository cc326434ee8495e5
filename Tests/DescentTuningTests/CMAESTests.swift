import Foundation
@testable import DescentTuning
import Testing

/// CMA-ES (``CMAESSampler``) on the classic test functions, and in studies.
struct CMAESTests {
  /// A trial as a one-worker study stores it: COMPLETE, finishing in number order.
  static func record(_ number: Int, _ parameters: [String: ParameterValue], _ value: Double) -> TrialRecord {
    TrialRecord(
      number: number, state: .complete, parameters: parameters, value: value, foldValues: [], intermediate: [:],
      device: "cpu", started: Date(timeIntervalSince1970: Double(number)),
      finished: Date(timeIntervalSince1970: Double(number) + 0.5), error: nil, gridIndex: nil, lost: false)
  }

  /// Minimizes `f` over [−5, 5]ⁿ with the sampler's own replay, trial by trial as one worker
  /// runs a study (each trial drawn from the state its predecessors left); returns the evaluations
  /// it took to reach `target`, or nil within `budget`, and the best value found.
  static func minimize(
    _ f: ([Double]) -> Double, dimension n: Int, target: Double, budget: Int, seed: UInt64
  ) throws -> (evaluations: Int?, best: Double) {
    let names = (0..<n).map { String(format: "x%02d", $0) }
    let run = CMAESSampler.Run(
      sampler: try CMAESSampler(seed: seed), dimensions: names.map { ($0, .float(low: -5, high: 5)) },
      direction: .minimize)
    var replay = CMAESSampler.Replay(state: run.start(restart: 0))
    var best = Double.infinity
    for number in 0..<budget {
      var generator = SeededGenerator(seed: seed, trial: number, parameter: "cmaes")
      let x = replay.state.sample(&generator).map { -5 + 10 * $0 }
      let value = f(x)
      best = min(best, value)
      if value <= target { return (number + 1, best) }
      replay.add(record(number, Dictionary(uniqueKeysWithValues: zip(names, x.map { .float($0) })), value), run)
    }
    return (nil, best)
  }

  /// Sphere, ellipsoid (conditioning 10⁶) and Rosenbrock, each with its minimum 0 at (1, …, 1):
  /// off the box's middle, so the mean has to travel.
  static func sphere(_ x: [Double]) -> Double { x.map { ($0 - 1) * ($0 - 1) }.reduce(0, +) }
  static func ellipsoid(_ x: [Double]) -> Double {
    var total = 0.0
    for i in x.indices { total += pow(1e6, Double(i) / Double(x.count - 1)) * (x[i] - 1) * (x[i] - 1) }
    return total
  }
  static func rosenbrock(_ x: [Double]) -> Double {
    var total = 0.0
    for i in 0..<(x.count - 1) {
      let (valley, offset) = (x[i + 1] - x[i] * x[i], 1 - x[i])
      total += 100 * valley * valley + offset * offset
    }
    return total
  }

  /// In 10 dimensions, to 1e-10, from the middle of [−5, 5]¹⁰ with σ a sixth of the range, five
  /// seeds each. Hansen's published runs of the same defaults (λ = 10) need about 1 500 (sphere),
  /// 6 000 (ellipsoid) and 6 000 (Rosenbrock, where some runs stall at its local minimum near
  /// x₁ = −1 and IPOP restarts them) evaluations; the budgets below are about 1.5–2.5× those. A run
  /// without step-size adaptation, or with a wrong covariance update, takes far longer.
  @Test(arguments: [("sphere", 2_500), ("ellipsoid", 12_000), ("rosenbrock", 20_000)])
  func convergesInTenDimensions(_ name: String, _ budget: Int) throws {
    let f: ([Double]) -> Double =
      switch name {
      case "sphere": Self.sphere
      case "ellipsoid": Self.ellipsoid
      default: Self.rosenbrock
      }
    var counts: [String] = []
    for seed in UInt64(1)...5 {
      let (evaluations, best) = try Self.minimize(f, dimension: 10, target: 1e-10, budget: budget, seed: seed)
      counts.append(evaluations.map { "\($0)" } ?? "not within \(budget) (best \(best))")
      #expect(evaluations != nil, "\(name), seed \(seed): best \(best) after \(budget) evaluations")
    }
    print("CMA-ES \(name) 10-D to 1e-10, evaluations by seed: \(counts.joined(separator: ", "))")
  }

  /// A constant objective stagnates (TolFun): IPOP restarts the run elsewhere with twice the population.
  @Test func aStagnatedRunRestartsWithTwiceThePopulation() throws {
    let names = ["a", "b", "c"]
    let run = CMAESSampler.Run(
      sampler: try CMAESSampler(seed: 3), dimensions: names.map { ($0, .float(low: 0, high: 1)) },
      direction: .minimize)
    var replay = CMAESSampler.Replay(state: run.start(restart: 0))
    let first = replay.state.population
    #expect(first == 7)
    var number = 0
    while replay.restart == 0 && number < 10_000 {
      var generator = SeededGenerator(seed: 3, trial: number, parameter: "cmaes")
      let x = replay.state.sample(&generator)
      replay.add(Self.record(number, Dictionary(uniqueKeysWithValues: zip(names, x.map { .float($0) })), 1), run)
      number += 1
    }
    #expect(replay.restart == 1)
    #expect(replay.state.population == 2 * first)
    // Stagnation needs 10 + ⌈30n/λ⌉ = 23 generations of equal best values.
    #expect(number == 23 * first, "restarted after \(number) results")
    #expect(replay.state.mean != [0.5, 0.5, 0.5])
  }

  static let mixed = try! SearchSpace([
    Hyperparameter("learning-rate", .float(low: 1e-5, high: 1, log: true)),
    Hyperparameter("units", .int(low: 1, high: 200)),
    Hyperparameter("dropout", .float(low: 0, high: 0.5, step: 0.05)),
    Hyperparameter("optimizer", .categorical([.string("sgd"), .string("adam"), .string("rmsprop")])),
  ])

  /// Minimum 0 at learning rate 10^-2.5, 37 units, dropout 0.35, Adam.
  static let mixedObjective: @Sendable ([String: ParameterValue]) -> Double = { p in
    let rate = log10(p["learning-rate"]!.number!) + 2.5
    let units = (p["units"]!.number! - 37) / 20
    let dropout = (p["dropout"]!.number! - 0.35) * 4
    return rate * rate + units * units + dropout * dropout + (p["optimizer"] == .string("adam") ? 0 : 1)
  }

  /// Log, whole-number, stepped and categorical parameters in a study on SQLite: CMA-ES finds the
  /// optimum's neighbourhood, settles on the right choice (frequencies of the best trials), keeps
  /// integers moving (the margin) and beats random search with the same trials on every seed.
  @Test func searchesMixedSpacesInAStudy() throws {
    for seed in UInt64(0)..<3 {
      let trials = try TestStudies.run(
        Self.mixed, sampler: try CMAESSampler(seed: seed), trials: 150, objective: Self.mixedObjective)
      let random = try TestStudies.run(
        Self.mixed, sampler: RandomSampler(seed: seed), trials: 150, objective: Self.mixedObjective)
      let best = SamplerTests.best(trials)
      #expect(best < 0.02, "seed \(seed): best \(best)")
      #expect(best < SamplerTests.best(random), "seed \(seed): random search found \(SamplerTests.best(random))")
      let adam = trials.suffix(40).count { $0.parameters["optimizer"] == .string("adam") }
      #expect(adam >= 28, "seed \(seed): Adam in \(adam) of the last 40 trials")
    }
  }

  /// The margin: four continuous parameters dominate the ranking until they have converged far
  /// below a whole number's cell, while a faint slope (1e-5 a step) pulls the integer from the
  /// middle (10) to 17. Without the margin its spread shrinks with σ and it freezes on the way
  /// (3 of these 5 seeds stopped at 7, 15 and 19); with it, it keeps a 1/(nλ) chance per sample of
  /// moving, and gets there.
  @Test func wholeNumbersDoNotFreeze() throws {
    let names = ["a", "b", "c", "d", "k"]
    let domains: [Domain] = Array(repeating: .float(low: 0, high: 1), count: 4) + [.int(low: 0, high: 20)]
    for seed in UInt64(0)..<5 {
      let run = CMAESSampler.Run(
        sampler: try CMAESSampler(seed: seed), dimensions: Array(zip(names, domains)), direction: .minimize)
      var replay = CMAESSampler.Replay(state: run.start(restart: 0))
      var best = (value: Double.infinity, k: 0)
      for number in 0..<3_000 {
        var generator = SeededGenerator(seed: seed, trial: number, parameter: "cmaes")
        let point = replay.state.sample(&generator)
        let values = zip(domains, point).map { domain, x in
          let scale = NumericScale(domain)!
          return scale.value(scale.low + x * (scale.high - scale.low))
        }
        let k = values[4].number!
        let value = values.prefix(4).map { ($0.number! - 0.3) * ($0.number! - 0.3) }.reduce(0, +) + 1e-5 * abs(k - 17)
        if value < best.value { best = (value, Int(k)) }
        replay.add(Self.record(number, Dictionary(uniqueKeysWithValues: zip(names, values)), value), run)
      }
      #expect(best.k == 17, "seed \(seed): the best trial has k = \(best.k)")
    }
  }

  /// The state is a function of the study's results: a sampler that saw the study grow (its
  /// replay cached and extended) and a fresh one given only the final history suggest the same;
  /// the same seed repeats a study, another seed does not.
  @Test func theSameSeedAndResultsGiveTheSameSuggestions() throws {
    let first = try TestStudies.run(
      Self.mixed, sampler: try CMAESSampler(seed: 11), trials: 40, objective: Self.mixedObjective)
    let second = try TestStudies.run(
      Self.mixed, sampler: try CMAESSampler(seed: 11), trials: 40, objective: Self.mixedObjective)
    #expect(first.map(\.parameters) == second.map(\.parameters))
    let other = try TestStudies.run(
      Self.mixed, sampler: try CMAESSampler(seed: 12), trials: 40, objective: Self.mixedObjective)
    #expect(first.map(\.parameters) != other.map(\.parameters))
    let context = SamplingContext(trial: 40, gridIndex: nil, history: first, direction: .minimize)
    let grown = try CMAESSampler(seed: 11)
    for count in [5, 17, 30] {
      _ = try grown.sampleRelative(
        Self.mixed.parameters,
        SamplingContext(trial: count, gridIndex: nil, history: Array(first.prefix(count)), direction: .minimize))
    }
    #expect(
      try grown.sampleRelative(Self.mixed.parameters, context)
        == CMAESSampler(seed: 11).sampleRelative(Self.mixed.parameters, context))
  }

  /// Results that arrive late (a worker's trial finishing after later-numbered ones) are told in
  /// the order they finished, none discarded: 33 results of a population of 8 make four
  /// generations and one waiting.
  @Test func everyFinishedResultIsUsedInTheOrderItFinished() throws {
    let space = [Hyperparameter("x", .float(low: 0, high: 1)), Hyperparameter("y", .float(low: 0, high: 1))]
    let sampler = try CMAESSampler(seed: 2, population: 8)
    var history = (0..<33).map { number in
      Self.record(number, ["x": .float(Double(number % 7) / 7), "y": .float(0.5)], Double(number % 5))
    }
    // Trial 3 finished last, trial 20 was still running.
    history[3].finished = Date(timeIntervalSince1970: 100)
    history.append(
      TrialRecord(
        number: 33, state: .running, parameters: ["x": .float(0.1), "y": .float(0.1)], value: nil, foldValues: [],
        intermediate: [:], device: "cpu", started: Date(timeIntervalSince1970: 40), finished: nil, error: nil,
        gridIndex: nil, lost: false))
    let run = CMAESSampler.Run(
      sampler: sampler, dimensions: space.map { ($0.name, $0.domain) }, direction: .minimize)
    let (replay, used) = sampler.replay(run, history.filter { $0.state == .complete })
    #expect(used == Array(0..<3) + Array(4..<33) + [3])
    #expect(replay.state.generation == 4)
    #expect(replay.waiting.count == 1)
  }

  /// Two workers on one study (SQLite, and PostgreSQL when the suite's server runs), then a
  /// second study object joining it with a new sampler, as another process would: every trial
  /// completes and the joiner's replay has told every finished result.
  @Test(arguments: TestStudies.storages.map(\.name))
  func workersShareOneRunThroughTheStore(_ kind: String) throws {
    let storage = try TestStudies.storages.first { $0.name == kind }!.make()
    func study() throws -> Study {
      try Study(storage: storage, direction: .minimize, sampler: try CMAESSampler(seed: 4), space: Self.mixed)
    }
    let objective: @Sendable (inout Trial, Int) throws -> Double = { trial, _ in
      for parameter in Self.mixed.parameters { _ = try trial.suggest(parameter) }
      return Self.mixedObjective(trial.parameters)
    }
    try study().optimize(trials: 60, devices: ["a", "b"], objective: objective)
    let joiner = try study()
    try joiner.optimize(trials: 90, objective: objective)
    let trials = try joiner.trials()
    #expect(trials.count == 90 && trials.allSatisfy { $0.state == .complete })
    let sampler = try #require(joiner.sampler as? CMAESSampler)
    let numeric = Self.mixed.parameters.filter { NumericScale($0.domain) != nil }.map { ($0.name, $0.domain) }
    let (replay, used) = sampler.replay(
      CMAESSampler.Run(sampler: sampler, dimensions: numeric, direction: .minimize), trials)
    #expect(used.count == 90)
    #expect(replay.state.generation * replay.state.population + replay.waiting.count <= 90)
  }

  /// WS-CMA-ES: started from a study whose best trials sit near the optimum (3, 3, 3, 3), the
  /// first generation samples there; started cold, around the box's middle.
  @Test func aWarmStartBeginsAtTheSourceStudysBestTrials() throws {
    let space = try SearchSpace((0..<4).map { Hyperparameter("x\($0)", .float(low: -5, high: 5)) })
    let objective: @Sendable ([String: ParameterValue]) -> Double = { p in
      (0..<4).map { p["x\($0)"]!.number! - 3 }.map { $0 * $0 }.reduce(0, +)
    }
    let source = try TestStudies.run(space, sampler: RandomSampler(seed: 9), trials: 200, objective: objective)
    func firstGeneration(_ sampler: CMAESSampler) throws -> Double {
      let trials = try TestStudies.run(space, sampler: sampler, trials: 8, objective: objective)
      return trials.compactMap(\.value).reduce(0, +) / 8
    }
    let warm = try firstGeneration(try CMAESSampler(seed: 1, warmStart: source))
    let cold = try firstGeneration(try CMAESSampler(seed: 1))
    let sourceBest = source.compactMap(\.value).sorted().prefix(20).reduce(0, +) / 20
    #expect(warm < cold / 2, "first generation's mean value: warm \(warm), cold \(cold)")
    #expect(warm < 3 * sourceBest, "warm \(warm); the source's best 10% average \(sourceBest)")
  }
}
