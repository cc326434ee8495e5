import CommandFlags
import Descent
import DescentOpenCL
import Foundation

/// What `descent predict` and `evaluate` share: the model file, the data, and the backend.
struct InferenceSettings {
  var model = ""
  var input = ""
  var batchSize = 256
  var backend = "auto"
  var device = ""

  /// The shared flags of a command whose settings keep a `ModelRun` at `path`; `input` describes `--input`.
  static func flags<Settings>(
    _ path: WritableKeyPath<Settings, InferenceSettings> & Sendable, input: String
  ) -> [Flag<Settings>] {
    [
      Flag(
        "model", "FILE",
        "a model file: `descent train`'s weights.safetensors, `descent ensemble`'s, or Sequential.save's",
        required: true
      ) { settings, text in
        settings[keyPath: path].model = text
        return nil
      },
      Flag("input", "DATA", input, required: true) { settings, text in
        settings[keyPath: path].input = text
        return nil
      },
      Flag("batch-size", "256", "rows per forward pass") { settings, text in
        guard let rows = Int(text), rows >= 1 else { return "a whole number >= 1" }
        settings[keyPath: path].batchSize = rows
        return nil
      },
      Flag("backend", "auto", "auto, cpu or opencl, as for train") { settings, text in
        guard ["auto", "cpu", "opencl"].contains(text) else { return "one of auto, cpu, opencl" }
        settings[keyPath: path].backend = text
        return nil
      },
      Flag("device", "SELECTOR", "the OpenCL device, as for train") { settings, text in
        settings[keyPath: path].device = text
        return nil
      },
    ]
  }

  /// The backend `--backend` and `--device` (or `DESCENT_DEVICE`) choose, as `descent train` does.
  func makeBackend() throws -> any Backend { try Backends.choose(backend, device: device) }
}

enum Backends {
  /// `auto`: the device `device` or `DESCENT_DEVICE` names, else an OpenCL GPU when there is one
  /// (the fastest device), else the CPU backend (faster than an OpenCL driver running on the same
  /// CPU). A selector that matches no device is an error listing the devices, and so is one given
  /// with `cpu`, which would ignore it.
  static func choose(_ kind: String, device: String) throws -> any Backend {
    let selector = device.isEmpty ? DeviceSelector.fromEnvironment() : DeviceSelector(device)
    switch kind {
    case "cpu":
      guard selector == .automatic else {
        let source = device.isEmpty ? "DESCENT_DEVICE=\(selector)" : "--device \(selector)"
        throw UsageError(message: "\(source) chooses an OpenCL device, but --backend cpu uses none: drop one of them")
      }
      return CPUBackend()
    case "opencl": return try OpenCLBackend(selector)
    default:
      if selector != .automatic { return try OpenCLBackend(selector) }
      if let gpu = (try? OpenCLDevice.all())?.first(where: { $0.kind == .gpu }) {
        return try OpenCLBackend(device: gpu)
      }
      return CPUBackend()
    }
  }
}

/// The rows `descent predict` and `evaluate` read for a model, raw as the files hold them: a CSV
/// file with the training file's header (its label column optional) or IDX images (a file, or a
/// folder holding a test or training split), with labels when the data has them.
struct ModelInput {
  private(set) var dataset: Dataset
  private(set) var hasLabels: Bool

  init(_ path: String, labels: String?, model: any Predictor) throws {
    if path.lowercased().hasSuffix(".csv") {
      if labels != nil {
        throw UsageError(message: "--labels is for IDX images; a CSV file holds its labels in a column")
      }
      (dataset, hasLabels) = try Self.readCSV(path, model: model)
    } else {
      var (images, labelFile) = (path, labels)
      if FileSystem.isDirectory(path) {
        let split: IDXDataSet.Split = (try? IDXDataSet.locate(.test, labels: false, in: path)) != nil ? .test : .train
        images = try IDXDataSet.locate(split, labels: false, in: path)
        labelFile = labels ?? (try? IDXDataSet.locate(split, labels: true, in: path))
      }
      dataset = try IDXDataSet.load(images: images, labels: labelFile, name: images).dataset
      hasLabels = labelFile != nil
    }
    guard dataset.featureCount == model.inputFeatures else {
      throw ModelError.shapeMismatch(
        "\(dataset.name) has \(dataset.featureCount) features per row, the model takes \(model.inputFeatures)")
    }
    guard dataset.rows > 0 else { throw DataError.empty(source: dataset.name) }
    try dataset.checkFinite()
  }

  private static func readCSV(_ path: String, model: any Predictor) throws -> (Dataset, Bool) {
    let encoding = model.preprocessing.encoding
    let file = try CSVFile(
      path: path, label: model.output.label.map(CSVFile.LabelColumn.nameIfPresent),
      types: .text(encoding?.textColumns ?? []))
    let featureNames = file.featureNames ?? []
    if let expected = model.preprocessing.featureNames, featureNames != expected {
      throw DataError.inconsistent(
        """
        \(path): feature columns \(featureNames) differ from the model's \(expected)\
        \(model.output.label.map { " (label column \"\($0)\" optional)" } ?? "")
        """)
    }
    var targets = [Float](repeating: 0, count: file.lineNumbers.count)
    if let labelColumn = file.labelColumn {
      func failure(_ row: Int, _ expected: String, _ found: String) -> DataError {
        .invalidLine(path: path, line: file.lineNumbers[row], column: labelColumn + 1, expected: expected, found: found)
      }
      if let texts = file.labelTexts {
        // Text labels name the model's classes.
        guard model.output.kind == .classes, let names = model.output.classNames else {
          let row = texts.firstIndex { CSVNumber.parse(ArraySlice($0.utf8)) == nil } ?? 0
          throw failure(row, "a number (the model has no class names)", "\"\(texts[row])\"")
        }
        targets = try TrainingData.classes(of: texts, names: names, described: "the model's classes", failure)
      } else {
        try TrainingData.checkLabels(file.labels, classification: model.output.kind == .classes) {
          row, value, allowed in
          failure(row, allowed, "\(value)")
        }
        targets = file.labels.map(Float.init)
      }
    }
    let features: [Float]
    if let encoding {
      let (encoded, unseen) = try encoding.encode(file, path: path)
      unseen.forEach { CommandLineTool.warn(TrainingData.unseenWarning($0, path: path, names: file.featureNames)) }
      features = encoded
    } else {
      // A model without an encoding takes the numbers as they are: it has no median for a gap.
      features = file.numericFeatures ?? []
      if let cell = features.firstIndex(where: \.isNaN) {
        throw DataError.invalidLine(
          path: path, line: file.lineNumbers[cell / file.featureCount],
          column: file.fileColumn(ofFeature: cell % file.featureCount) + 1,
          expected: "a number (this model has no medians for missing cells: train it again to have them)",
          found: "a missing cell")
      }
    }
    let width = encoding?.width ?? file.featureCount
    return (try Dataset(features: features, featureCount: width, targets: targets, name: path), file.labelColumn != nil)
  }
}
