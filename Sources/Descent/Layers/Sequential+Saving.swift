import Foundation

extension Sequential {
  /// The safetensors metadata key under which a model file stores its ``ModelDescription`` (JSON).
  public static let descriptionKey = "descent.model"

  /// The layers, output meaning and preprocessing of this model, as a model file stores them.
  /// - Throws: ``ModelError/notDescribable(layer:)`` for a layer type of the user's own.
  public func describe() throws -> ModelDescription {
    ModelDescription(
      inputFeatures: inputFeatures, seed: seed, layers: try layers.map(LayerDescription.init),
      output: output, preprocessing: preprocessing)
  }

  /// The ``describe()`` JSON stored in model files and checkpoints.
  func descriptionJSON() throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return String(decoding: try encoder.encode(try describe()), as: UTF8.self)
  }

  /// Every parameter's current values, named as ``namedParameters`` names them.
  func tensors() throws -> [(name: String, tensor: SafeTensors.Tensor)] {
    try namedParameters.map { name, parameter in
      (name, SafeTensors.Tensor(shape: parameter.shape, values: try backend.download(parameter.value)))
    }
  }

  /// Writes a model file (safetensors, atomically): the weights (`"0.weight"` of `inputs × units`,
  /// `"0.bias"`, …) and, under ``descriptionKey``, everything ``load(contentsOf:backend:)`` needs.
  /// - Throws: ``TrainingError/nonFiniteResult(what:)`` when a weight is NaN or infinite (such a
  ///   file would not be a usable model), ``ModelError/notDescribable(layer:)`` for a layer of the
  ///   user's own, ``DataError/unwritable(path:reason:)``.
  public func save(to path: String) throws {
    try SafeTensors.write(try finiteTensors(), metadata: try fileMetadata(), to: path)
  }

  /// ``tensors()``, or an error naming the first that holds a NaN or an infinity.
  func finiteTensors() throws -> [(name: String, tensor: SafeTensors.Tensor)] {
    let tensors = try tensors()
    if let bad = tensors.first(where: { $0.tensor.values.contains { !$0.isFinite } }) {
      throw TrainingError.nonFiniteResult(what: "the weights (\(bad.name))")
    }
    return tensors
  }

  /// A model file's metadata: the description and a note on the layout.
  private func fileMetadata() throws -> [String: String] {
    [Self.descriptionKey: try descriptionJSON(), "layout": "Dense weights are inputs x units"]
  }

  /// Rebuilds the model a file written by ``save(to:)``, `descent train` or a checkpoint describes,
  /// on `backend`, with its weights, output meaning and preprocessing.
  /// - Throws: ``DataError`` naming `path` and what is wrong: no description (a bare-tensor file:
  ///   build the model in code and call ``loadWeights(from:)``), another format or a newer version,
  ///   an unknown layer or activation, a tensor that is missing, has another shape, holds a NaN or
  ///   an infinity, or belongs to no layer (a checkpoint's optimizer state and best weights do),
  ///   preprocessing that does not fit the inputs.
  public static func load(contentsOf path: String, backend: any Backend) throws -> Sequential {
    let (tensors, metadata) = try SafeTensors.read(path)
    return try load(tensors: tensors, metadata: metadata, place: path, backend: backend)
  }

  /// The model a file's bytes (as ``encoded()`` gives them) describe, named `name` in errors.
  /// - Throws: as ``load(contentsOf:backend:)``.
  public static func load(fileBytes: [UInt8], name: String, backend: any Backend) throws -> Sequential {
    let (tensors, metadata) = try SafeTensors.decode(fileBytes, path: name)
    return try load(tensors: tensors, metadata: metadata, place: name, backend: backend)
  }

  /// The bytes ``save(to:)`` writes.
  /// - Throws: as ``save(to:)``.
  public func encoded() throws -> [UInt8] {
    let tensors = try finiteTensors()
    return try SafeTensors.encode(tensors, metadata: try fileMetadata())
  }

  /// The model in a file's `tensors` and `metadata`, read from `place`.
  static func load(
    tensors: [String: SafeTensors.Tensor], metadata: [String: String], place: String, backend: any Backend
  ) throws -> Sequential {
    if metadata[Ensemble.descriptionKey] != nil {
      throw DataError.inconsistent(
        "\(place): an ensemble's file (several models): load it with Ensemble.load or `descent predict`")
    }
    let description = try ModelDescription.decode(
      metadata[descriptionKey], path: place,
      bareTensors: tensors.keys.contains { $0.first?.isNumber == true })
    return try build(description, tensors: tensors, place: place, backend: backend)
  }

  /// The model `description` describes with the weights in `tensors`, each checked first;
  /// `place` names the file (and member) in errors.
  static func build(
    _ description: ModelDescription, tensors: [String: SafeTensors.Tensor], place path: String,
    backend: any Backend
  ) throws -> Sequential {
    let layers = try description.layers.enumerated().map { index, layer in
      try layer.makeLayer(where: "\(path): layer \(index)")
    }
    // Every tensor is checked against the shape the description implies before anything is
    // allocated, so a crafted description cannot ask for more memory than the file holds.
    var expected: [String: [Int]] = [:]
    var width = description.inputFeatures
    for (index, layer) in layers.enumerated() {
      guard let dense = layer as? Dense else { continue }
      expected["\(index).weight"] = [width, dense.units]
      if dense.usesBias { expected["\(index).bias"] = [dense.units] }
      width = dense.units
    }
    for (name, shape) in expected.sorted(by: { $0.key < $1.key }) {
      guard let tensor = tensors[name] else {
        throw DataError.inconsistent(
          "\(path): the description needs a tensor \"\(name)\" of shape \(shape); the file has none")
      }
      guard tensor.shape == shape else {
        throw DataError.inconsistent(
          "\(path): tensor \"\(name)\" has shape \(tensor.shape), the description needs \(shape)")
      }
    }
    // A checkpoint (also a model file) adds each parameter's optimizer state and best weights.
    func belongs(_ name: String) -> Bool {
      expected[name] != nil || CheckpointTensor.parameter(of: name).map { expected[$0] != nil } == true
    }
    if let stray = tensors.keys.sorted().first(where: { !belongs($0) }) {
      throw DataError.inconsistent("\(path): tensor \"\(stray)\" belongs to no layer the description lists")
    }
    for name in expected.keys.sorted() {
      let values = tensors[name]!.values
      if let index = values.firstIndex(where: { !$0.isFinite }) {
        throw DataError.inconsistent(
          "\(path): tensor \"\(name)\" holds \(values[index]) at index \(index): a model needs finite weights")
      }
    }
    try description.validateOutput(width: width, path: path)
    try description.preprocessing.validate(inputFeatures: description.inputFeatures, place: path)
    let model = try Sequential(
      layers, inputFeatures: description.inputFeatures, backend: backend,
      seed: description.seed)
    for (name, parameter) in model.namedParameters {
      try backend.upload(tensors[name]!.values, to: parameter.value)
    }
    model.output = description.output
    model.preprocessing = description.preprocessing
    return model
  }

  /// Overwrites every parameter with the tensor of the same name (`"0.weight"`, …) in a
  /// safetensors file: a model file, a checkpoint, or a bare-tensor weights file, for a model
  /// built in code with the same architecture.
  /// - Throws: ``DataError`` naming the first tensor that is missing or has another shape.
  public func loadWeights(from path: String) throws {
    let tensors = try SafeTensors.read(path).tensors
    let values = try namedParameters.map { name, parameter in
      guard let tensor = tensors[name] else {
        throw DataError.inconsistent("\(path): no tensor \"\(name)\" \(parameter.shape)")
      }
      guard tensor.shape == parameter.shape else {
        throw DataError.inconsistent(
          "\(path): tensor \"\(name)\" has shape \(tensor.shape), the model needs \(parameter.shape)")
      }
      return tensor.values
    }
    try setWeights(values)
  }
}

