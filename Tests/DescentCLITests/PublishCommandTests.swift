import Descent
import Foundation
import Testing

/// `descent train` on CSV and IDX data, then `predict`, `evaluate` and `export` on the model file.
/// (ONNX Runtime and NumPy check the published numbers in scripts/interop.sh.)
struct PublishCommandTests {
  let cli = CommandLineTests()

  /// 300 rows of 3 features; `kind` is a class 0...2 from the first two, `price` a linear function.
  static func writeCSV(
    to folder: String, rows: Int = 300, edit: (Int, inout [String]) -> Void = { _, _ in }
  ) throws -> String {
    var lines = ["x,y,z,kind,price"]
    for row in 0..<rows {
      let (x, y, z) = (Float(row % 17) / 4 - 2, Float(row * 7 % 13) * 10 - 60, Float(row % 5) / 100)
      let kind = x > 0.5 ? 2 : (y > 0 ? 1 : 0)
      var fields = ["\(x)", "\(y)", "\(z)", "\(kind)", "\(3 * x - 0.05 * y + 20 * z + 1)"]
      edit(row, &fields)
      lines.append(fields.joined(separator: ","))
    }
    let path = "\(folder)/data.csv"
    try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
    return path
  }

  static let backends = ["cpu"] + (ProcessInfo.processInfo.environment["CI"] == "true" ? ["opencl"] : [])

