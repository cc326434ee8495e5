import CommandFlags
import Descent
import Foundation

/// `descent predict`: loads a model file and writes one CSV row per input: the predicted class
/// (and its name), or the predicted values, optionally with the class probabilities.
struct PredictCommand {
  var inference = InferenceSettings()
  var output: String?
  var probabilities = false
  var logits = false

  static let flags = FlagTable<PredictCommand>(
    "predict",
    InferenceSettings.flags(
      \.inference,
      input: """
        a CSV file with the training file's columns (the label column optional and
        ignored) or IDX images: a file, or a folder with test (else training) images
        """)
      + [
        .value(
          "output", "FILE", "where the predictions go, as CSV (default: standard output)", \.output,
          expected: "a path"),
        .toggle("probabilities", "add each class's probability (classifiers)", \.probabilities),
        .toggle("logits", "add the model's raw outputs, the logits (classifiers)", \.logits),
      ])

  static var help: String { flags.help }

  init(_ options: [String]) throws { try Self.flags.parse(options, into: &self) }

  func run() throws -> Int32 {
    let (modelPath, inputPath, batchSize) = (inference.model, inference.input, inference.batchSize)
    if let output {
      try Inference.checkWritable(output, flag: "output", inputs: [("model", modelPath), ("input", inputPath)])
    }
    let model = try ModelFile.load(contentsOf: modelPath, backend: try inference.makeBackend())
    if logits && model.outputsProbabilities {
      throw UsageError(
        message:
          "--logits: \(modelPath) \(model is Ensemble ? "is an ensemble" : "ends in Softmax"), so its outputs are "
          + "probabilities, not logits (use --probabilities)")
    }
    let input = try ModelInput(inputPath, labels: nil, model: model)
    let outputs = try model.predict(raw: input.dataset.features, rows: input.dataset.rows, batchSize: batchSize)
    try Inference.checkFinite(outputs, width: model.outputFeatures, input: inputPath)
    let csv = Inference.csv(
      outputs, model: model, probabilities: probabilities, logits: logits)
    if let output {
      try FileSystem.writeAtomically(Array(csv.utf8), to: output)
    } else {
      FileHandle.standardOutput.write(Data(csv.utf8))
    }
    return 0
  }
}

/// What predict and evaluate share: batched forward passes and reading the outputs.
enum Inference {
  /// The index of each row's largest output (the first of equals).
  static func predictedClasses(_ outputs: [Float], width: Int) -> [Int] {
    (0..<outputs.count / width).map { row in
      var best = 0
      for column in 1..<width where outputs[row * width + column] > outputs[row * width + best] { best = column }
      return best
    }
  }

  /// One CSV line per row: `row,class[,name][,probabilities…][,logits…]` for a classifier,
  /// `row,value…` otherwise. Numbers are written in the shortest form that reads back exactly.
  static func csv(_ outputs: [Float], model: any Predictor, probabilities: Bool, logits: Bool) -> String {
    let width = model.outputFeatures
    let rows = outputs.count / width
    var header = ["row"], lines: [[String]] = (0..<rows).map { ["\($0)"] }
    switch model.output.kind {
    case .classes:
      let classes = predictedClasses(outputs, width: width)
      let names = model.output.classNames
      header += ["class"] + (names == nil ? [] : ["name"])
      for row in 0..<rows { lines[row] += ["\(classes[row])"] + (names.map { [$0[classes[row]]] } ?? []) }
      if probabilities {
        header += (0..<width).map { "p(\(names?[$0] ?? "\($0)"))" }
        let p = model.probabilities(outputs)
        for row in 0..<rows { lines[row] += p[row * width..<(row + 1) * width].map { "\($0)" } }
      }
      if logits {
        header += (0..<width).map { "logit(\(names?[$0] ?? "\($0)"))" }
        for row in 0..<rows { lines[row] += outputs[row * width..<(row + 1) * width].map { "\($0)" } }
      }
    case .regression, .values:
      header += width == 1 ? [model.output.label ?? "value"] : (0..<width).map { "output \($0)" }
      for row in 0..<rows { lines[row] += outputs[row * width..<(row + 1) * width].map { "\($0)" } }
    }
    return ([header] + lines).map { $0.map(csvField).joined(separator: ",") + "\n" }.joined()
  }

  /// A CSV field, quoted when it holds a comma, quote or line break.
  static func csvField(_ text: String) -> String {
    text.contains(where: { ",\"\n\r".contains($0) }) ? "\"\(text.replacingOccurrences(of: "\"", with: "\"\""))\"" : text
  }

  /// Throws naming the first row of `input` whose outputs are not all finite (inputs too large
  /// for float32 arithmetic): a NaN has no class, and a printed one would pass for a prediction.
  static func checkFinite(_ outputs: [Float], width: Int, input: String) throws {
    guard let index = outputs.firstIndex(where: { !$0.isFinite }) else { return }
    throw DataError.inconsistent(
      "\(input): row \(index / width + 1) of the data gives the output \(outputs[index]) (column \(index % width + 1)):"
        + " its values are too large for the model's float32 arithmetic")
  }

  /// Before any work: `path` (given as `flag`) is none of the command's `inputs` (flag and path,
  /// compared as files: a symbolic link or `./` does not hide one), and its folder takes a file.
  static func checkWritable(_ path: String, flag: String, inputs: [(flag: String, path: String?)]) throws {
    for input in inputs {
      if let other = input.path, FileSystem.sameFile(path, other) {
        throw UsageError(message: "--\(flag) \(path) is the --\(input.flag) file: writing it would destroy the input")
      }
    }
    let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
    if let reason = FileSystem.fileCreationError(in: folder) {
      throw DataError.unwritable(path: path, reason: "cannot create files in \(folder) (\(reason))")
    }
  }
}
