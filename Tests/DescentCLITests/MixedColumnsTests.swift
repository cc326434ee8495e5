import Descent
import Foundation
import Testing

/// The columns users' tables hold beside numbers (issue 32), end to end: penguins-mixed.csv
/// (written by pandas with Windows line endings: a category column with a quoted name, a boolean
/// column, empty cells in a number, a boolean and a category column) trains; predict and evaluate
/// apply the encoding the model file keeps; unseen categories are warned about, wrong cells are
/// errors naming line and column.
struct MixedColumnsTests {
  let cli = CommandLineTests()
  static let penguins = TrainCommandTests.fixtures + "/penguins-mixed.csv"
  static let header = "bill_length_mm,island,bill_depth_mm,sex,tagged,species"

  func write(_ lines: [String], to path: String) throws {
    try Data((([Self.header] + lines).joined(separator: "\r\n") + "\r\n").utf8).write(to: URL(fileURLWithPath: path))
  }

  @Test func trainsPredictsAndEvaluatesWithTheEncoding() throws {
    let folder = try TrainCommandTests.temporaryFolder()
    let trained = try cli.run([
      "train", "--data", Self.penguins, "--label", "species", "--epochs", "30", "--backend", "cpu", "--output", folder,
    ])
    #expect(trained.status == 0, "\(trained.error)")
    #expect(
      trained.output.contains(
        "penguins-mixed.csv: 5 columns: 2 numbers, 1 boolean, 2 categories (\"island\" 3, \"sex\" 2); missing cells "
          + "(median put in) in \"bill_length_mm\", \"tagged\""), "\(trained.output.prefix(400))")
    let modelPath = "\(folder)/weights.safetensors"
    let model = try Sequential.load(contentsOf: modelPath, backend: CPUBackend())
    let encoding = try #require(model.preprocessing.encoding)
    #expect(encoding.columns.map(\.kind) == [.number, .category, .number, .category, .boolean])
    #expect(encoding.columns[1].categories == ["Biscoe", "Dream", "Torgersen, south"])
    #expect(model.inputFeatures == 2 + 1 + 2 + 3 + 2 && model.preprocessing.featureNames?.count == 5)
    let evaluated = try cli.run(["evaluate", "--model", modelPath, "--input", Self.penguins])
    let accuracy = evaluated.output.firstMatch(of: /accuracy ([0-9.]+)%/).flatMap { Double($0.1) }
    #expect((accuracy ?? 0) >= 80, "\(evaluated.output) \(evaluated.error)")  // the island alone tells Gentoo

    // New rows: an island training never saw, empty cells everywhere but the label.
    let new = "\(folder)/new.csv"
    try write(["41.0,Atlantis,18.5,MALE,True,Adelie", ",,,,,Gentoo", "46.1,Biscoe,14.2,,false,Gentoo"], to: new)
    let predicted = try cli.run(["predict", "--model", modelPath, "--input", new])
    #expect(predicted.status == 0, "\(predicted.error)")
    #expect(predicted.output.split(separator: "\n").count == 4, "\(predicted.output)")
    #expect(
      predicted.error
        == "descent: warning: \(new): column \"island\": 1 cell holds a category the training rows did not (first: "
        + "\"Atlantis\"), encoded as all zeros\n")

    // Text where the model takes numbers or booleans: errors naming line and column.
    let wrong = "\(folder)/wrong.csv"
    try write(["41.0,Dream,deep,MALE,True,Adelie"], to: wrong)
    let number = try cli.run(["predict", "--model", modelPath, "--input", wrong])
    #expect(number.status == 1 && number.error.contains("wrong.csv:2:3: expected a number, found \"deep\""))
    try write(["41.0,Dream,18.0,MALE,maybe,Adelie"], to: wrong)
    let boolean = try cli.run(["evaluate", "--model", modelPath, "--input", wrong])
    #expect(
      boolean.status == 1
        && boolean.error.contains(
          "wrong.csv:2:5: expected true or false (a boolean column), or an empty cell, found \"maybe\""),
      "\(boolean.error)")

    // --test-data reads the test file with the training file's column kinds.
    let withTest = try cli.run([
      "train", "--data", Self.penguins, "--label", "species", "--epochs", "2", "--backend", "cpu", "--quiet",
      "--test-data", new, "--output", "\(folder)/with-test",
    ])
    #expect(withTest.status == 0 && withTest.error.contains("\"Atlantis\""), "\(withTest.error)")
  }

  /// Medians and categories come from the training rows, not the held-out test split: a category
  /// only a test row holds is unseen (all zeros, warned about), as it would be in new data.
  @Test func theTestSplitDoesNotShapeTheEncoding() throws {
    let folder = try TrainCommandTests.temporaryFolder()
    let held = BatchOrder.permutation(20, seed: 0x7E57, epoch: 0)[0]  // TrainingData's split of 20 rows
    let lines = (0..<20).map { row in "\(row),\(row == held ? "only-in-test" : row % 2 == 0 ? "a" : "b"),\(row % 2)" }
    let path = "\(folder)/split.csv"
    try Data((["x,c,y"] + lines).joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: path))
    let trained = try cli.run([
      "train", "--data", path, "--label", "y", "--epochs", "1", "--backend", "cpu", "--quiet", "--output", folder,
    ])
    #expect(trained.status == 0, "\(trained.error)")
    let model = try Sequential.load(contentsOf: "\(folder)/weights.safetensors", backend: CPUBackend())
    #expect(model.preprocessing.encoding?.columns[1].categories == ["a", "b"])
    #expect(trained.error.contains("split.csv: column \"c\": 1 cell holds a category the training rows did not"))
  }

  /// `descent tune` takes the same CSV data: --label (stored with the study, so a worker takes it
  /// from the store), the column encoding, and --retrain's model with its classes and encoding.
  @Test func tuneTakesTheSameCSVData() throws {
    let (folder, space) = try TuneCommandTests.space(TuneCommandTests.tiny)
    let store = "\(folder)/study.sqlite"
    let create = try cli.run([
      "tune", "--space", space, "--label", "species", "--storage", store, "--trials", "2", "--create",
    ])
    #expect(create.status == 0, "\(create.error)")
    let worker = try cli.run(["tune", "--storage", store, "--worker", "--data", Self.penguins, "--output", folder])
    #expect(worker.status == 0, "\(worker.error)")
    #expect(worker.output.contains("penguins-mixed.csv: 5 columns: 2 numbers, 1 boolean, 2 categories"))
    #expect(worker.output.split(separator: "\n").filter { $0.hasPrefix("trial ") }.count == 2, "\(worker.output)")
    let retrained = try cli.run([
      "tune", "--space", space, "--data", Self.penguins, "--label", "species", "--trials", "2", "--retrain",
      "--quiet", "--output", "\(folder)/own",
    ])
    #expect(retrained.status == 0 && retrained.output.contains("test accuracy "), "\(retrained.error)")
    let model = try Sequential.load(contentsOf: "\(folder)/own/best/weights.safetensors", backend: CPUBackend())
    #expect(model.output.classNames == ["Adelie", "Chinstrap", "Gentoo"])
    #expect(model.preprocessing.encoding?.columns.map(\.kind) == [.number, .category, .number, .category, .boolean])
    let missing = try cli.run([
      "tune", "--space", space, "--data", Self.penguins, "--label", "kind", "--trials", "1", "--output",
      "\(folder)/no-label",
    ])
    #expect(
      missing.status == 1 && missing.error.contains("penguins-mixed.csv:1: expected a header column named \"kind\""),
      "\(missing.error)")
  }
}
