@testable import Descent
import Foundation
import Testing

/// Model files: `Sequential.save` / `load` round trips, and every way a file can be wrong.
@Suite struct ModelFileTests {
  let backend = CPUBackend()
  let folder: String

  init() throws {
    folder = NSTemporaryDirectory() + "descent-model-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
  }

  /// Every layer type and activation, an output declaration and preprocessing.
  func everyLayer(seed: UInt64 = 3) throws -> Sequential {
    let model = try Sequential(inputFeatures: 5, backend: backend, seed: seed) {
      try Dense(7, activation: .gelu)
      try Dropout(0.25)
      try Dense(6, activation: .leakyReLU(slope: 0.2), bias: false)
      ActivationLayer(.tanh)
      try Dense(5, activation: .sigmoid)
      try Dense(4, activation: .relu)
      try Dense(3)
      Softmax()
    }
    model.output = ModelOutput(kind: .classes, classNames: ["cat", "dog", "bird, small"], label: "animal")
    model.preprocessing = Preprocessing(
      featureNames: ["a", "b", "c", "d", "e"], scale: 0.5,
      standardization: Standardization(
        means: [0.1, -2, 3e-3, 4, 5],
        deviations: [1, 0.3, 7, 1e-3, 2.5]))
    return model
  }

  func inputs(rows: Int) -> [Float] { (0..<rows * 5).map { Float(($0 * 37) % 23) / 3 - 3 } }

