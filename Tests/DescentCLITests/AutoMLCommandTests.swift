import Descent
import DescentTuning
import Foundation
import Testing

@testable import DescentCLI

/// `descent automl`: the space it fits to the data, and a short run end to end on a pandas-written
/// CSV file with text columns.
struct AutoMLCommandTests {
  let cli = CommandLineTests()

  /// Each fitted space is one `descent tune` accepts, and it follows the data: wider layers for
  /// more inputs, more epochs and smaller batches for fewer rows.
  @Test func theSpaceFollowsTheData() throws {
    let shapes = [(rows: 120, features: 8), (rows: 8_000, features: 60), (rows: 48_000, features: 784)]
    let spaces = try shapes.map { shape in
      let fitted = AutoMLSpace(rows: shape.rows, features: shape.features, outputs: 3, searchSeconds: 480)
      return (fitted, try TuneSpace(json: Data(fitted.json.utf8), source: "the automl space"))
    }
    #expect(spaces.map(\.0.epochs) == [40, 25, 10])
    // A shorter budget, fewer epochs (never below 3).
    #expect(AutoMLSpace(rows: 48_000, features: 784, outputs: 10, searchSeconds: 96).epochs == 3)
    #expect(AutoMLSpace(rows: 48_000, features: 784, outputs: 10, searchSeconds: 2880).epochs == 15)
    #expect(spaces.map(\.0.units.1) == [256, 512, 1024] && spaces.map(\.0.batchSizes.first!) == [16, 32, 64])
    for (_, space) in spaces {
      #expect(
        Set(space.space.parameters.map(\.name)).isSuperset(of: [
          "hidden.layers", "activation", "dropout", "optimizer", "learning-rate", "momentum", "weight-decay",
          "schedule", "batch-size",
        ]))
    }
    #expect(AutoMLCommand.seconds("90s") == 90 && AutoMLCommand.seconds("1.5h") == 5400)
    #expect(AutoMLCommand.seconds("10m") == 600 && AutoMLCommand.seconds("42") == 42)
    #expect(AutoMLCommand.seconds("0m") == nil && AutoMLCommand.seconds("ten") == nil)
  }

  /// A short budget on a small table: 5-fold cross-validated trials, an ensemble model file that
  /// evaluate reads, its ONNX export and the leaderboard; run again, the study continues.
  @Test func aSmallTableBecomesAnEnsembleWithinTheBudget() throws {
    let folder = try TrainCommandTests.temporaryFolder()
    let arguments = [
      "automl", "--data", MixedColumnsTests.penguins, "--label", "species", "--time", "6s", "--output", folder,
      "--workers", "2", "--quiet",
    ]
    let first = try cli.run(arguments)
    #expect(first.status == 0, "\(first.error)")
    #expect(
      first.output.contains(
        "automl: 72 training rows, 10 inputs, 3 classes; budget 6.0s: trials start for 4.8s and train until 5.6s "
          + "(5-fold cross-validation)"), "\(first.output)")
    #expect(first.output.contains("\"hidden\": {\"layers\": {\"int\": [1, 3]}"), "\(first.output)")
    #expect(first.output.contains("test (18 rows): best trial "), "\(first.output)")
    let model = try #require(
      try ModelFile.load(contentsOf: "\(folder)/model.safetensors", backend: CPUBackend()) as? Ensemble)
    #expect(model.members.count % 5 == 0 && model.preprocessing.encoding != nil)
    #expect(FileManager.default.fileExists(atPath: "\(folder)/model.onnx"))
    #expect(FileManager.default.fileExists(atPath: "\(folder)/trials.csv"))
    let evaluated = try cli.run([
      "evaluate", "--model", "\(folder)/model.safetensors", "--input", MixedColumnsTests.penguins, "--svg",
      "\(folder)/m.svg",
    ])
    #expect(evaluated.status == 0 && evaluated.output.contains("90 rows  loss "), "\(evaluated.error)")
    let storage = try SQLiteStorage(path: "\(folder)/study.sqlite")
    let before = try storage.trials(study: try #require(try storage.studies().first?.id)).count
    let second = try cli.run(arguments)
    #expect(second.status == 0, "\(second.error)")
    let after = try storage.trials(study: try #require(try storage.studies().first?.id))
    #expect(after.count > before && Set(after.map(\.number)).count == after.count)
  }

  @Test func badBudgetsAndRegressionAreUsageErrors() throws {
    let time = try cli.run(["automl", "--time", "soon"])
    #expect(
      time.status == 64 && time.error.contains("--time: 'soon' is not a duration such as 90s, 10m or 1h"),
      "\(time.error)")
    let regression = try cli.run(["automl", "--data", MixedColumnsTests.penguins, "--task", "regression"])
    #expect(
      regression.status == 64 && regression.error.contains("automl builds classifiers so far"), "\(regression.error)")
  }
}
