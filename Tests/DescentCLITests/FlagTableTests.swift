import CommandFlags
import Descent
@testable import DescentCLI
import Foundation
import Testing

/// `FlagTable`: one description per flag that parses, checks, reads `--config` and writes `--help`.
struct FlagTableTests {
  struct Settings {
    var size = 1
    var name: String?
    var loud = false
    var widths: [Int] = []
  }

  static let table = FlagTable<Settings>(
    "demo", acceptsConfig: true,
    [
      .value("size", "1", "a size", \.size, expected: "a whole number >= 1") { $0 >= 1 },
      .value("name", "TEXT", "a name", \.name, expected: "a name", required: true),
      .toggle("loud", "say it loudly", \.loud),
      Flag("width", "W1,W2", "widths, repeatable", kind: .list, repeatable: true) { settings, text in
        let widths = text.split(separator: ",").compactMap { Int($0) }
        guard !widths.isEmpty else { return "whole numbers" }
        settings.widths += widths
        return nil
      },
    ])

  func parse(_ arguments: [String]) throws -> Settings {
    var settings = Settings()
    try Self.table.parse(arguments, into: &settings)
    return settings
  }

  func message(_ arguments: [String]) -> String? {
    do {
      _ = try parse(arguments)
      return nil
    } catch let error as UsageError {
      return error.message
    } catch {
      return "\(error)"
    }
  }

  @Test func valuesSwitchesAndRepeats() throws {
    let settings = try parse(["--name", "x", "--size", "3", "--loud", "--width", "4", "--width", "5"])
    #expect(settings.size == 3 && settings.name == "x" && settings.loud && settings.widths == [4, 5])
  }

  @Test func mistakesNameTheFlag() {
    #expect(message(["--size", "2"]) == "--name is required")
    #expect(message(["--name", "x", "--size", "0"]) == "--size: '0' is not a whole number >= 1")
    #expect(message(["--name", "x", "--name", "y"]) == "--name is given twice")
    #expect(message(["--name", "x", "--colour", "red"]) == "unknown option '--colour' for 'demo'")
    #expect(message(["--name"]) == "--name needs a value")
    #expect(message(["--name", "x", "loose"]) == "unexpected argument 'loose' for 'demo'")
  }

  /// A config file sets the same keys (a JSON Boolean for a switch, a list for a list flag);
  /// flags override it, whatever their order.
  @Test func configFilesUseTheSameKeys() throws {
    let path = NSTemporaryDirectory() + "descent-flag-table-\(getpid()).json"
    defer { try? FileManager.default.removeItem(atPath: path) }
    try Data(#"{"name": "file", "size": 7, "loud": true, "width": [1, 2]}"#.utf8).write(to: URL(fileURLWithPath: path))
    let settings = try parse(["--size", "9", "--config", path])
    #expect(settings.name == "file" && settings.size == 9 && settings.loud && settings.widths == [1, 2])
    try Data(#"{"name": "file", "loud": 1}"#.utf8).write(to: URL(fileURLWithPath: path))
    #expect(message(["--config", path]) == "\(path): \"loud\" must be true or false")
    try Data(#"{"name": "file", "volume": 11}"#.utf8).write(to: URL(fileURLWithPath: path))
    #expect(message(["--config", path]) == "\(path): \"volume\" is not a setting of 'demo'")
  }

  /// Every flag in `--help`, once, its description aligned; a long head pushes it right.
  @Test func helpListsEveryFlagOnce() {
    let lines = Self.table.help.split(separator: "\n").map(String.init)
    let config = "  --config FILE          JSON file with any of the settings below (keys without the dashes)"
    #expect(lines.first == config)
    #expect(lines.contains("  --size 1               a size"))
    #expect(lines.contains("  --loud                 say it loudly"))
    for command in [TrainConfiguration.flags.help, TuneCommand.flags.help, PredictCommand.flags.help] {
      let heads = command.split(separator: "\n").compactMap { $0.split(separator: " ").first }.filter {
        $0.hasPrefix("--")
      }
      #expect(heads.count == Set(heads).count)
    }
  }

  /// Each optimizer hyperparameter is a `descent train` flag with a description; the optimizer
  /// list, the flags and their defaults are derived from the types.
  @Test func optimizerFlagsAreDerived() throws {
    for (name, _) in OptimizerChoices.hyperparameters {
      #expect(OptimizerChoices.descriptions[name] != nil, "\(name) needs a description")
      #expect(TrainConfiguration.flags.flag(OptimizerChoices.flagName(name)) != nil, "\(name)")
    }
    #expect(OptimizerChoices.flagName("learningRateDecay") == "learning-rate-decay")
    let adamax = try #require(
      try TrainConfiguration(["--optimizer", "adamax", "--beta2", "0.99"]).makeOptimizer() as? Adamax)
    #expect(adamax.learningRate == 0.002 && adamax.beta2 == 0.99 && adamax.epsilon == 1e-8)
    let sgd = try #require(try TrainConfiguration(["--optimizer", "sgd", "--nesterov"]).makeOptimizer() as? SGD)
    #expect(sgd.momentum == 0.9 && sgd.nesterov, "descent train's SGD default: momentum 0.9")
    let rmsprop = try #require(
      try TrainConfiguration(["--optimizer", "rmsprop", "--centered", "--alpha", "0.9"]).makeOptimizer() as? RMSprop)
    #expect(rmsprop.centered && rmsprop.alpha == 0.9 && rmsprop.momentum == 0)
    #expect(TrainConfiguration.help.contains("default 0.999 for adam, adamw, adamax; 0.99 for lion"))
    #expect(try TrainConfiguration(["--activation", "mish"]).activation == .mish)
  }
}
