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
    // Up to 2 000 rows 40; the 8 000-row table's small middle trial could train 2 045 epochs in a
    // sixth of the search even at the default rate, so a quarter of that lifts its cap to 100.
    #expect(spaces.map(\.0.epochs) == [40, 100, 30])
    // A shorter budget, fewer epochs (never below 3).
    #expect(AutoMLSpace(rows: 48_000, features: 784, outputs: 10, searchSeconds: 96).epochs == 6)
    #expect(AutoMLSpace(rows: 48_000, features: 784, outputs: 10, searchSeconds: 30).epochs == 3)
    // A longer one, more: the cap grows from 30 at 8 minutes of search to 100 (an hour's 48 minutes).
    #expect(AutoMLSpace(rows: 48_000, features: 784, outputs: 10, searchSeconds: 960).epochs == 60)
    #expect(AutoMLSpace(rows: 48_000, features: 784, outputs: 10, searchSeconds: 2_880).epochs == 100)
    // A machine twice as fast (the rate automl measures first), twice the epochs.
    var fast = AutoMLSpace(rows: 48_000, features: 784, outputs: 10, searchSeconds: 96)
    fast.workerRate *= 2
    #expect(fast.epochs == 12)
    // A fast machine's estimate lifts the cap to a quarter of it: 10 minutes (8 of search) at the
    // rate measured on a Zen 5 core, 290 epochs for a middle trial in a sixth of the search → 72.
    var zen5 = AutoMLSpace(rows: 48_000, features: 784, outputs: 10, searchSeconds: 480)
    zen5.workerRate = 1.4e11
    #expect(zen5.epochs == 72)
    // The measured rate is this machine's: positive, and within 100× of the slowest CPU's.
    let measured = try fast.measureWorkerRate()
    #expect(measured > 1.5e8 && measured < 1.5e12, "\(measured) multiply-adds a second")
    #expect(spaces.map(\.0.units.1) == [256, 512, 1024] && spaces.map(\.0.batchSizes.first!) == [16, 32, 64])
    for (fitted, space) in spaces {
      // Every starting point's values lie in the space (a value outside would be sampled instead),
      // and it sets every parameter its layer count makes active.
      // Tables also start from a linear model (no hidden layer), which the space allows.
      #expect(fitted.startingPoints.count == 4 && fitted.startingPoints[3]["hidden.layers"] == .int(0))
      #expect(space.space.parameters.first { $0.name == "hidden.layers" }?.domain.contains(.int(0)) == true)
      for point in fitted.startingPoints {
        for parameter in space.space.parameters where parameter.isActive(given: point) {
          let value = try #require(point[parameter.name], "\(parameter.name) missing from \(point)")
          #expect(parameter.domain.contains(value), "\(parameter.name) = \(value) outside \(parameter.domain)")
        }
        #expect(point.keys.allSatisfy { name in space.space.parameters.contains { $0.name == name } }, "\(point)")
      }
      #expect(
        Set(space.space.parameters.map(\.name)).isSuperset(of: [
          "hidden.layers", "activation", "dropout", "optimizer", "learning-rate", "momentum", "weight-decay",
          "schedule", "batch-size", "initializer",
        ]))
      #expect(!space.space.parameters.contains { $0.name == "augment" })
    }
    // A trial of the linear starting point trains with no hidden layer (`--hidden ''`); the first
    // names both of its layers.
    let (table, tableSpace) = spaces[0]
    #expect(try TrainConfiguration(tableSpace.options(table.startingPoints[3])).hidden == [])
    #expect(try TrainConfiguration(tableSpace.options(table.startingPoints[0])).hidden == [256, 128])
    // Images get augmentation among the choices, and tune accepts each of them.
    let images = AutoMLSpace(rows: 48_000, features: 784, outputs: 10, searchSeconds: 480, images: true)
    let imageSpace = try TuneSpace(json: Data(images.json.utf8), source: "the automl space")
    let augment = try #require(imageSpace.space.parameters.first { $0.name == "augment" })
    #expect(images.startingPoints.allSatisfy { $0["augment"] == .string("none") })
    #expect(images.startingPoints.count == 3 && images.json.contains("\"layers\": {\"int\": [1, 4]}"))
    #expect(augment.domain == .categorical([.string("none"), .string("shift=1"), .string("shift=1,flip")]))
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
      "--workers", "2", "--refit", "on", "--quiet",
    ]
    let first = try cli.run(arguments)
    #expect(first.status == 0, "\(first.error)")
    // Cross-validated: no refit (the plan is the usual one), and a warning says why.
    #expect(first.error.contains("--refit on: the 72 training rows are cross-validated"), "\(first.error)")
    #expect(!first.output.contains("refit:"), "\(first.output)")
    #expect(
      first.output.contains(
        "automl: 72 training rows, 10 inputs, 3 classes; budget 6.0s: trials start for 4.8s and train until 5.6s "
          + "(5-fold cross-validation)"), "\(first.output)")
    #expect(first.output.contains("\"hidden\": {\"layers\": {\"int\": [0, 4]}"), "\(first.output)")
    #expect(!first.output.contains("\"augment\""), "a table's space has no augmentation: \(first.output)")
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
    let trials = try storage.trials(study: try #require(try storage.studies().first?.id))
    // The study's size is bounded: at most AutoMLCommand.pausedLimit paused trials keep checkpoints.
    #expect(try storage.settings(study: storage.studies()[0].id)?.contains(#""keepPaused":64"#) == true)
    #expect(trials.count { $0.state == .paused } <= 64)
    // The starting points (the first four trials, the last a linear model) are never stopped by
    // ASHA: they train every epoch.
    let epochs = try #require(first.output.firstMatch(of: /"epochs": (\d+)/).flatMap { Int($0.1) })
    #expect(trials.count > 4 && trials[3].parameters["hidden.layers"] == .int(0), "\(trials.prefix(4))")
    for trial in trials.prefix(4) {
      #expect(trial.state == .complete && trial.lastStep == epochs, "starting point \(trial.number): \(trial)")
    }
    let before = trials.count
    let second = try cli.run(arguments)
    #expect(second.status == 0, "\(second.error)")
    let after = try storage.trials(study: try #require(try storage.studies().first?.id))
    #expect(after.count > before && Set(after.map(\.number)).count == after.count)
  }

  /// `--refit on` with a held-out split (5 200 training rows): after the selection the members are
  /// trained again on every training row, and a refitted member is exactly what `descent train`
  /// makes of its trial's settings with `--validation 0` — the same weights, bit for bit.
  @Test func theRefitTrainsTheMembersOnEveryRow() throws {
    let folder = try TrainCommandTests.temporaryFolder()
    // 6 500 rows as pandas writes them (a header, text labels): 5 200 train, 1 300 test.
    var csv = "a,b,c,d,label\n"
    for row in 0..<6_500 {
      let x = (0..<4).map { Double(($0 * 7_919 + row * 104_729) % 1_000) / 100 - 5 }
      let label = x[0] * x[1] > 1 ? "high" : x[2] - x[3] > 0 ? "mid" : "low"
      csv += x.map { String(format: "%.2f", $0) }.joined(separator: ",") + ",\(label)\n"
    }
    try Data(csv.utf8).write(to: URL(fileURLWithPath: "\(folder)/rows.csv"))
    // Small nets and few epochs, so that every member's refit fits the budget on a slow machine.
    let small = """
      {"epochs": 6, "hidden": {"layers": {"int": [1, 2]}, "units": {"int": [4, 16]}},
       "learning-rate": {"float": [1e-3, 1e-1], "log": true}, "batch-size": {"choice": [64, 128]},
       "dropout": {"float": [0, 0.3]}}
      """
    try Data(small.utf8).write(to: URL(fileURLWithPath: "\(folder)/small.json"))
    let result = try cli.run([
      "automl", "--data", "\(folder)/rows.csv", "--label", "label", "--time", "10s", "--refit", "on", "--space",
      "\(folder)/small.json", "--output", folder, "--workers", "2", "--quiet",
    ])
    #expect(result.status == 0, "\(result.error)")
    #expect(
      result.output.contains(
        "trials start for 6.0s and train until 6.8s, then ensemble selection, its members trained again on all "
          + "5200 rows until 9.3s"), "\(result.output)")
    let line = try #require(result.output.firstMatch(of: /refit: (\d+) of (\d+) members .* \(trials ([\d, ]+)\)/))
    #expect(Int(line.1)! >= 1 && Int(line.1)! <= Int(line.2)!, "\(result.output)")
    #expect(result.output.contains("test (1300 rows): refitted ensemble accuracy "), "\(result.output)")
    let ensemble = try #require(
      try ModelFile.load(contentsOf: "\(folder)/model.safetensors", backend: CPUBackend()) as? Ensemble)
    // The first refitted trial that completed (its epochs are its settings'), against descent train.
    let storage = try SQLiteStorage(path: "\(folder)/study.sqlite")
    let records = try storage.trials(study: try #require(try storage.studies().first?.id))
    let refitted = line.3.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces))! }
    let complete = try #require(
      refitted.first { number in records.contains { $0.number == number && $0.state == .complete } },
      "no complete trial among the refitted \(refitted)")
    let space = try TuneSpace(json: Data(small.utf8), source: "space")
    let record = try #require(records.first { $0.number == complete })
    let trained = try cli.run(
      ["train"] + space.options(record.parameters) + [
        "--data", "\(folder)/rows.csv", "--label", "label", "--validation", "0", "--output", "\(folder)/train",
        "--quiet",
      ])
    #expect(trained.status == 0, "\(trained.error)")
    let alone = try #require(
      try ModelFile.load(contentsOf: "\(folder)/train/weights.safetensors", backend: CPUBackend()) as? Sequential)
    func values(_ model: Sequential) throws -> [[Float]] {
      try model.parameters.map { try model.backend.download($0.value) }
    }
    let expected = try values(alone)
    #expect(try ensemble.members.contains { try values($0) == expected }, "trial \(complete)'s refit differs")
  }

  /// `descent automl` killed with SIGKILL mid-search (once the study holds a finished or paused
  /// trial and a running one), then run again with a short budget: it writes no model file before
  /// its end, and the second run continues the study — the killed run's running trials FAILED and
  /// lost (promoted ones paused again at their checkpoints), its complete trials as they were, its
  /// paused ones paused or continued from their checkpoints (their reported values kept), new
  /// trials after them — and ends with an ensemble.
  /// `storage` is a store location (nil: the default SQLite file in the output folder).
  static func killedMidSearchItContinues(storage: String?, cli: CommandLineTests) throws {
    let folder = try TrainCommandTests.temporaryFolder()
    let location = storage ?? "\(folder)/study.sqlite"
    let arguments =
      [
        "automl", "--data", MixedColumnsTests.penguins, "--label", "species", "--output", folder, "--workers", "2",
        "--quiet",
      ] + (storage.map { ["--storage", $0] } ?? [])
    let process = Process()
    process.executableURL = Bundle.main.bundleURL.appendingPathComponent("descent")
    process.arguments = arguments + ["--time", "300s"]
    (process.standardOutput, process.standardError) = (FileHandle.nullDevice, FileHandle.nullDevice)
    try process.run()
    func trials() throws -> [TrialRecord] {
      let store = try studyStorage(location, create: false, readOnly: true)
      guard let study = try store.studies().first(where: { $0.name == "automl" }) else { return [] }
      return try store.trials(study: study.id)
    }
    // Progress decides when to kill, never the clock: a slow machine only waits longer.
    var atKill: [TrialRecord] = []
    let deadline = Date().addingTimeInterval(200)
    while process.isRunning, Date() < deadline {
      atKill = (try? trials()) ?? []
      if atKill.contains(where: { $0.state == .running })
        && atKill.contains(where: { $0.state == .paused || $0.state == .complete })
      {
        break
      }
      usleep(20_000)
    }
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    #expect(process.terminationReason == .uncaughtSignal, "automl ended by itself")
    atKill = try trials()  // as the kill left them
    let running = atKill.filter { $0.state == .running }.map(\.number)
    #expect(!running.isEmpty && !FileManager.default.fileExists(atPath: "\(folder)/model.safetensors"))
    let second = try cli.run(arguments + ["--time", "8s"])
    #expect(second.status == 0, "\(second.error)")
    let after = Dictionary(uniqueKeysWithValues: try trials().map { ($0.number, $0) })
    #expect(!after.values.contains { $0.state == .running })
    #expect(after.count > atKill.count, "the second run started no trial")
    for trial in atKill {
      let now = try #require(after[trial.number])
      switch trial.state {
      case .running:
        // Lost; or, promoted from a checkpoint, paused there again (and perhaps promoted since).
        #expect(
          (now.state == .failed && now.lost) || now.state == .paused || now.state == .complete,
          "trial \(trial.number): \(now.state)")
      case .complete: #expect(now == trial)
      case .paused:
        #expect(now.state == .paused || now.state == .complete, "trial \(trial.number): \(now.state)")
        #expect(trial.intermediate.allSatisfy { now.intermediate[$0.key] == $0.value }, "trial \(trial.number)")
      default: break
      }
    }
    let model = try ModelFile.load(contentsOf: "\(folder)/model.safetensors", backend: CPUBackend())
    #expect(model is Ensemble)
  }

  @Test func killedMidSearchOnSQLiteItContinues() throws {
    try Self.killedMidSearchItContinues(storage: nil, cli: cli)
  }

  @Test func badBudgetsAndRegressionAreUsageErrors() throws {
    let time = try cli.run(["automl", "--time", "soon"])
    #expect(
      time.status == 64 && time.error.contains("--time: 'soon' is not a duration such as 90s, 10m or 1h"),
      "\(time.error)")
    let regression = try cli.run(["automl", "--data", MixedColumnsTests.penguins, "--task", "regression"])
    #expect(
      regression.status == 64 && regression.error.contains("automl builds classifiers so far"), "\(regression.error)")
    #expect(!FileManager.default.fileExists(atPath: "descent-automl"), "a refused run made its output folder")
  }
}