extension ModelDescription {
  /// Reads the JSON of a model file's description: the format and version first, so a file from a
  /// newer Descent is named as such rather than as a field this version does not know.
  static func decode(_ json: String?, path: String, bareTensors: Bool) throws -> ModelDescription {
    guard let json else {
      throw DataError.inconsistent(
        """
        \(path): no "\(Sequential.descriptionKey)" metadata, so the file does not say which model its tensors belong to\
        \(bareTensors ? " (a bare-tensor weights file: build the model in code and call loadWeights(from:))" : "")
        """)
    }
    try FormatHeader.check(
      json, key: Sequential.descriptionKey, format: formatName, newest: currentVersion, noun: "model", place: path)
    do {
      let description = try JSONDecoder().decode(ModelDescription.self, from: Data(json.utf8))
      try description.checkShape(path: path)
      return description
    } catch let error as DecodingError {
      throw DataError.inconsistent("\(path): the model description is incomplete: \(Self.explain(error))")
    }
  }

  /// Throws unless the description has inputs (1 to 2³¹ − 1) and at least one layer.
  func checkShape(path: String) throws {
    guard (1...Int(Int32.max)).contains(inputFeatures), !layers.isEmpty else {
      throw DataError.inconsistent("\(path): the description needs inputFeatures >= 1 and at least one layer")
    }
  }

