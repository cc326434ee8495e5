import Descent
import Foundation
import TestSupport
import Testing

/// `descent ensemble` end to end: a cross-validated `descent tune` study on a CSV file with text
/// columns keeps its trials' models, the command builds one model file from them, and predict,
/// evaluate and export take that file as they take a single model.
struct EnsembleCommandTests {
  let cli = CommandLineTests()
  static let space =
    #"{"epochs": 6, "backend": "cpu", "batch-size": 16, "hidden": {"layers": {"int": [1, 2]}, "#
    + #""units": {"int": [4, 16]}}, "learning-rate": {"float": [3e-3, 1e-1], "log": true}}"#

  /// `descent ensemble` killed with SIGKILL at 8 seeded moments within its usual run time: the
  /// study (read only) is unchanged to the byte, and the output file is absent or a whole ensemble.
  func expectKillsLeaveNothingHalfDone(_ command: [String], seconds: Double, folder: String) throws {
    let store = "\(folder)/study.sqlite", output = "\(folder)/killed.safetensors"
    let before = try Data(contentsOf: URL(fileURLWithPath: store))
    let seed = TestSeed.make()
    var random = Mutator(seed: seed)
    for _ in 0..<8 {
      let process = Process()
      process.executableURL = Bundle.main.bundleURL.appendingPathComponent("descent")
      process.arguments = command.map { $0.hasSuffix("/ensemble.safetensors") ? output : $0 }
      (process.standardOutput, process.standardError) = (FileHandle.nullDevice, FileHandle.nullDevice)
      try process.run()
      usleep(UInt32(Double.random(in: 0...seconds, using: &random) * 1e6))
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
      if FileManager.default.fileExists(atPath: output) {
        #expect(
          (try? ModelFile.load(contentsOf: output, backend: CPUBackend())) is Ensemble,
          "a killed run left a damaged \(output); \(TestSeed.replay(seed))")
      }
    }
    #expect(try Data(contentsOf: URL(fileURLWithPath: store)) == before, "\(TestSeed.replay(seed))")
  }

  /// A number after `label` in `text` (`accuracy 0.9167`).
  func number(after label: String, in text: Substring) -> Double? {
    guard let range = text.range(of: label + " ") else { return nil }
    return Double(text[range.upperBound...].prefix { $0.isNumber || $0 == "." })
  }

  @Test func aTuneStudyBecomesOneModelFile() throws {
    let folder = try TrainCommandTests.temporaryFolder()
    let space = "\(folder)/space.json"
    try Data(Self.space.utf8).write(to: URL(fileURLWithPath: space))
    let penguins = MixedColumnsTests.penguins
    let tuned = try cli.run([
      "tune", "--space", space, "--data", penguins, "--label", "species", "--cv", "2", "--trials", "5",
      "--sampler", "random", "--pruner", "none", "--workers", "1", "--output", folder, "--quiet",
    ])
    #expect(tuned.status == 0, "\(tuned.error)")
    let path = "\(folder)/ensemble.safetensors"
    let command = [
      "ensemble", "--storage", "\(folder)/study.sqlite", "--output", path, "--test-data", penguins, "--picks", "10",
    ]
    let started = Date()
    let built = try cli.run(command)
    #expect(built.status == 0, "\(built.error)")
    try expectKillsLeaveNothingHalfDone(command, seconds: Date().timeIntervalSince(started), folder: folder)
    let lines = built.output.split(separator: "\n")
    #expect(lines.first?.contains("choosing from the best 5 finished trials") == true, "\(built.output)")
    // Validation rows: the study's tuning rows (80% of 90), each predicted by the fold model that did not train on it.
    let validation = try #require(lines.first { $0.hasPrefix("validation (72 rows): best trial ") }, "\(built.output)")
    let halves = validation.split(separator: "; ensemble ")
    let (singleLoss, ensembleLoss) = (number(after: "loss", in: halves[0]), number(after: "loss", in: halves[1]))
    #expect(try #require(ensembleLoss) <= #require(singleLoss), "\(validation)")
    let test = try #require(lines.first { $0.hasPrefix("test (90 rows): best trial ") }, "\(built.output)")
    let ensembleAccuracy = try #require(number(after: "ensemble accuracy", in: test))

    let model = try #require(try ModelFile.load(contentsOf: path, backend: CPUBackend()) as? Ensemble)
    #expect(model.members.count % 2 == 0 && model.output.classNames == ["Adelie", "Chinstrap", "Gentoo"])
    #expect(model.preprocessing.encoding != nil && abs(model.weights.reduce(0, +) - 1) < 1e-12)
    // evaluate scores the file as the command did; predict gives one row per input row.
    let evaluated = try cli.run(["evaluate", "--model", path, "--input", penguins, "--svg", "\(folder)/m.svg"])
    let percent = try #require(evaluated.output.firstMatch(of: /accuracy ([0-9.]+)%/).flatMap { Double($0.1) })
    #expect(abs(percent - 100 * ensembleAccuracy) < 0.01, "\(evaluated.output) vs \(test)")
    let predicted = try cli.run(["predict", "--model", path, "--input", penguins, "--probabilities"])
    #expect(predicted.status == 0 && predicted.output.split(separator: "\n").count == 91, "\(predicted.error)")
    let logits = try cli.run(["predict", "--model", path, "--input", penguins, "--logits"])
    #expect(logits.status == 64 && logits.error.contains("is an ensemble, so its outputs are probabilities"))
    let exported = try cli.run(["export", "--model", path, "--output", "\(folder)/e.onnx"])
    #expect(
      exported.status == 0 && exported.output.contains("\"island\" [batch, 1] string")
        && exported.output.hasSuffix("output \"outputs\" [batch, 3]\n"), "\(exported.output) \(exported.error)")
  }

  @Test func studiesWithoutKeptTrialsAndBadFlagsAreClearErrors() throws {
    let folder = try TrainCommandTests.temporaryFolder()
    let space = "\(folder)/space.json"
    try Data(Self.space.utf8).write(to: URL(fileURLWithPath: space))
    let store = "\(folder)/study.sqlite"
    let created = try cli.run(["tune", "--space", space, "--storage", store, "--study", "empty", "--create"])
    #expect(created.status == 0, "\(created.error)")
    let empty = try cli.run(["ensemble", "--storage", store, "--study", "empty"])
    #expect(
      empty.status == 1 && empty.error.contains("study 'empty' has no finished trial with kept validation predictions"),
      "\(empty.error)")
    let unknown = try cli.run(["ensemble", "--storage", store, "--study", "nope"])
    #expect(unknown.status == 1 && unknown.error.contains("no study 'nope' in \(store) (it holds: empty)"))
    let noStorage = try cli.run(["ensemble"])
    #expect(noStorage.status == 64 && noStorage.error.contains("--storage"), "\(noStorage.error)")
    let same = try cli.run(["ensemble", "--storage", store, "--output", space, "--test-data", space])
    #expect(same.status == 64 && same.error.contains("is the --test-data file"), "\(same.error)")
    for (flag, value) in [("--top", "0"), ("--picks", "-1"), ("--loss", "mse")] {
      let refused = try cli.run(["ensemble", "--storage", store, flag, value])
      #expect(refused.status == 64 && refused.error.contains(flag), "\(refused.error)")
    }
  }
}