  @Test func aSavedModelLoadsAndPredictsBitForBit() throws {
    let model = try everyLayer()
    // Train a little so the weights differ from what the seed alone would give.
    let trainer = try Trainer(model: model, loss: .meanSquaredError, optimizer: Adam(learningRate: 0.01))
    let data = try Dataset(
      features: inputs(rows: 12), featureCount: 5, targets: (0..<36).map { Float($0 % 3) / 2 },
      targetWidth: 3)
    try trainer.fit(data, epochs: 3, batchSize: 4, progress: .silent)
    let path = "\(folder)/model.safetensors"
    try model.save(to: path)
    let loaded = try Sequential.load(contentsOf: path, backend: CPUBackend())
    #expect(try loaded.describe() == model.describe())
    #expect(loaded.output == model.output && loaded.preprocessing == model.preprocessing && loaded.seed == 3)
    #expect(try loaded.weights() == model.weights())
    let raw = inputs(rows: 9)
    #expect(try loaded.predict(raw: raw, rows: 9) == model.predict(raw: raw, rows: 9))
    #expect(
      try loaded.summary.replacingOccurrences(of: "cpu", with: "")
        == model.summary.replacingOccurrences(of: "cpu", with: ""))
  }

  /// predict(raw:) applies the scale, then the standardization, feature by feature.
  @Test func rawPredictionsApplyThePreprocessing() throws {
    let model = try everyLayer()
    let raw = inputs(rows: 2)
    let standardization = model.preprocessing.standardization!
    let prepared = raw.enumerated().map { i, x in
      (x * 0.5 - standardization.means[i % 5]) / standardization.deviations[i % 5]
    }
    #expect(try model.predict(raw: raw, rows: 2) == model.predict(prepared, rows: 2))
    #expect(try model.predict(raw: raw, rows: 2) != model.predict(raw, rows: 2))
  }

  /// Preprocessing of another width is an error naming it, not an index out of range.
  @Test func preprocessingOfAnotherWidthIsNamed() throws {
    let model = try everyLayer()
    model.preprocessing = Preprocessing(standardization: Standardization(means: [0, 0, 0], deviations: [1, 1, 1]))
    #expect(throws: DataError.inconsistent("the raw inputs: 5 features, the standardization has 3")) {
      _ = try model.predict(raw: inputs(rows: 2), rows: 2)
    }
  }

  @Test func checkpointsAreModelFilesToo() throws {
    let model = try everyLayer()
    let trainer = try Trainer(model: model, loss: .meanSquaredError, optimizer: SGD())
    let path = "\(folder)/checkpoint.safetensors"
    try trainer.saveCheckpoint(to: path)
    #expect(try Sequential.load(contentsOf: path, backend: backend).weights() == model.weights())
  }

  @Test func bareTensorFilesLoadIntoAModelBuiltInCode() throws {
    let model = try Sequential(
      [try Dense(3, activation: .relu), try Dense(2)], inputFeatures: 4, backend: backend, seed: 9)
    let path = "\(folder)/bare.safetensors"
    try SafeTensors.write(try model.tensors(), metadata: ["layout": "Dense weights are inputs x units"], to: path)
    #expect {
      _ = try Sequential.load(contentsOf: path, backend: backend)
    } throws: { "\($0)".contains("no \"descent.model\" metadata") && "\($0)".contains("loadWeights(from:)") }
    let rebuilt = try Sequential(
      [try Dense(3, activation: .relu), try Dense(2)], inputFeatures: 4, backend: backend, seed: 1)
    try rebuilt.loadWeights(from: path)
    #expect(try rebuilt.weights() == model.weights())
    let other = try Sequential([try Dense(4), try Dense(2)], inputFeatures: 4, backend: backend)
    #expect(throws: DataError.inconsistent("\(path): tensor \"0.weight\" has shape [4, 3], the model needs [4, 4]")) {
      try other.loadWeights(from: path)
    }
  }

  /// Writes `model`'s file with its description JSON edited by `edit`, and its tensors by `tensors`.
  func file(
    _ edit: (inout [String: Any]) -> Void,
    tensors change: (inout [(name: String, tensor: SafeTensors.Tensor)]) -> Void = { _ in }
  ) throws -> String {
    let model = try everyLayer()
    var description = try JSONSerialization.jsonObject(with: Data(try model.descriptionJSON().utf8)) as! [String: Any]
    edit(&description)
    var tensors = try model.tensors()
    change(&tensors)
    let json = String(decoding: try JSONSerialization.data(withJSONObject: description), as: UTF8.self)
    let path = "\(folder)/edited-\(UUID().uuidString).safetensors"
    try SafeTensors.write(tensors, metadata: [Sequential.descriptionKey: json], to: path)
    return path
  }

  /// Ways to break a model file's description, each with what its error must say.
  enum Breakage: String, CaseIterable, Sendable {
    case newerVersion, otherFormat, noLayers, stringUnits, unknownLayer, unknownActivation, dropoutOfOne,
      unitsDisagree, missingBias, hugeUnits, otherInputWidth, fewClassNames, zeroDeviation

    func apply(to description: inout [String: Any]) {
      var layers = description["layers"] as! [[String: Any]]
      var preprocessing = description["preprocessing"] as! [String: Any]
      switch self {
      case .newerVersion: description["version"] = 2
      case .otherFormat: description["format"] = "keras"
      case .noLayers: layers = []; description["layers"] = nil
      case .stringUnits: layers[0]["units"] = "7"
      case .unknownLayer: layers[1]["type"] = "conv2d"
      case .unknownActivation: layers[3]["activation"] = "swish"
      case .dropoutOfOne: layers[1]["rate"] = 1
      case .unitsDisagree: layers[0]["units"] = 8
      case .missingBias: layers[2]["bias"] = true
      case .hugeUnits: layers[0]["units"] = 1 << 40
      case .otherInputWidth: description["inputFeatures"] = 6
      case .fewClassNames: description["output"] = ["kind": "classes", "classNames": ["a", "b"]]
      case .zeroDeviation:
        preprocessing["standardization"] = ["means": [0, 0, 0, 0, 0], "deviations": [1, 1, 0, 1, 1]]
      }
      if !layers.isEmpty { description["layers"] = layers }
      description["preprocessing"] = preprocessing
    }

    var message: String {
      switch self {
      case .newerVersion: "model format version 2; this Descent reads versions 1 to 1"
      case .otherFormat: "model format \"keras\", expected \"descent-model\""
      case .noLayers: "missing \"layers\""
      case .stringUnits: "layers[0].units"
      case .unknownLayer: "layer 1: unknown layer type \"conv2d\""
      case .unknownActivation: "layer 3: unknown activation \"swish\""
      case .dropoutOfOne: "layer 1: a dropout layer needs \"rate\" in [0, 1)"
      case .unitsDisagree: "tensor \"0.bias\" has shape [7], the description needs [8]"
      case .missingBias: "needs a tensor \"2.bias\" of shape [6]; the file has none"
      case .hugeUnits: "the description needs [1099511627776]"
      case .otherInputWidth: "has shape [5, 7], the description needs [6, 7]"
      case .fewClassNames: "2 class names for 3 outputs"
      case .zeroDeviation: "needs finite means and finite positive deviations"
      }
    }
  }

  /// Each broken file is an error naming the file and what is wrong, before any allocation.
  @Test(arguments: Breakage.allCases)
  func brokenDescriptionsAreNamed(_ breakage: Breakage) throws {
    let path = try file(breakage.apply)
    #expect {
      _ = try Sequential.load(contentsOf: path, backend: backend)
    } throws: { error in
      "\(error)".hasPrefix(path) && "\(error)".contains(breakage.message)
    }
  }

  @Test func strayAndMissingTensorsAreNamed() throws {
    for name in ["9.weight", "extra", "optimizer.9.weight.0", "best.9.weight", "optimizer.0.weight.x", "optimizer.5"] {
      let stray = try file({ _ in }) { $0.append((name, .init(shape: [1], values: [1]))) }
      let message = "\(stray): tensor \"\(name)\" belongs to no layer the description lists"
      #expect(throws: DataError.inconsistent(message)) { _ = try Sequential.load(contentsOf: stray, backend: backend) }
    }
    let nonFinite = try file({ _ in }) { tensors in
      let index = tensors.firstIndex { $0.name == "4.bias" }!
      tensors[index].tensor.values[3] = .nan
    }
    #expect(
      throws: DataError.inconsistent(
        "\(nonFinite): tensor \"4.bias\" holds nan at index 3: a model needs finite weights")
    ) {
      _ = try Sequential.load(contentsOf: nonFinite, backend: backend)
    }
    let missing = try file({ _ in }) { $0.removeAll { $0.name == "4.bias" } }
    #expect(
      throws: DataError.inconsistent(
        "\(missing): the description needs a tensor \"4.bias\" of shape [5]; the file has none")
    ) {
      _ = try Sequential.load(contentsOf: missing, backend: backend)
    }
  }

  @Test func nonFiniteWeightsAndOwnLayersAreNotSaved() throws {
    let model = try everyLayer()
    try backend.upload([Float](repeating: .nan, count: 35), to: model.parameters[0].value)
    #expect(throws: TrainingError.nonFiniteResult(what: "the weights (0.weight)")) {
      try model.save(to: "\(folder)/nan.safetensors")
    }
    #expect(!FileManager.default.fileExists(atPath: "\(folder)/nan.safetensors"))
    final class Twice: Layer {
      var description: String { "Twice" }
      var parameters: [Parameter] { [] }
      func build(inputFeatures: Int, backend: any Backend, key: RandomKey) throws -> Int { inputFeatures }
      func forward(_ input: DeviceBuffer, rows: Int, mode: ForwardMode) throws -> DeviceBuffer { input }
      func backward(_ g: DeviceBuffer, rows: Int, needsInputGradient: Bool) throws -> DeviceBuffer? { g }
    }
    let custom = try Sequential([Twice(), try Dense(2)], inputFeatures: 3, backend: backend)
    #expect(throws: ModelError.notDescribable(layer: "Twice")) { try custom.save(to: "\(folder)/custom.safetensors") }
  }
}