  /// A decoding error as "layers[1].units: expected Int, found a string" or "missing key output".
  private static func explain(_ error: DecodingError) -> String {
    func where_(_ path: [any CodingKey]) -> String {
      path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: ["."])
    }
    switch error {
    case let .keyNotFound(key, context):
      return "missing \"\(key.stringValue)\" at \(where_(context.codingPath + [key]))"
    case let .typeMismatch(_, context), let .valueNotFound(_, context), let .dataCorrupted(context):
      return "\(where_(context.codingPath)): \(context.debugDescription)"
    @unknown default: return "\(error)"
    }
  }

  /// Throws unless the output declaration fits the last layer's `width`.
  func validateOutput(width: Int, path: String) throws {
    if output.kind == .classes, width < 2 {
      throw DataError.inconsistent("\(path): a classifier needs at least 2 outputs, the layers give \(width)")
    }
    if let names = output.classNames, names.count != width {
      throw DataError.inconsistent("\(path): \(names.count) class names for \(width) outputs")
    }
  }
}

/// The `format` and `version` a Descent file's description (a model's, an ensemble's) starts with,
/// read before the rest so that a file from a newer Descent is named as such rather than as a field
/// this version does not know.
struct FormatHeader: Decodable {
  var format: String?
  var version: Int?

  /// Throws unless `json` (the metadata under `key`) is a JSON object naming `format` and a version
  /// from 1 to `newest`; `noun` ("model") and `place` name it in errors.
  static func check(_ json: String, key: String, format: String, newest: Int, noun: String, place: String) throws {
    guard let header = try? JSONDecoder().decode(Self.self, from: Data(json.utf8)) else {
      throw DataError.inconsistent("\(place): the \"\(key)\" metadata is not a JSON object")
    }
    try header.check(format: format, newest: newest, noun: noun, place: place)
  }

  /// Throws unless this header names `format` and a version from 1 to `newest`.
  func check(format expected: String, newest: Int, noun: String, place: String) throws {
    guard format == expected else {
      throw DataError.inconsistent("\(place): \(noun) format \"\(format ?? "none")\", expected \"\(expected)\"")
    }
    guard let version, (1...newest).contains(version) else {
      throw DataError.inconsistent(
        """
        \(place): \(noun) format version \(version.map(String.init) ?? "missing"); \
        this Descent reads versions 1 to \(newest) (a newer Descent wrote the file?)
        """)
    }
  }
}
