import Descent
import Foundation
@testable import DescentTuning
import Testing

/// Studies of several objectives: Pareto fronts, crowding, hypervolume and NSGA-II.
struct MultiObjectiveTests {
  /// A complete trial of several objectives, finishing in number order.
  static func record(
    _ number: Int, _ parameters: [String: ParameterValue], _ values: [Double], constraints: [Double] = []
  ) -> TrialRecord {
    TrialRecord(
      number: number, state: .complete, parameters: parameters, value: nil, foldValues: [], intermediate: [:],
      device: "cpu", started: Date(timeIntervalSince1970: Double(number)),
      finished: Date(timeIntervalSince1970: Double(number) + 0.5), error: nil, gridIndex: nil, lost: false,
      values: values, constraints: constraints)
  }

  /// Fronts against their definition: no point dominates another in its front, and every point
  /// of a later front is dominated by one of the front before (ties and duplicates included).
  @Test func frontsFollowTheirDefinition() {
    var generator = SeededGenerator(seed: 1, trial: 0, parameter: "points")
    for dimensions in [2, 3] {
      let points = (0..<60).map { _ in (0..<dimensions).map { _ in Double(generator.next() % 6) } }
      let fronts = Pareto.fronts(points)
      #expect(fronts.flatMap { $0 }.sorted() == Array(points.indices))
      for (level, front) in fronts.enumerated() {
        for i in front {
          #expect(!front.contains { Pareto.dominates(points[$0], points[i]) })
          if level > 0 { #expect(fronts[level - 1].contains { Pareto.dominates(points[$0], points[i]) }) }
        }
      }
    }
  }

  @Test func crowdingDistancesByHand() {
    let distance = Pareto.crowdingDistance([[0, 3], [1, 2], [2, 1], [3, 0]])
    #expect(distance[0] == .infinity && distance[3] == .infinity)
    #expect(abs(distance[1] - 4.0 / 3) < 1e-12 && abs(distance[2] - 4.0 / 3) < 1e-12)
  }

  /// Inclusion–exclusion over every subset: the plainest exact hypervolume, for small sets.
  static func inclusionExclusion(_ points: [[Double]], _ reference: [Double]) -> Double {
    var total = 0.0
    for mask in 1..<(1 << points.count) {
      let chosen = points.indices.filter { mask & (1 << $0) != 0 }.map { points[$0] }
      let corner = reference.indices.map { d in chosen.map { $0[d] }.max()! }
      let volume = zip(reference, corner).map { max(0, $0 - $1) }.reduce(1, *)
      total += chosen.count % 2 == 1 ? volume : -volume
    }
    return total
  }

  @Test func hypervolumeIsExact() {
    #expect(Pareto.hypervolume([[1, 3], [2, 2], [3, 1]], reference: [4, 4]) == 6)
    #expect(abs(Pareto.hypervolume([[0, 0, 0.5], [0.5, 0.5, 0]], reference: [1, 1, 1]) - 0.625) < 1e-12)
    #expect(Pareto.hypervolume([[5, 0]], reference: [4, 4]) == 0)
    var generator = SeededGenerator(seed: 2, trial: 0, parameter: "points")
    for dimensions in [2, 3, 4] {
      for _ in 0..<20 {
        let points = (0..<7).map { _ in (0..<dimensions).map { _ in generator.unit() } }
        let reference = Array(repeating: 1.1, count: dimensions)
        let exact = Self.inclusionExclusion(points, reference)
        #expect(abs(Pareto.hypervolume(points, reference: reference) - exact) < 1e-12 * max(1, exact))
      }
    }
  }

  /// ZDT1 (Zitzler, Deb & Thiele, 2000) in 6 variables on [0, 1]: its front is f₂ = 1 − √f₁, whose
  /// hypervolume up to (1.1, 1.1) is 0.1 + 2/3 + 0.11 ≈ 0.8767.
  static func zdt1(_ x: [Double]) -> [Double] {
    let g = 1 + 9 * x.dropFirst().reduce(0, +) / Double(x.count - 1)
    return [x[0], g * (1 - (x[0] / g).squareRoot())]
  }

  /// Runs `sampler` for `trials` trials of `f` over [0, 1]^`dimension` as one worker does, with
  /// the study's history in memory; returns the trials.
  static func run(
    _ sampler: any Sampler, trials: Int, dimension: Int, constraint: (([Double]) -> Double)? = nil,
    _ f: ([Double]) -> [Double]
  ) throws -> [TrialRecord] {
    let space = (0..<dimension).map { Hyperparameter("x\($0)", .float(low: 0, high: 1)) }
    var history: [TrialRecord] = []
    for number in 0..<trials {
      let context = SamplingContext(
        trial: number, gridIndex: nil, history: history, direction: .minimize, directions: [.minimize, .minimize])
      let joint = try sampler.sampleRelative(space, context)
      var parameters: [String: ParameterValue] = [:]
      for parameter in space {
        parameters[parameter.name] = try joint[parameter.name] ?? sampler.sample(parameter, context)
      }
      let x = space.map { parameters[$0.name]!.number! }
      history.append(Self.record(number, parameters, f(x), constraints: constraint.map { [$0(x)] } ?? []))
    }
    return history
  }

  static func hypervolume(_ trials: [TrialRecord]) -> Double {
    Pareto.hypervolume(
      Pareto.front(trials, directions: [.minimize, .minimize]).map(\.values), reference: [1.1, 1.1])
  }

  /// 1 200 trials (population 40, 30 generations) reach most of ZDT1's front's hypervolume, where
  /// random search with as many gets almost none. For scale, pymoo 0.6's NSGA-II with the same
  /// population and generations reached 0.827, 0.739 and 0.829 (seeds 0–2; this one 0.819, 0.700,
  /// 0.786): the bounds are a mean of 0.74 and 0.65 for each seed.
  @Test func nsgaIIApproachesZDT1sFront() throws {
    var (report, volumes) = ([String](), [Double]())
    for seed in UInt64(0)..<3 {
      let nsga = Self.hypervolume(
        try Self.run(try NSGAIISampler(seed: seed, population: 40), trials: 1_200, dimension: 6, Self.zdt1))
      let random = Self.hypervolume(try Self.run(RandomSampler(seed: seed), trials: 1_200, dimension: 6, Self.zdt1))
      report.append(String(format: "seed %d: NSGA-II %.4f, random %.4f", seed, nsga, random))
      volumes.append(nsga)
      #expect(nsga > 0.65 && nsga > random + 0.5, "\(report.last!)")
    }
    #expect(volumes.reduce(0, +) / 3 > 0.74, "\(report)")
    print("ZDT1 hypervolume after 1200 trials (front 0.8767): \(report.joined(separator: "; "))")
  }

  /// Constrained domination: minimizing x and y on [0, 1]² subject to x + y ≥ 1, the front is
  /// feasible and near the line x + y = 1, whose hypervolume up to (1, 1) is ½.
  @Test func constraintsKeepTheFrontFeasible() throws {
    let trials = try Self.run(
      try NSGAIISampler(seed: 5, population: 20), trials: 600, dimension: 2, constraint: { 1 - $0[0] - $0[1] }
    ) { $0 }
    let front = Pareto.front(trials, directions: [.minimize, .minimize])
    #expect(front.count >= 10 && front.allSatisfy(\.isFeasible), "\(front.map(\.values))")
    let volume = Pareto.hypervolume(front.map(\.values), reference: [1, 1])
    #expect(volume > 0.42, "hypervolume \(volume) (0.436 when written)")
  }

  /// A study of two objectives (one maximized) in each store: values and constraints round-trip,
  /// the front is the non-dominated complete trials, a wrong count of results fails the trial
  /// naming it, and samplers or pruners that cannot rank several objectives are refused.
  @Test(arguments: TestStudies.storages.map(\.name))
  func studiesOfSeveralObjectivesInEachStore(_ kind: String) throws {
    let storage = try TestStudies.storages.first { $0.name == kind }!.make()
    let study = try Study(
      storage: storage, directions: [.minimize, .maximize], constraints: 1,
      sampler: try NSGAIISampler(seed: 3, population: 6))
    try study.optimize(trials: 30, devices: ["a", "b"]) { trial, _ in
      let x = try trial.suggestFloat("x", 0, 1)
      if trial.number == 7 { return [x] }
      return [x * x, x, 0.2 - x]
    }
    let trials = try study.trials()
    #expect(trials.count == 30)
    let failed = trials.filter { $0.state == .failed }
    #expect(failed.map(\.number) == [7])
    #expect(failed.first?.error == "the objective returned 1 values, not 3 (2 objectives and 1 constraint)")
    for trial in trials where trial.state == .complete {
      let x = trial.parameters["x"]!.number!
      #expect(trial.values == [x * x, x] && trial.constraints == [0.2 - x] && trial.value == nil)
    }
    // Minimizing x² while maximizing x: every feasible trial (x ≥ 0.2) is on the front.
    let front = try study.paretoFront()
    let feasible = trials.filter { $0.state == .complete && $0.isFeasible }
    #expect(!feasible.isEmpty && front.map(\.number) == feasible.map(\.number))
    let other = try TestStudies.storages.first { $0.name == kind }!.make()
    #expect(throws: ConfigurationError.self) {
      try Study(storage: other, directions: [.minimize, .minimize], sampler: try CMAESSampler())
    }
    #expect(throws: ConfigurationError.self) {
      try Study(
        storage: other, directions: [.minimize, .minimize], sampler: RandomSampler(), pruner: try MedianPruner())
    }
  }

  /// MOTPE's split: γ(n) trials, taken front by front, so no trial left out dominates one kept.
  @Test func tpeSplitsSeveralObjectivesByFronts() {
    var generator = SeededGenerator(seed: 4, trial: 0, parameter: "points")
    for n in [10, 25, 60] {
      let trials = (0..<n).map { number in
        Self.record(number, [:], [Double(generator.next() % 20), Double(generator.next() % 20)])
      }
      let (good, bad) = TPESampler.paretoSplit(trials, directions: [.minimize, .maximize])
      #expect(good.count == TPESampler.gamma(n) && good.count + bad.count == n)
      let minimized = { (trial: TrialRecord) in Pareto.minimized(trial, [.minimize, .maximize])! }
      #expect(!bad.contains { loser in good.contains { Pareto.dominates(minimized(loser), minimized($0)) } })
    }
  }

  /// TPE on two objectives (ZDT1 in 3 variables, 100 trials) beats random search's hypervolume on
  /// most seeds.
  @Test func tpeImprovesOnRandomSearchWithSeveralObjectives() throws {
    var (wins, report) = (0, [String]())
    for seed in UInt64(0)..<5 {
      let tpe = Self.hypervolume(try Self.run(TPESampler(seed: seed), trials: 100, dimension: 3, Self.zdt1))
      let random = Self.hypervolume(try Self.run(RandomSampler(seed: seed), trials: 100, dimension: 3, Self.zdt1))
      if tpe > random { wins += 1 }
      report.append(String(format: "seed %d: TPE %.4f, random %.4f", seed, tpe, random))
    }
    #expect(wins >= 4, "\(report)")
    print("ZDT1 (3 variables) hypervolume after 100 trials: \(report.joined(separator: "; "))")
  }

  /// ParetoPruner by hand: at step 2, (accuracy 0.7, size 50) is beaten by (0.8, 40) and stops;
  /// (0.9, 60) is beaten by no one and goes on; too few other trials, an unjudged warm-up step or
  /// another step's values judge nothing; a NaN stops.
  @Test func paretoPrunerStopsDominatedVectors() throws {
    let pruner = try ParetoPruner(directions: [.maximize, .minimize], startupTrials: 2, warmupSteps: 1)
    func trial(_ number: Int, _ values: [Int: [Double]]) -> TrialRecord {
      var record = Self.record(number, [:], [])
      (record.state, record.intermediateValues) = (.running, values)
      record.intermediate = values.mapValues { $0[0] }
      return record
    }
    let others = [trial(0, [2: [0.8, 40]]), trial(1, [2: [0.6, 30]]), trial(2, [3: [0.99, 1]])]
    #expect(pruner.shouldPrune(trial(9, [2: [0.7, 50]]), history: others, direction: .maximize))
    #expect(!pruner.shouldPrune(trial(9, [2: [0.9, 60]]), history: others, direction: .maximize))
    #expect(!pruner.shouldPrune(trial(9, [2: [0.7, 50]]), history: Array(others.prefix(1)), direction: .maximize))
    #expect(
      !pruner.shouldPrune(
        trial(9, [1: [0.1, 99]]), history: [trial(0, [1: [0.8, 40]])] + others, direction: .maximize))
    #expect(pruner.shouldPrune(trial(9, [2: [.nan, 50]]), history: others, direction: .maximize))
  }

  /// Pruning several objectives in a study (both stores): vectors reported each step round-trip,
  /// and trials beaten at a step by an earlier trial stop there, PRUNED; the first trials, which
  /// no one has beaten yet, complete.
  @Test(arguments: TestStudies.storages.map(\.name))
  func studiesPruneTrialsOthersBeat(_ kind: String) throws {
    let storage = try TestStudies.storages.first { $0.name == kind }!.make()
    let study = try Study(
      storage: storage, directions: [.minimize, .minimize], sampler: RandomSampler(seed: 2),
      pruner: try ParetoPruner(directions: [.minimize, .minimize], startupTrials: 1))
    try study.optimize(trials: 20) { trial, _ in
      let x = try trial.suggestFloat("x", 0, 1), y = try trial.suggestFloat("y", 0, 1)
      for step in 1...3 {
        try trial.report([x + Double(3 - step), y + Double(3 - step)], step: step)
        if try trial.shouldPrune { throw TrialPruned(step: step) }
      }
      return [x, y]
    }
    let trials = try study.trials()
    #expect(trials[0].state == .complete)
    let pruned = trials.filter { $0.state == .pruned }
    #expect(!pruned.isEmpty, "no trial was pruned")
    for trial in trials {
      let (x, y) = (trial.parameters["x"]!.number!, trial.parameters["y"]!.number!)
      for (step, values) in trial.intermediateValues {
        #expect(values == [x + Double(3 - step), y + Double(3 - step)] && trial.intermediate[step] == values[0])
      }
      // A pruned trial was beaten at its last step by a trial that reported that step before it.
      guard trial.state == .pruned, let step = trial.lastStep else { continue }
      let mine = trial.intermediateValues[step]!
      #expect(
        trials.contains {
          $0.number < trial.number && $0.intermediateValues[step].map { Pareto.dominates($0, mine) } == true
        })
    }
  }

  /// The same seed and results give the same suggestions; a second study object (another
  /// process) joining continues the same replay.
  @Test func theSameSeedGivesTheSameStudy() throws {
    func study(_ path: String) throws -> Study {
      try Study(
        storage: try SQLiteStorage(path: path), directions: [.minimize, .minimize],
        sampler: try NSGAIISampler(seed: 9, population: 8))
    }
    let objective: @Sendable (inout Trial, Int) throws -> [Double] = { trial, _ in
      Self.zdt1(try (0..<3).map { try trial.suggestFloat("x\($0)", 0, 1) })
    }
    let (one, two) = (try TestStudies.folder() + "/a.sqlite", try TestStudies.folder() + "/b.sqlite")
    try study(one).optimize(trials: 40, objectives: objective)
    try study(two).optimize(trials: 25, objectives: objective)
    try study(two).optimize(trials: 40, objectives: objective)
    #expect(try study(one).trials().map(\.parameters) == study(two).trials().map(\.parameters))
  }
}
