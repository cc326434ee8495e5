import CommandFlags
@testable import DescentCLI
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
