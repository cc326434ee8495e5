import Descent
import Foundation
import Testing

/// Text class labels (issue 32): a label column of names (penguins.csv, written by pandas) trains
/// a classifier whose classes are those names, sorted (or in --class-names' order); predict prints
/// them and evaluate reads them back; a name outside the classes, an empty label or text for a
/// regression target is an error naming line and column.
struct TextLabelTests {
  let cli = CommandLineTests()
  static let penguins = TrainCommandTests.fixtures + "/penguins.csv"
  static let species = ["Adelie", "Chinstrap", "Gentoo"]

  func train(_ data: String, _ flags: [String] = [], output: String) throws -> CommandLineTests.Result {
    try cli.run(
      [
        "train", "--data", data, "--label", "species", "--epochs", "30", "--backend", "cpu", "--output", output,
        "--quiet",
      ] + flags)
  }

  @Test func textLabelsTrainPredictAndEvaluate() throws {
    let folder = try TrainCommandTests.temporaryFolder()
    let trained = try train(Self.penguins, output: folder)
    #expect(trained.status == 0, "\(trained.error)")
    let modelPath = "\(folder)/weights.safetensors"
    let model = try Sequential.load(contentsOf: modelPath, backend: CPUBackend())
    #expect(model.output.classNames == Self.species && model.outputFeatures == 3)
    // predict names each row's class; evaluate maps the names back and scores them
    let predicted = try cli.run(["predict", "--model", modelPath, "--input", Self.penguins])
    let rows = predicted.output.split(separator: "\n").dropFirst().map { $0.split(separator: ",") }
    #expect(
      rows.count == 90 && rows.allSatisfy { Self.species[Int($0[1])!] == $0[2] }, "\(predicted.output.prefix(200))")
    let labels = try String(contentsOfFile: Self.penguins, encoding: .utf8).split(separator: "\n").dropFirst()
      .map { String($0.split(separator: ",")[2]) }
    let correct = zip(rows, labels).count { String($0[2]) == $1 }
    let evaluated = try cli.run(["evaluate", "--model", modelPath, "--input", Self.penguins])
    #expect(
      evaluated.output.hasPrefix(String(format: "90 rows  loss "))
        && evaluated.output.contains(
          String(format: "accuracy %.2f%%", 100 * Double(correct) / 90)),
      "\(evaluated.output) \(evaluated.error)")
    #expect(correct >= 72, "\(correct) of 90 right")  // three well-separated species
    // a species the model never saw, named where it is
    let emperor = "\(folder)/emperor.csv"
    try Data(
      (["bill_length_mm,bill_depth_mm,species", "40.1,18.0,Adelie", "41.0,19.2,Emperor"].joined(separator: "\r\n")
        + "\r\n").utf8
    )
    .write(to: URL(fileURLWithPath: emperor))
    let unknown = try cli.run(["evaluate", "--model", modelPath, "--input", emperor])
    #expect(
      unknown.status == 1
        && unknown.error.contains(
          "emperor.csv:3:3: expected one of the model's classes \"Adelie\", \"Chinstrap\", \"Gentoo\", "
            + "found \"Emperor\""),
      "\(unknown.error)")
    let test = try train(Self.penguins, ["--test-data", emperor], output: "\(folder)/with-test")
    #expect(
      test.status == 1 && test.error.contains("emperor.csv:3:3: expected one of the classes \"Adelie\", \"Chinstrap\""),
      "\(test.error)")
  }

  /// --class-names orders the classes (labels map by name); names it lacks, empty labels and text
  /// for a regression are errors naming line and column.
  @Test func classNamesOrderAndMistakes() throws {
    let folder = try TrainCommandTests.temporaryFolder()
    let ordered = try train(Self.penguins, ["--class-names", "Gentoo,Adelie,Chinstrap"], output: folder)
    #expect(ordered.status == 0, "\(ordered.error)")
    let model = try Sequential.load(contentsOf: "\(folder)/weights.safetensors", backend: CPUBackend())
    #expect(model.output.classNames == ["Gentoo", "Adelie", "Chinstrap"])
    let evaluated = try cli.run(["evaluate", "--model", "\(folder)/weights.safetensors", "--input", Self.penguins])
    let accuracy = evaluated.output.firstRange(of: "accuracy ").flatMap { found in
      Double(evaluated.output[found.upperBound...].prefix { $0 != "%" })
    }
    #expect((accuracy ?? 0) >= 80, "\(evaluated.output)")
    let text = try String(contentsOfFile: Self.penguins, encoding: .utf8)
    let firstLabel = text.split(separator: "\n")[1].split(separator: ",")[2]
    let cases: [([String], String, String)] = [
      (
        ["--class-names", "Adelie,Gentoo"], text,
        "expected one of the classes \"Adelie\", \"Gentoo\", found \"Chinstrap\""
      ),
      (
        ["--task", "regression"], text,
        "penguins.csv:2:3: expected a number (a regression target), found \"\(firstLabel)\""
      ),
      (
        [], text.replacingOccurrences(of: ",\(firstLabel)\n", with: ",\n"),
        "penguins.csv:2:3: expected a label, found an empty cell"
      ),
      (["--classes", "4"], text, "--classes 4, but the text labels of"),
    ]
    for (flags, contents, message) in cases {
      let path = "\(folder)/penguins.csv"
      try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
      let result = try train(path, flags, output: "\(folder)/refused")
      #expect(result.status != 0 && result.error.contains(message), "\(flags): \(result.error)")
    }
  }
}