/// The protocol-buffers writer behind the ONNX export, byte for byte against the encoding spec.
@Suite struct ProtobufTests {
  @Test func fieldsEncodeAsTheSpecSays() {
    var message = ProtobufMessage()
    message.int(1, 1)
    message.int(2, 300)  // varint 300 = 0xAC 0x02
    message.int(3, -1)  // int64 -1: ten bytes
    message.float(4, 1)  // wire type 5, little-endian 0x3F800000
    message.string(5, "ab")
    message.message(6) { $0.int(1, 150) }  // the spec's example: 08 96 01, nested with length 3
    #expect(
      message.bytes == [
        0x08, 0x01, 0x10, 0xAC, 0x02,
        0x18, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01,
        0x25, 0x00, 0x00, 0x80, 0x3F, 0x2A, 0x02, 0x61, 0x62, 0x32, 0x03, 0x08, 0x96, 0x01,
      ])
  }

  /// The export names its opset and IR version, and leaves dropout out (ONNX Runtime's own check
  /// of the model is scripts/interop.sh).
  @Test func exportsDeclareOpset17AndSkipDropout() throws {
    let model = try Sequential(
      [try Dense(3, activation: .gelu), try Dropout(0.5), try Dense(2)], inputFeatures: 2,
      backend: CPUBackend())
    model.output = ModelOutput(kind: .classes)
    let bytes = try ONNXExport.encode(model)
    #expect(Array(bytes.prefix(2)) == [0x08, 0x08], "ir_version 8 first")
    #expect(
      Array(bytes.suffix(6)) == [0x42, 0x04, 0x0A, 0x00, 0x10, 0x11], "opset_import {domain \"\", version 17} last")
    let text = String(decoding: bytes, as: UTF8.self)
    #expect(
      text.contains("Gemm") && text.contains("Erf") && text.contains("probabilities") && !text.contains("Dropout"))
  }
}