  /// Train a CSV classifier, then predict and evaluate it: the predicted classes are the logits'
  /// argmax and evaluate's accuracy is the share of them that match the labels; the model file
  /// names the label column, so predict reads the training file with the label ignored.
  @Test(arguments: backends)
  func csvClassificationTrainsPredictsAndEvaluates(_ backend: String) throws {
    let folder = try TrainCommandTests.temporaryFolder()
    let data = try Self.writeCSV(to: folder)
    let train = try cli.run([
      "train", "--data", data, "--label", "kind", "--class-names", "low,mid,high", "--hidden", "16",
      "--epochs", "40", "--batch-size", "16", "--learning-rate", "0.01", "--backend", backend, "--output", folder,
      "--quiet",
    ])
    #expect(train.status == 0, "\(train.error)")
    let accuracy = Double(train.output.split(separator: " ")[2].dropLast())!
    #expect(accuracy >= 85, "\(train.output)")
    let model = "\(folder)/weights.safetensors"
    let predict = try cli.run([
      "predict", "--model", model, "--input", data, "--logits", "--probabilities", "--backend", backend,
    ])
    #expect(predict.status == 0, "\(predict.error)")
    let lines = predict.output.split(separator: "\n")
    #expect(lines.first == "row,class,name,p(low),p(mid),p(high),logit(low),logit(mid),logit(high)")
    #expect(lines.count == 301)
    let labels = try String(contentsOfFile: data, encoding: .utf8).split(separator: "\n").dropFirst().map {
      $0.split(separator: ",")[3]
    }
    var correct = 0
    for (line, label) in zip(lines.dropFirst(), labels) {
      let fields = line.split(separator: ",")
      let logits = fields[6...8].map { Float($0)! }, probabilities = fields[3...5].map { Double($0)! }
      #expect(Int(fields[1]) == logits.firstIndex(of: logits.max()!), "\(line)")
      #expect(fields[2] == ["low", "mid", "high"][Int(fields[1])!])
      #expect(abs(probabilities.reduce(0, +) - 1) < 1e-6)
      if fields[1] == label { correct += 1 }
    }
    let evaluate = try cli.run([
      "evaluate", "--model", model, "--input", data, "--svg", "\(folder)/matrix.svg", "--backend", backend,
    ])
    #expect(evaluate.status == 0, "\(evaluate.error)")
    #expect(evaluate.output.hasPrefix(String(format: "300 rows  loss ")), "\(evaluate.output)")
    #expect(
      evaluate.output.contains(String(format: "accuracy %.2f%%", 100 * Double(correct) / 300)), "\(evaluate.output)")
    #expect(evaluate.output.contains("0 low") && evaluate.output.contains("recall"))
    #expect(try String(contentsOfFile: "\(folder)/matrix.svg", encoding: .utf8).contains(">high</text>"))
  }

  /// The textbook linear regression by gradient descent: no hidden layer, SGD, standardized
  /// features; it recovers the linear function (test MSE near 0) and predicts it from raw rows.
  @Test func linearRegressionIsOneCommand() throws {
    let folder = try TrainCommandTests.temporaryFolder()
    let data = try Self.writeCSV(to: folder, rows: 400)
    let train = try cli.run([
      "train", "--data", data, "--label", "price", "--task", "regression", "--hidden", "",
      "--optimizer", "sgd", "--momentum", "0", "--learning-rate", "0.05", "--schedule", "constant",
      "--epochs", "60", "--batch-size", "16", "--backend", "cpu", "--output", folder, "--quiet",
    ])
    #expect(train.status == 0, "\(train.error)")
    #expect(train.output.hasPrefix("test mse "), "\(train.output)")
    let mse = Double(train.output.split(separator: " ")[2])!
    #expect(mse < 1e-6, "\(train.output)")
    let predict = try cli.run(["predict", "--model", "\(folder)/weights.safetensors", "--input", data])
    let first = predict.output.split(separator: "\n")
    #expect(first[0] == "row,price")
    // Row 0: x = -2, y = -60, z = 0 → 3·(−2) + 3 + 0 + 1 = −2.
    #expect(abs(Double(first[1].split(separator: ",")[1])! + 2) < 1e-3, "\(first[1])")
    let evaluate = try cli.run(["evaluate", "--model", "\(folder)/weights.safetensors", "--input", data])
    #expect(evaluate.output.hasPrefix("400 rows  mse "), "\(evaluate.output)")
  }

  /// Bad labels are named by file, line and column before any training; so are broken inputs.
  @Test func badDataIsNamedBeforeTraining() throws {
    let folder = try TrainCommandTests.temporaryFolder()
    let cases: [((Int, inout [String]) -> Void, [String], String)] = [
      (
        { row, fields in if row == 4 { fields[3] = "1.5" } }, [],
        "data.csv:6:4: expected a class index (a whole number >= 0), found 1.5"
      ),
      ({ row, fields in if row == 7 { fields[3] = "" } }, [], "data.csv:9:4: expected a label, found an empty cell"),
      (
        { row, fields in if row == 2 { fields[3] = "-1" } }, [],
        "data.csv:4:4: expected a class index (a whole number >= 0), found -1.0"
      ),
      ({ row, fields in if row == 9 { fields[3] = "5" } }, ["--classes", "3"], "a class index below 3"),
    ]
    for (edit, flags, message) in cases {
      let data = try Self.writeCSV(to: folder, edit: edit)
      let result = try cli.run(
        [
          "train", "--data", data, "--label", "kind", "--epochs", "1", "--backend", "cpu",
          "--output", "\(folder)/out", "--quiet",
        ] + flags)
      #expect(result.status == 1 && result.error.contains(message), "\(message): \(result.error)")
      #expect(!FileManager.default.fileExists(atPath: "\(folder)/out/history.csv"))
    }
    // Text in a number column makes it a category column, and the user is told which cell did.
    let typo = try Self.writeCSV(to: folder) { row, fields in if row == 3 { fields[0] = "abc" } }
    let trained = try cli.run([
      "train", "--data", typo, "--label", "kind", "--epochs", "1", "--backend", "cpu", "--output", "\(folder)/typo",
      "--quiet",
    ])
    #expect(
      trained.status == 0
        && trained.error.contains(
          "data.csv: column \"x\" is read as categories, though 299 of its 300 filled cells are numbers: line 5 "
            + "holds \"abc\"; empty that cell (or write NA) to read the column as numbers"),
      "\(trained.error)")
    let data = try Self.writeCSV(to: folder)
    let usage: [([String], String)] = [
      (["--label", "colour"], "expected a header column named \"colour\""),
      (["--label", "kind", "--task", "guess"], "--task: 'guess' is not classification or regression"),
      (["--label", "kind", "--class-names", "a,b", "--classes", "3"], "--class-names gives 2 names for --classes 3"),
      (["--label", "kind", "--augment", "flip"], "--augment needs image data"),
    ]
    for (flags, message) in usage {
      let result = try cli.run(
        [
          "train", "--data", data, "--epochs", "1", "--backend", "cpu", "--output", "\(folder)/out",
          "--quiet",
        ] + flags)
      #expect(result.status != 0 && result.error.contains(message), "\(flags): \(result.error)")
    }
  }

  /// IDX data sets under MNIST's other spelling (`train-images.idx3-ubyte`) and as four named
  /// files; the model file then predicts a folder of IDX images and evaluates them with labels.
  @Test func idxDataSetsTrainPredictAndEvaluate() throws {
    let folder = try TrainCommandTests.temporaryFolder()
    try TrainCommandTests.writeTinyFashionMNIST(rows: 40, to: folder)
    let dotted = "\(folder)/dotted"
    try FileManager.default.createDirectory(atPath: dotted, withIntermediateDirectories: true)
    for (from, to) in [
      ("train-images-idx3-ubyte", "train-images.idx3-ubyte"), ("train-labels-idx1-ubyte", "train-labels.idx1-ubyte"),
      ("t10k-images-idx3-ubyte", "test-images.idx3-ubyte"), ("t10k-labels-idx1-ubyte", "test-labels.idx1-ubyte"),
    ] {
      try FileManager.default.copyItem(atPath: "\(folder)/\(from)", toPath: "\(dotted)/\(to)")
    }
    let common = ["--hidden", "8", "--epochs", "1", "--backend", "cpu", "--quiet", "--validation", "0"]
    let byFolder = try cli.run(["train", "--data", dotted, "--output", "\(folder)/a"] + common)
    #expect(byFolder.status == 0, "\(byFolder.error)")
    let byFiles = try cli.run(
      [
        "train", "--train-images", "\(folder)/train-images-idx3-ubyte", "--train-labels",
        "\(folder)/train-labels-idx1-ubyte", "--test-images", "\(folder)/t10k-images-idx3-ubyte",
        "--test-labels", "\(folder)/t10k-labels-idx1-ubyte", "--output", "\(folder)/b",
      ] + common)
    #expect(byFiles.status == 0, "\(byFiles.error)")
    #expect(
      byFolder.output.prefix(40) == byFiles.output.prefix(40),
      "same data, same seed: \(byFolder.output) \(byFiles.output)")
    let missing = try cli.run(
      ["train", "--train-images", "\(folder)/train-images-idx3-ubyte", "--output", "\(folder)/c"] + common)
    #expect(missing.status == 64 && missing.error.contains("--train-labels is missing"), "\(missing.error)")
    let predict = try cli.run(["predict", "--model", "\(folder)/a/weights.safetensors", "--input", dotted])
    #expect(predict.status == 0 && predict.output.split(separator: "\n").count == 41, "\(predict.error)")
    #expect(predict.output.hasPrefix("row,class\n"), "no class names for data that is not Fashion-MNIST's")
    let evaluate = try cli.run([
      "evaluate", "--model", "\(folder)/a/weights.safetensors", "--input",
      "\(folder)/t10k-images-idx3-ubyte", "--labels", "\(folder)/t10k-labels-idx1-ubyte",
      "--svg", "\(folder)/m.svg",
    ])
    #expect(evaluate.status == 0 && evaluate.output.hasPrefix("40 rows  loss "), "\(evaluate.error)")
  }

  /// Mistakes with the model commands: each names what is wrong.
  @Test func modelCommandsNameTheirMistakes() throws {
    let folder = try TrainCommandTests.temporaryFolder()
    let data = try Self.writeCSV(to: folder)
    _ = try cli.run([
      "train", "--data", data, "--label", "kind", "--epochs", "1", "--backend", "cpu", "--output", folder, "--quiet",
    ])
    let model = "\(folder)/weights.safetensors"
    let bare = "\(folder)/bare.safetensors"
    try SafeTensors.write([("0.weight", .init(shape: [1], values: [1]))], to: bare)
    let other = "\(folder)/other.csv"
    try Data("x,w,z\n1,2,3\n".utf8).write(to: URL(fileURLWithPath: other))
    // A classifier whose last layer is Softmax outputs probabilities: it has no logits to print.
    let softmax = "\(folder)/softmax.safetensors"
    let probabilities = try Sequential(inputFeatures: 4, backend: CPUBackend(), seed: 1) {
      try Dense(3)
      Softmax()
    }
    probabilities.output = ModelOutput(kind: .classes, label: "kind")
    probabilities.preprocessing = Preprocessing(featureNames: ["x", "y", "z", "price"])
    try probabilities.save(to: softmax)
    let cases: [([String], Int32, String)] = [
      (["predict", "--input", data], 64, "--model is required"),
      (["predict", "--model", model, "--input", data, "--colour"], 64, "unknown option '--colour' for 'predict'"),
      (["predict", "--model", "\(folder)/none.safetensors", "--input", data], 1, "none.safetensors: cannot read"),
      (["predict", "--model", bare, "--input", data], 1, "no \"descent.model\" metadata"),
      (
        ["predict", "--model", model, "--input", other], 1,
        "feature columns [\"x\", \"w\", \"z\"] differ from the model's [\"x\", \"y\", \"z\", \"price\"]"
      ),
      (
        ["predict", "--model", softmax, "--input", data, "--logits"], 64,
        "--logits: \(softmax) ends in Softmax, so its outputs are probabilities, not logits"
      ),
      (["evaluate", "--model", model, "--input", "\(folder)/none.csv"], 1, "none.csv: cannot read"),
      (["export", "--model", model, "--format", "tflite"], 64, "'tflite' is not a format descent exports"),
      (["export", "--model", model, "--output", "/nonexistent/m.onnx"], 1, "/nonexistent/m.onnx: cannot write"),
    ]
    for (arguments, status, message) in cases {
      let result = try cli.run(arguments)
      #expect(result.status == status && result.error.contains(message), "\(arguments): \(result.error)")
    }
    let export = try cli.run(["export", "--model", model, "--output", "\(folder)/m.onnx"])
    #expect(
      export.status == 0 && export.output.contains("output \"outputs\" [batch, 3] and \"probabilities\""),
      "\(export.error)")
    #expect(try Data(contentsOf: URL(fileURLWithPath: "\(folder)/m.onnx")).count > 100)
  }
}

