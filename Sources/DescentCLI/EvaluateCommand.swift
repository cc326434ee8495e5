import CommandFlags
import Descent
import DescentTuning
import Foundation

/// `descent evaluate`: a model file's loss and accuracy (classifiers, with a confusion matrix
/// printed and drawn as SVG) or MSE and MAE (regression) on labelled data.
struct EvaluateCommand {
  var inference = InferenceSettings()
  var labels: String?
  var svg = "confusion-matrix.svg"

  static let flags = FlagTable<EvaluateCommand>(
    "evaluate",
    InferenceSettings.flags(
      \.inference,
      input: """
        a CSV file with the label column, or IDX images (a file, or a folder
        with test, else training, images and labels)
        """)
      + [
        .value("labels", "FILE", "the IDX labels for an IDX images file", \.labels, expected: "a path"),
        .value(
          "svg", "FILE", "where the confusion matrix is drawn (default confusion-matrix.svg; classifiers)", \.svg,
          expected: "a path"),
      ])

  static var help: String { flags.help }

  init(_ options: [String]) throws { try Self.flags.parse(options, into: &self) }

  func run() throws -> Int32 {
    let (modelPath, inputPath, batchSize, svgPath) = (inference.model, inference.input, inference.batchSize, svg)
    let model = try ModelFile.load(contentsOf: modelPath, backend: try inference.makeBackend())
    if model.output.kind == .classes {
      try Inference.checkWritable(
        svgPath, flag: "svg", inputs: [("model", modelPath), ("input", inputPath), ("labels", labels)])
    }
    let input = try ModelInput(inputPath, labels: labels, model: model)
    guard input.hasLabels else {
      throw UsageError(
        message: model.output.label.map { "\(inputPath) has no \"\($0)\" column to evaluate against" }
          ?? "\(inputPath) has no labels: give --labels FILE (IDX) or a folder holding the labels file")
    }
    let data = input.dataset
    let outputs = try model.predict(raw: data.features, rows: data.rows, batchSize: batchSize)
    try Inference.checkFinite(outputs, width: model.outputFeatures, input: inputPath)
    let width = model.outputFeatures
    switch model.output.kind {
    case .classes:
      try data.checkClassLabels(classes: width)
      let labels = data.targets.map { Int($0) }
      let p = model.probabilities(outputs)
      // Cross-entropy from the logits in Double (log-sum-exp), or from the probabilities of a softmax model.
      var loss = 0.0
      for (row, label) in labels.enumerated() {
        let logits = outputs[row * width..<(row + 1) * width].map(Double.init)
        if model.outputsProbabilities {
          loss -= log(Double(p[row * width + label]))
        } else {
          let top = logits.max()!
          loss += top + log(logits.reduce(0) { $0 + exp($1 - top) }) - logits[label]
        }
      }
      let predicted = Inference.predictedClasses(outputs, width: width)
      let correct = zip(labels, predicted).count { $0 == $1 }
      print(
        String(
          format: "%d rows  loss %.4f  accuracy %.2f%%", data.rows, loss / Double(data.rows),
          100 * Double(correct) / Double(data.rows)))
      // A matrix is width² cells: readable, and cheap, only for a modest class count.
      guard width <= ConfusionMatrix.maximumClasses else {
        print("no confusion matrix: \(width) classes (it is printed and drawn up to \(ConfusionMatrix.maximumClasses))")
        break
      }
      var matrix = [[Int]](repeating: [Int](repeating: 0, count: width), count: width)
      for (label, guess) in zip(labels, predicted) { matrix[label][guess] += 1 }
      let names = model.output.classNames ?? (0..<width).map { "\($0)" }
      print(ConfusionMatrix.table(matrix, names: model.output.classNames))
      try FileSystem.writeAtomically(Array(ConfusionMatrix.svg(matrix, names: names).utf8), to: svgPath)
      print("wrote \(svgPath)")
    case .regression, .values:
      guard data.targetWidth == width || (width == 1 && data.targetWidth == 1) else {
        throw ModelError.shapeMismatch(
          "\(data.name) has \(data.targetWidth) targets per row, the model predicts \(width)")
      }
      var (squares, absolutes) = (0.0, 0.0)
      for (output, target) in zip(outputs, data.targets) {
        let error = Double(output) - Double(target)
        (squares, absolutes) = (squares + error * error, absolutes + abs(error))
      }
      let count = Double(outputs.count)
      print(String(format: "%d rows  mse %.6g  mae %.6g", data.rows, squares / count, absolutes / count))
    }
    return 0
  }
}

