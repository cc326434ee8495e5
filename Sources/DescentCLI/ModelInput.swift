import Descent
import DescentOpenCL
import Foundation

/// The flags of `descent predict`, `evaluate` and `export`: `--name value` pairs and switches,
/// each allowed once, every unknown one an error naming it.
struct FlagValues {
  private var values: [String: String] = [:]

  init(_ options: [String], command: String, flags: Set<String>, switches: Set<String> = []) throws {
    var rest = options[...]
    while let option = rest.popFirst() {
      let name = String(option.dropFirst(2))
      guard option.hasPrefix("--"), flags.contains(name) || switches.contains(name) else {
        throw UsageError(
          message: option.hasPrefix("--")
            ? "unknown option '\(option)' for '\(command)'"
            : "unexpected argument '\(option)' for '\(command)'",
          isUnknownOption: true)
      }
      guard values[name] == nil else { throw UsageError(message: "\(option) is given twice") }
      if switches.contains(name) {
        values[name] = "true"
      } else {
        guard let value = rest.popFirst() else { throw UsageError(message: "\(option) needs a value") }
        values[name] = value
      }
    }
  }

  subscript(_ name: String) -> String? { values[name] }

  func required(_ name: String) throws -> String {
    guard let value = values[name] else { throw UsageError(message: "--\(name) is required") }
    return value
  }

  func positive(_ name: String, default fallback: Int) throws -> Int {
    guard let text = values[name] else { return fallback }
    guard let value = Int(text), value >= 1 else {
      throw UsageError(message: "--\(name): '\(text)' is not a whole number >= 1")
    }
    return value
  }

  /// The backend `--backend` and `--device` (or `DESCENT_DEVICE`) choose, as `descent train` does.
  func backend() throws -> any Backend {
    let kind = values["backend"] ?? "auto"
    guard ["auto", "cpu", "opencl"].contains(kind) else {
      throw UsageError(message: "--backend: '\(kind)' is not one of auto, cpu, opencl")
    }
    return try Backends.choose(kind, device: values["device"] ?? "")
  }
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

  init(_ path: String, labels: String?, model: Sequential) throws {
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

  private static func readCSV(_ path: String, model: Sequential) throws -> (Dataset, Bool) {
    let file = try CSVFile(path: path, label: nil)
    let names = file.header ?? []
    let labelColumn = model.output.label.flatMap { names.firstIndex(of: $0) }
    let featureNames = names.indices.filter { $0 != labelColumn }.map { names[$0] }
    if let expected = model.preprocessing.featureNames, featureNames != expected {
      throw DataError.inconsistent(
        """
        \(path): feature columns \(featureNames) differ from the model's \(expected)\
        \(model.output.label.map { " (label column \"\($0)\" optional)" } ?? "")
        """)
    }
    var features = file.features, targets = [Float](repeating: 0, count: file.lineNumbers.count)
    if let labelColumn {
      let width = file.featureCount
      targets = (0..<targets.count).map { file.features[$0 * width + labelColumn] }
      features = (0..<file.features.count).filter { $0 % width != labelColumn }.map { file.features[$0] }
    }
    return (
      try Dataset(
        features: features, featureCount: file.featureCount - (labelColumn == nil ? 0 : 1),
        targets: targets, name: path), labelColumn != nil
    )
  }
}