/// An output that is one of the command's inputs is refused before any work, and the input is
/// left as it was, whatever path names it: the same path, one through `./`, a symbolic link or a
/// hard link (issue 31: predict, evaluate and export exited 0 having overwritten their input).
struct OutputsThatAreInputsTests {
  let cli = CommandLineTests()

  @Test func everyCommandRefusesToWriteOverItsInputs() throws {
    let fixtures = TrainCommandTests.fixtures
    let folder = try TrainCommandTests.temporaryFolder()
    let (model, data) = ("\(folder)/model.safetensors", "\(folder)/data.csv")
    try FileManager.default.copyItem(atPath: "\(fixtures)/checkpoint-v1.safetensors", toPath: model)
    try FileManager.default.copyItem(atPath: "\(fixtures)/checkpoint-v1.csv", toPath: data)
    try FileManager.default.createSymbolicLink(atPath: "\(folder)/link.safetensors", withDestinationPath: model)
    try FileManager.default.linkItem(atPath: data, toPath: "\(folder)/hard.csv")
    let before = try [model, data].map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
    let cases: [([String], String)] = [
      (["predict", "--model", model, "--input", data, "--output", data], "--output \(data) is the --input file"),
      (["predict", "--model", model, "--input", data, "--output", "\(folder)/./data.csv"], "is the --input file"),
      (["predict", "--model", model, "--input", data, "--output", "\(folder)/link.safetensors"], "the --model file"),
      (["evaluate", "--model", model, "--input", data, "--svg", model], "--svg \(model) is the --model file"),
      (["evaluate", "--model", model, "--input", data, "--svg", "\(folder)/hard.csv"], "is the --input file"),
      (["export", "--model", "\(folder)/link.safetensors", "--output", model], "is the --model file"),
    ]
    for (arguments, message) in cases {
      let result = try cli.run(arguments)
      #expect(result.status == 64 && result.error.contains(message), "\(arguments): \(result.error)")
      let after = try [model, data].map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
      #expect(after == before, "\(arguments) changed an input")
    }
    // A different file in the same folder is written as before.
    let predicted = try cli.run(["predict", "--model", model, "--input", data, "--output", "\(folder)/p.csv"])
    #expect(predicted.status == 0 && FileManager.default.fileExists(atPath: "\(folder)/p.csv"), "\(predicted.error)")
  }
}

/// Rows whose outputs are not finite (values too large for float32 arithmetic) stop predict and
/// evaluate with the row named, instead of a class printed for a NaN (issue 31).
struct NonFiniteOutputsTests {
  let cli = CommandLineTests()

  @Test func predictAndEvaluateNameTheRow() throws {
    let fixtures = TrainCommandTests.fixtures
    let folder = try TrainCommandTests.temporaryFolder()
    let data = "\(folder)/huge.csv"
    try Data("a,b,c,kind\n0.5,0.2,1,0\n3e38,-3e38,3e38,1\n".utf8).write(to: URL(fileURLWithPath: data))
    let model = "\(fixtures)/checkpoint-v1.safetensors"
    for command in ["predict", "evaluate"] {
      let result = try cli.run(
        [command, "--model", model, "--input", data, "--svg", "\(folder)/m.svg"].filter {
          command == "evaluate" || !["--svg", "\(folder)/m.svg"].contains($0)
        })
      #expect(result.status == 1, "\(command): \(result.output) \(result.error)")
      #expect(result.error.contains("\(data): row 2 of the data gives the output"), "\(command): \(result.error)")
    }
  }
}
