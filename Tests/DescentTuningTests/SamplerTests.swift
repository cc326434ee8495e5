import Foundation
@testable import DescentTuning
import Testing

/// Samplers on analytic functions with known optima.
struct SamplerTests {
  /// Hartmann-3 on [0, 1]³: minimum −3.86278 at (0.114614, 0.555649, 0.852547).
  static func hartmann3(_ x: [Double]) -> Double {
    let alpha = [1.0, 1.2, 3.0, 3.2]
    let a = [[3.0, 10, 30], [0.1, 10, 35], [3.0, 10, 30], [0.1, 10, 35]]
    let p = [
      [0.3689, 0.1170, 0.2673], [0.4699, 0.4387, 0.7470], [0.1091, 0.8732, 0.5547], [0.0381, 0.5743, 0.8828],
    ]
    var total = 0.0
    for i in 0..<4 {
      var exponent = 0.0
      for j in 0..<3 { exponent -= a[i][j] * (x[j] - p[i][j]) * (x[j] - p[i][j]) }
      total -= alpha[i] * exp(exponent)
    }
    return total
  }

  /// Branin on [−5, 10] × [0, 15]: minimum 0.397887 at three points.
  static func branin(_ x: Double, _ y: Double) -> Double {
    let (b, c, t) = (5.1 / (4 * Double.pi * Double.pi), 5 / Double.pi, 1 / (8 * Double.pi))
    return pow(y - b * x * x + c * x - 6, 2) + 10 * (1 - t) * cos(x) + 10
  }

  static let cube = try! SearchSpace(["x", "y", "z"].map { Hyperparameter($0, .float(low: 0, high: 1)) })

  static func best(_ trials: [TrialRecord]) -> Double { trials.compactMap(\.value).min()! }

  /// Optuna's `default_gamma`: the best ⌈0.1·n⌉ of n finished trials form l(x), at most 25.
  @Test func tpeSplitsOffTheBestTenthRoundedUp() {
    let expected = [1: 1, 9: 1, 10: 1, 11: 2, 15: 2, 20: 2, 21: 3, 240: 24, 241: 25, 250: 25, 1000: 25]
    for (n, size) in expected {
      #expect(TPESampler.gamma(n) == size, "γ(\(n))")
    }
  }

  @Test func tpeBeatsRandomSearchOnHartmann3() throws {
    var wins = 0, report: [String] = []
    for seed in UInt64(0)..<10 {
      let objective: @Sendable ([String: ParameterValue]) -> Double = { p in
        Self.hartmann3(["x", "y", "z"].map { p[$0]!.number! })
      }
      let tpe = Self.best(
        try TestStudies.run(Self.cube, sampler: TPESampler(seed: seed), trials: 40, objective: objective))
      let random = Self.best(
        try TestStudies.run(Self.cube, sampler: RandomSampler(seed: seed), trials: 40, objective: objective))
      if tpe < random { wins += 1 }
      report.append(String(format: "seed %d: TPE %.4f random %.4f", seed, tpe, random))
    }
    print(report.joined(separator: "\n"))
    #expect(wins >= 8, "TPE won \(wins) of 10:\n\(report.joined(separator: "\n"))")
  }

  @Test func tpeFindsBraninsValleyWithSteppedAndLogParameters() throws {
    let space = try SearchSpace([
      Hyperparameter("x", .float(low: -5, high: 10, step: 0.05)),
      Hyperparameter("y", .float(low: 0.5, high: 15, log: true)),
    ])
    let trials = try TestStudies.run(space, sampler: TPESampler(seed: 1), trials: 60) { p in
      Self.branin(p["x"]!.number!, p["y"]!.number!)
    }
    #expect(Self.best(trials) < 1.0, "best \(Self.best(trials))")
    for trial in trials {
      let x = trial.parameters["x"]!.number!
      #expect(abs((x + 5) / 0.05 - ((x + 5) / 0.05).rounded()) < 1e-6, "\(x) is off the 0.05 grid")
      #expect(trial.parameters["y"]!.number! >= 0.5 && trial.parameters["y"]!.number! <= 15)
    }
  }

  /// A categorical + conditional toy: only `b` with `w` near 7 (int, log) and `m` near 0.3 scores 0.
  @Test func tpeHandlesCategoricalAndConditionalParameters() throws {
    let space = try SearchSpace([
      Hyperparameter("kind", .categorical([.string("a"), .string("b"), .string("c")])),
      Hyperparameter("m", .float(low: 0, high: 1), when: ["kind": [.string("b")]]),
      Hyperparameter("w", .int(low: 1, high: 64, log: true)),
    ])
    let objective: @Sendable ([String: ParameterValue]) -> Double = { p in
      let w = log(p["w"]!.number!) - log(7.0)
      switch p["kind"]! {
      case .string("b"): return abs(p["m"]!.number! - 0.3) + w * w
      case .string("a"): return 1 + w * w
      default: return 2
      }
    }
    var tpeWins = 0
    for seed in UInt64(0)..<5 {
      let tpe = try TestStudies.run(space, sampler: TPESampler(seed: seed), trials: 40, objective: objective)
      let random = try TestStudies.run(space, sampler: RandomSampler(seed: seed), trials: 40, objective: objective)
      if Self.best(tpe) < Self.best(random) { tpeWins += 1 }
      for trial in tpe + random {
        #expect((trial.parameters["m"] != nil) == (trial.parameters["kind"] == .string("b")), "\(trial.parameters)")
      }
      // after the start-up trials TPE mostly picks the good category
      #expect(tpe.suffix(20).filter { $0.parameters["kind"] == .string("b") }.count >= 12)
    }
    #expect(tpeWins >= 4)
  }