/// A confusion matrix (rows: true class, columns: predicted class) as text and as SVG.
enum ConfusionMatrix {
  /// The most classes a matrix is printed and drawn for (10 000 classes took 5.4 GB to draw).
  static let maximumClasses = 100

  /// Aligned columns of counts with each class's recall, and a header of predicted classes.
  static func table(_ matrix: [[Int]], names: [String]?) -> String {
    let labels = matrix.indices.map { index in names.map { "\(index) \($0[index])" } ?? "\(index)" }
    let labelWidth = max(16, labels.map(\.count).max() ?? 0)
    let cellWidth = max(6, String(matrix.flatMap { $0 }.max() ?? 0).count + 1)
    func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
      let space = String(repeating: " ", count: max(0, width - text.count))
      return left ? text + space : space + text
    }
    var lines = [
      pad("true \\ predicted", labelWidth + 1, left: true)
        + matrix.indices.map { pad("\($0)", cellWidth) }.joined() + pad("recall", 9)
    ]
    for (index, row) in matrix.enumerated() {
      let total = row.reduce(0, +)
      let recall = total == 0 ? "-" : String(format: "%.1f%%", 100 * Double(row[index]) / Double(total))
      lines.append(
        pad(labels[index], labelWidth + 1, left: true)
          + row.map { pad("\($0)", cellWidth) }.joined() + pad(recall, 9))
    }
    return lines.joined(separator: "\n")
  }

  /// A heat map: each cell shaded by its share of the true class's rows, with its count.
  static func svg(_ matrix: [[Int]], names: [String]) -> String {
    let n = matrix.count, cell = 44.0, left = 150.0, top = 60.0
    let size = (Int(left + cell * Double(n) + 20), Int(top + cell * Double(n) + 130))
    var body = "<g font-family=\"sans-serif\" font-size=\"11\">\n"
    body +=
      "<text x=\"\(left + cell * Double(n) / 2)\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">"
      + "confusion matrix</text>\n"
    body += "<text x=\"\(left + cell * Double(n) / 2)\" y=\"44\" text-anchor=\"middle\">predicted class</text>\n"
    for (row, counts) in matrix.enumerated() {
      let total = max(1, counts.reduce(0, +))
      let y = top + cell * Double(row)
      body +=
        "<text x=\"\(left - 6)\" y=\"\(y + cell / 2 + 4)\" text-anchor=\"end\">\(Chart.escape(names[row]))</text>\n"
      for (column, count) in counts.enumerated() {
        let share = Double(count) / Double(total)
        let shade = Int(255 - 200 * share)
        let x = left + cell * Double(column)
        body +=
          "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(cell)\" height=\"\(cell)\" fill=\"rgb(\(shade),\(shade),255)\" "
          + "stroke=\"#fff\"/>\n"
        body +=
          "<text x=\"\(x + cell / 2)\" y=\"\(y + cell / 2 + 4)\" text-anchor=\"middle\" "
          + "fill=\"\(share > 0.6 ? "#fff" : "#000")\">\(count)</text>\n"
      }
    }
    let bottom = top + cell * Double(n)
    for (column, name) in names.enumerated() {
      let x = left + cell * (Double(column) + 0.5)
      body +=
        "<text transform=\"translate(\(x) \(bottom + 8)) rotate(45)\" "
        + "text-anchor=\"start\">\(Chart.escape(name))</text>\n"
    }
    body +=
      "<text transform=\"translate(16 \(top + cell * Double(n) / 2)) rotate(-90)\" text-anchor=\"middle\">"
      + "true class</text>\n"
    return """
      <svg xmlns="http://www.w3.org/2000/svg" width="\(size.0)" height="\(size.1)" viewBox="0 0 \(size.0) \(size.1)">
      <rect width="100%" height="100%" fill="white"/>
      \(body)</g>
      </svg>

      """
  }
}
