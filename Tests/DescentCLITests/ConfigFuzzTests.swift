import CommandFlags
@testable import DescentCLI
import DescentTuning
import Foundation
import TestSupport
import Testing

/// Mutation fuzzing of `descent train --config FILE` (`Mutator.cases` cases): every mutated JSON
/// file is read as `TrainConfiguration` is, and must give a configuration or a `UsageError`,
/// never a trap or a hang.
@Suite(.timeLimit(.minutes(5)))
struct ConfigFuzzTests {
  static let seeds = [
    #"{"hidden": [256, 128], "activation": "relu", "dropout": 0.2, "epochs": 15, "batch-size": 128, "learning-rate": "#
      + #"0.001, "schedule": "cosine", "warmup": 100, "amsgrad": true, "seed": 7}"#,
    #"{"optimizer": "sgd", "momentum": 0.9, "schedule": "step:5,0.5", "penalty": "elastic:0.001,0.01", "clip-norm": "#
      + #"1.5, "validation": 0.1, "early-stopping": 3, "augment": "shift=2,flip,noise=0.05", "limit": 1000}"#,
    #"{"schedule": "multistep:3;6;9,0.1", "epochs": 12, "quiet": false, "hidden": "64,32", "beta1": 0.8, "beta2": "#
      + #"0.99, "weight-decay": 0.0001}"#,
  ].map { Array($0.utf8) }

  @Test func configFiles() throws {
    let path = NSTemporaryDirectory() + "descent-fuzz-config-\(getpid()).json"
    var mutator = Mutator(seed: 0xC0F1)
    var accepted = 0
    try mutator.run(Self.seeds, text: true, current: path) { _, _ in
      do {
        _ = try TrainConfiguration(["--config", path])
        accepted += 1
      } catch is UsageError {}
    }
    // Many mutations break the JSON; some must still be accepted, or only the parser is tested.
    #expect(accepted > Mutator.cases / 40, "\(accepted) of \(Mutator.cases) mutated configs accepted")
  }

  static let spaceSeeds = [
    #"{"epochs": 3, "backend": "cpu", "learning-rate": {"float": [1e-4, 1e-1], "log": true}, "batch-size": "#
      + #"{"choice": [32, 64, 128, 256]}, "hidden": {"layers": {"int": [1, 3]}, "units": {"int": [32, 512], "#
      + #""log": true}}, "dropout": {"float": [0, 0.5], "step": 0.05}, "optimizer": {"choice": ["adam", "sgd"]}, "#
      + #""momentum": {"float": [0.5, 0.99], "when": {"optimizer": "sgd"}}}"#,
    #"{"optimizer": {"choice": ["adamw", "lion", "rmsprop"]}, "weight-decay": {"float": [0, 0.1]}, "activation": "#
      + #"{"choice": ["relu", "gelu", "mish"]}, "schedule": {"choice": ["cosine", "step:2,0.5"]}, "warmup": "#
      + #"{"int": [0, 4], "step": 2}, "hidden": [64, 32], "clip-norm": 1.5}"#,
    #"{"penalty": {"choice": ["l2:0.001", "elastic:0.001,0.01"]}, "early-stopping": {"int": [2, 5]}, "seed": "#
      + #"{"int": [1, 1000], "log": true}, "beta1": {"float": [0.8, 0.95], "when": {"optimizer": ["adam"]}}, "#
      + #""optimizer": {"choice": ["adam", "adamw"]}, "amsgrad": true, "nesterov": false}"#,
  ].map { Array($0.utf8) }

  /// A point of `space`: each active parameter at a random value of its domain (an end, or
  /// inside, on its step), in declared order so conditions see the values they name.
  static func point(_ space: SearchSpace, _ random: inout Mutator) -> [String: ParameterValue] {
    var values: [String: ParameterValue] = [:]
    for parameter in space.parameters where parameter.isActive(given: values) {
      switch parameter.domain {
      case let .categorical(choices): values[parameter.name] = choices[random.below(choices.count)]
      case let .int(low, high, _, step):
        values[parameter.name] = .int(low + step * random.below((high - low) / step + 1))
      case let .float(low, high, _, step):
        let fraction = [0, 1, Double(random.below(1000)) / 1000][random.below(3)]
        var value = low + (high - low) * fraction
        if let step { value = min(high, low + (((value - low) / step).rounded(.down)) * step) }
        values[parameter.name] = .float(value)
      }
    }
    return values
  }

  /// Mutated `--space` files (`Mutator.cases` cases): each is refused with a `UsageError` before
  /// any trial, or every point of it (ends and inner points, three per space) is a set of flags
  /// `descent train` accepts, as each trial needs: a key a trial cannot apply is refused up front.
  @Test func spaceFiles() throws {
    let path = NSTemporaryDirectory() + "descent-fuzz-space-\(getpid()).json"
    var mutator = Mutator(seed: 0x5BACE), points = Mutator(seed: 0x9017)
    var accepted = 0
    try mutator.run(Self.spaceSeeds, text: true, current: path) { _, caseNumber in
      let space: TuneSpace
      do {
        space = try TuneSpace(path: path)
      } catch is UsageError {
        return
      }
      accepted += 1
      for _ in 0..<3 {
        let options = space.options(Self.point(space.space, &points))
        do {
          _ = try TrainConfiguration(options)
        } catch {
          Issue.record("case \(caseNumber): accepted space, refused trial flags \(options): \(error)")
        }
      }
    }
    #expect(accepted > Mutator.cases / 40, "\(accepted) of \(Mutator.cases) mutated spaces accepted")
  }

  /// Values of the wrong JSON type, malformed lists and numbers past `Int` are errors naming the key.
  @Test func strictValues() throws {
    let cases: [(String, String)] = [
      (#"{"epochs": true}"#, #""epochs" must be a number or a string, not"#),
      (#"{"nesterov": 1}"#, #""nesterov" must be true or false"#),
      (#"{"hidden": [256, true]}"#, #""hidden" must be a number or a string, not"#),
      (#"{"hidden": "256,,128"}"#, "is not a comma-separated list of positive sizes"),
      (#"{"penalty": "l2:0.1,abc"}"#, "is not l1:L, l2:L or elastic:L1,L2"),
      (#"{"schedule": "step:1e300,0.5"}"#, "is not a schedule"),
      (#"{"schedule": "multistep:3;;9,0.1"}"#, "is not a schedule"),
      (#"{"dropout": null}"#, #""dropout" must be a number or a string, not"#),
    ]
    let path = NSTemporaryDirectory() + "descent-strict-config-\(getpid()).json"
    defer { try? FileManager.default.removeItem(atPath: path) }
    for (json, expected) in cases {
      try Data(json.utf8).write(to: URL(fileURLWithPath: path))
      let error = #expect(throws: UsageError.self, "\(json)") { try TrainConfiguration(["--config", path]) }
      #expect(error?.message.contains(expected) == true, "\(json): \(error?.message ?? "no error")")
    }
  }
}