  @Test func theSameSeedGivesTheSameSuggestions() throws {
    let objective: @Sendable ([String: ParameterValue]) -> Double = { p in
      Self.hartmann3(["x", "y", "z"].map { p[$0]!.number! })
    }
    for sampler in [TPESampler(seed: 7) as any Sampler, RandomSampler(seed: 7)] {
      let first = try TestStudies.run(Self.cube, sampler: sampler, trials: 15, objective: objective).map(\.parameters)
      let second = try TestStudies.run(Self.cube, sampler: sampler, trials: 15, objective: objective).map(\.parameters)
      #expect(first == second)
    }
    let other = try TestStudies.run(Self.cube, sampler: RandomSampler(seed: 8), trials: 15, objective: objective).map(
      \.parameters)
    let seven = try TestStudies.run(Self.cube, sampler: RandomSampler(seed: 7), trials: 15, objective: objective).map(
      \.parameters)
    #expect(other != seven)
  }

  /// Constant liar: trials RUNNING elsewhere count as bad at their values, so proposals move away
  /// from points other workers are already trying. Twenty finished trials of (x − 0.3)² and six
  /// running at x = 0.3: without the liar TPE keeps proposing near 0.3, with it further out.
  @Test func theConstantLiarSteersAwayFromRunningTrials() throws {
    let x = Hyperparameter("x", .float(low: 0, high: 1))
    func record(_ number: Int, _ value: Double, running: Bool) -> TrialRecord {
      TrialRecord(
        number: number, state: running ? .running : .complete, parameters: ["x": .float(value)],
        value: running ? nil : (value - 0.3) * (value - 0.3), foldValues: [], intermediate: [:], device: "cpu",
        started: Date(), finished: nil, error: nil, gridIndex: nil, lost: false)
    }
    let history =
      (0..<20).map { record($0, Double($0) / 19, running: false) } + (20..<26).map { record($0, 0.3, running: true) }
    func meanDistance(liar: Bool) throws -> Double {
      let sampler = TPESampler(seed: 5, constantLiar: liar)
      let draws = try (100..<300).map { trial in
        try sampler.sample(x, SamplingContext(trial: trial, gridIndex: nil, history: history, direction: .minimize))
          .number!
      }
      return draws.map { abs($0 - 0.3) }.reduce(0, +) / Double(draws.count)
    }
    let (without, with) = (try meanDistance(liar: false), try meanDistance(liar: true))
    #expect(with > 1.5 * without, "mean distance from the running point: \(with) with the liar, \(without) without")
  }

  @Test func gridVisitsExactlyItsPoints() throws {
    let space = try SearchSpace([
      Hyperparameter("optimizer", .categorical([.string("adam"), .string("sgd")])),
      Hyperparameter("momentum", .float(low: 0.5, high: 0.9, step: 0.2), when: ["optimizer": [.string("sgd")]]),
      Hyperparameter("units", .int(low: 16, high: 64, step: 16)),
    ])
    let sampler = try GridSampler(space)
    // more trials requested than points: the grid ends the study
    let trials = try TestStudies.run(space, sampler: sampler, trials: 100) { _ in 0 }
    #expect(trials.count == sampler.points.count && trials.count == 4 + 12)
    #expect(Set(trials.map(\.parameters)) == Set(sampler.points))
  }

  @Test func randomDrawsStayInTheirDomains() throws {
    let space = try SearchSpace([
      Hyperparameter("lr", .float(low: 1e-5, high: 1e-1, log: true)),
      Hyperparameter("units", .int(low: 8, high: 512, log: true)),
      Hyperparameter("batch", .int(low: 32, high: 256, step: 32)),
      Hyperparameter("flag", .categorical([.bool(true), .bool(false)])),
    ])
    let trials = try TestStudies.run(space, sampler: RandomSampler(seed: 3), trials: 200) { _ in 0 }
    for trial in trials {
      for parameter in space.parameters { #expect(parameter.domain.contains(trial.parameters[parameter.name]!)) }
    }
    // log-uniform: about half the rates below the geometric middle 1e-3
    let low = trials.filter { $0.parameters["lr"]!.number! < 1e-3 }.count
    #expect(low > 70 && low < 130, "\(low) of 200 below 1e-3")
    #expect(Set(trials.map { $0.parameters["batch"]! }).count == 8)
  }
}
