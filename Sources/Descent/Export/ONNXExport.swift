/// Writes a ``Sequential`` model as an ONNX model (IR version 8, opset 17) that ONNX Runtime and
/// other ONNX tools run: input `features` of shape `[batch, inputFeatures]` (raw, as the data files
/// hold them). A model with a ``TableEncoding`` takes its number columns as `features` (`[batch,
/// numberColumns]`, NaN for a missing cell) and each boolean or category column as a string input
/// `[batch, 1]` named by its header ("" for a missing cell); the encoding runs in the graph
/// (`ai.onnx.ml` `LabelEncoder` and `OneHotEncoder`, `IsNaN`/`Where` for the medians). Then the
/// preprocessing as `Mul`/`Sub`/`Div` nodes, each Dense layer as `Gemm` (`MatMul`
/// without a bias), activations as `Relu`, `LeakyRelu`, `Sigmoid`, `Tanh` and GELU through `Erf`
/// (opset 17 has no `Gelu`), `Softmax`; dropout (the identity at inference) is left out. Outputs:
/// `outputs` (the model's own: logits for a classifier) and, for a classifier without a softmax
/// layer, `probabilities`. The batch dimension is the symbolic `batch`.
public enum ONNXExport {
  /// The ONNX model's bytes.
  /// - Throws: ``ModelError/notDescribable(layer:)`` for a layer of the user's own.
  public static func encode(_ model: Sequential) throws -> [UInt8] {
    var graph = Graph()
    let current = try graph.layers(of: model, from: try graph.preprocess(model), prefix: "")
    var outputs = [graph.node("Identity", [current], output: "outputs")]
    if model.output.kind == .classes, !model.outputsProbabilities {
      outputs.append(graph.node("Softmax", ["outputs"], attributes: [("axis", .int(-1))], output: "probabilities"))
    }
    return try encode(graph, outputs: outputs, width: model.outputFeatures)
  }

  /// An ensemble as one graph: the shared inputs and preprocessing, every member's layers (their
  /// constants named `member{i}.…`), then the weighted sum of the members' probabilities (a
  /// classifier's, through a `Softmax` where a member ends in logits, its logits divided by its
  /// temperature where that is not 1) or outputs, as `outputs`.
  /// - Throws: as the single model's encoding.
  public static func encode(_ ensemble: Ensemble) throws -> [UInt8] {
    var graph = Graph()
    let input = try graph.preprocess(ensemble.members[0])
    var terms: [String] = []
    for (index, (member, weight)) in zip(ensemble.members, ensemble.weights).enumerated() {
      var current = try graph.layers(of: member, from: input, prefix: "member\(index).")
      let temperature = ensemble.temperatures[index]
      if temperature != 1 {
        // softmax(logits / T); a member's probabilities as logits first: log(max(p, smallest float)).
        if member.outputsProbabilities {
          let smallest = graph.constant("member\(index).smallest", [Float.leastNonzeroMagnitude], shape: [])
          current = graph.node("Log", [graph.node("Max", [current, smallest])])
        }
        let divisor = graph.constant("member\(index).temperature", [Float(temperature)], shape: [])
        current = graph.node("Div", [current, divisor])
      }
      if ensemble.outputsProbabilities, !member.outputsProbabilities || temperature != 1 {
        current = graph.node("Softmax", [current], attributes: [("axis", .int(-1))])
      }
      terms.append(graph.node("Mul", [current, graph.constant("member\(index).weight", [Float(weight)], shape: [])]))
    }
    let sum = terms.count == 1 ? terms[0] : graph.node("Sum", terms)
    let outputs = [graph.node("Identity", [sum], output: "outputs")]
    return try encode(graph, outputs: outputs, width: ensemble.outputFeatures)
  }

  /// The model's bytes for `graph`, whose `outputs` are `[batch, width]`.
  private static func encode(_ graph: Graph, outputs: [String], width: Int) throws -> [UInt8] {
    var message = ProtobufMessage()
    message.int(1, 8)  // ir_version: IR_VERSION_2021_7_30, the one opset 17 came with
    message.string(2, "descent")  // producer_name
    message.message(7) { graphMessage in
      graph.write(into: &graphMessage, outputs: outputs.map { ($0, width) })
    }
    message.message(8) { opset in  // opset_import: the default domain at version 17
      opset.string(1, "")
      opset.int(2, 17)
    }
    if graph.nodes.contains(where: { $0.domain == Graph.mlDomain }) {
      message.message(8) { opset in  // and the ML operators' domain at version 3 (released with opset 17)
        opset.string(1, Graph.mlDomain)
        opset.int(2, 3)
      }
    }
    let names = graph.inputs.map(\.name) + graph.constants.map(\.name) + graph.nodes.map(\.output)
    if let clash = Dictionary(names.map { ($0, 1) }, uniquingKeysWith: +).first(where: { $0.value > 1 }) {
      throw DataError.inconsistent(
        "the ONNX graph would have two values named \"\(clash.key)\": rename that column in the training file")
    }
    return message.bytes
  }

  /// The graph's inputs for the user: `"features" [batch, 2] float, "island" [batch, 1] string`.
  public static func inputDescription(_ model: some Predictor) throws -> String {
    var graph = Graph()
    _ = try graph.addInputs(of: model)
    return graph.inputs.map { "\"\($0.name)\" [batch, \($0.width)] \($0.type == Graph.float ? "float" : "string")" }
      .joined(separator: ", ")
  }

  /// Writes the ONNX model of a model or an ensemble to `path`, atomically.
  /// - Throws: as the encodings, and ``DataError/unwritable(path:reason:)``.
  public static func write(_ model: any Predictor, to path: String) throws {
    let bytes =
      switch model {
      case let ensemble as Ensemble: try encode(ensemble)
      case let single as Sequential: try encode(single)
      default: throw DataError.inconsistent("ONNX export takes a Sequential model or an Ensemble, not \(model)")
      }
    try FileSystem.writeAtomically(bytes, to: path)
  }
}

/// The nodes and constant tensors of an ONNX graph, in the order they run.
private struct Graph {
  enum Attribute {
    case int(Int)
    case float(Float)
    case floats([Float])
    case strings([String])
  }

  /// The domain of the ONNX-ML operators (`LabelEncoder`, `OneHotEncoder`).
  static let mlDomain = "ai.onnx.ml"
  /// TensorProto data types.
  static let float = 1, string = 8, int64 = 7

  var nodes: [(op: String, domain: String, inputs: [String], output: String, attributes: [(String, Attribute)])] = []
  /// Initializers: name, shape, data type and little-endian bytes.
  var constants: [(name: String, shape: [Int], type: Int, raw: [UInt8])] = []
  /// The graph's inputs: name, element type, width (each of shape `[batch, width]`).
  var inputs: [(name: String, type: Int, width: Int)] = []

  /// Adds a constant float tensor (an initializer) and returns its name.
  mutating func constant(_ name: String, _ values: [Float], shape: [Int]) -> String {
    var raw: [UInt8] = []
    raw.reserveCapacity(4 * values.count)
    for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { raw += $0 } }
    constants.append((name, shape, Self.float, raw))
    return name
  }

  /// Adds a constant int64 vector and returns its name.
  mutating func constant(_ name: String, int64 values: [Int]) -> String {
    var raw: [UInt8] = []
    for value in values { withUnsafeBytes(of: Int64(value).littleEndian) { raw += $0 } }
    constants.append((name, [values.count], Self.int64, raw))
    return name
  }

  /// Adds a node and returns the name of its output (`output`, or one made from its position).
  mutating func node(
    _ op: String, _ inputs: [String], attributes: [(String, Attribute)] = [], output: String? = nil,
    domain: String = ""
  ) -> String {
    let name = output ?? "\(nodes.count).\(op)"
    nodes.append((op, domain, inputs, name, attributes))
    return name
  }

  /// The inputs and the preprocessing of `model`; returns the name of the preprocessed
  /// `[batch, inputFeatures]` tensor.
  mutating func preprocess(_ model: some Predictor) throws -> String {
    let preprocessing = model.preprocessing
    var current = try addInputs(of: model)
    if preprocessing.scale != 1 {
      current = node("Mul", [current, constant("scale", [preprocessing.scale], shape: [])])
    }
    if let standardization = preprocessing.standardization {
      let shape = [model.inputFeatures]
      current = node("Sub", [current, constant("means", standardization.means, shape: shape)])
      current = node("Div", [current, constant("deviations", standardization.deviations, shape: shape)])
    }
    return current
  }

  /// The nodes of `model`'s layers from `input`, their constants' names starting with `prefix`;
  /// returns the name of the last layer's output.
  mutating func layers(of model: Sequential, from input: String, prefix: String) throws -> String {
    var current = input
    for (index, layer) in model.layers.enumerated() {
      switch layer {
      case let dense as Dense:
        let parameters = try dense.parameters.map { try model.backend.download($0.value) }
        let weight = constant("\(prefix)\(index).weight", parameters[0], shape: dense.parameters[0].shape)
        current =
          dense.usesBias
          ? node("Gemm", [current, weight, constant("\(prefix)\(index).bias", parameters[1], shape: [dense.units])])
          : node("MatMul", [current, weight])
        if let activation = dense.activation { current = self.activation(activation, current) }
      case let activation as ActivationLayer: current = self.activation(activation.function, current)
      case is Dropout: continue
      case is Softmax: current = node("Softmax", [current], attributes: [("axis", .int(-1))])
      default: throw ModelError.notDescribable(layer: "\(layer)")
      }
    }
    return current
  }

  /// The graph's inputs for `model` (with its encoding's nodes); returns the name of the raw
  /// `[batch, inputFeatures]` tensor the preprocessing starts from.
  mutating func addInputs(of model: some Predictor) throws -> String {
    guard let encoding = model.preprocessing.encoding else {
      inputs = [("features", Self.float, model.inputFeatures)]
      return "features"
    }
    return try encode(encoding, names: model.preprocessing.featureNames)
  }

  /// The inputs and nodes of `encoding`, the columns named `names` (or `column1`, ...); returns
  /// the name of the encoded `[batch, width]` tensor.
  private mutating func encode(_ encoding: TableEncoding, names: [String]?) throws -> String {
    func inputName(_ column: Int) -> String { names?[column] ?? "column\(column + 1)" }
    var parts: [String] = []
    var values: [String] = []
    let numbers = encoding.columns.indices.filter { encoding.columns[$0].kind == .number }
    if !numbers.isEmpty {
      inputs.append(("features", Self.float, numbers.count))
      values.append("features")
    }
    let booleans = encoding.valueColumns.filter { encoding.columns[$0].kind == .boolean }
    let words = TableEncoding.trueWords.sorted() + TableEncoding.falseWords.sorted()
    for column in booleans {
      inputs.append((inputName(column), Self.string, 1))
      values.append(
        node(
          "LabelEncoder", [inputName(column)],
          attributes: [
            ("keys_strings", .strings(words)),
            ("values_floats", .floats(words.map { TableEncoding.trueWords.contains($0) ? 1 : 0 })),
            ("default_float", .float(.nan)),
          ], domain: Self.mlDomain))
    }
    if !values.isEmpty {
      let joined = values.count == 1 ? values[0] : node("Concat", values, attributes: [("axis", .int(1))])
      let missing = node("IsNaN", [joined])
      let medians = constant(
        "medians", encoding.valueColumns.map { encoding.columns[$0].median ?? 0 }, shape: [encoding.valueColumns.count])
      parts.append(node("Where", [missing, medians, joined]))
      let indicators = encoding.indicatorColumns.compactMap { encoding.valueColumns.firstIndex(of: $0) }
      if !indicators.isEmpty {
        let picked = node(
          "Gather", [missing, constant("missing.columns", int64: indicators)], attributes: [("axis", .int(1))])
        parts.append(node("Cast", [picked], attributes: [("to", .int(Self.float))]))
      }
    }
    for column in encoding.categoryColumns {
      inputs.append((inputName(column), Self.string, 1))
      guard let categories = encoding.columns[column].categories, !categories.isEmpty else { continue }
      let hot = node(
        "OneHotEncoder", [inputName(column)], attributes: [("cats_strings", .strings(categories)), ("zeros", .int(1))],
        domain: Self.mlDomain)
      parts.append(node("Flatten", [hot], attributes: [("axis", .int(1))]))
    }
    guard !parts.isEmpty else { throw DataError.inconsistent("the model's encoding makes no inputs") }
    return parts.count == 1 ? parts[0] : node("Concat", parts, attributes: [("axis", .int(1))])
  }

  /// The nodes computing `activation` of `input`, from its ``Activation/onnx`` expression.
  mutating func activation(_ activation: Activation, _ input: String) -> String {
    func emit(_ expression: ONNXExpression) -> String {
      switch expression {
      case .input: return input
      case let .constant(value): return constant("\(activation.name).constant\(constants.count)", [value], shape: [])
      case let .op(op, operands, attributes):
        let inputs = operands.map(emit)
        return node(op, inputs, attributes: attributes.sorted { $0.key < $1.key }.map { ($0.key, .float($0.value)) })
      }
    }
    return emit(activation.onnx)
  }

  func write(into graph: inout ProtobufMessage, outputs: [(String, Int)]) {
    for node in nodes {
      graph.message(1) { message in  // node: NodeProto
        for input in node.inputs { message.string(1, input) }
        message.string(2, node.output)
        message.string(3, node.output)  // the node's name: its output's
        message.string(4, node.op)
        for (name, value) in node.attributes {
          message.message(5) { attribute in  // AttributeProto: name, the value's field, its type (20)
            attribute.string(1, name)
            switch value {
            case let .float(number): attribute.float(2, number); attribute.int(20, 1)
            case let .int(number): attribute.int(3, number); attribute.int(20, 2)
            case let .floats(numbers): for number in numbers { attribute.float(7, number) }; attribute.int(20, 6)
            case let .strings(texts): for text in texts { attribute.string(9, text) }; attribute.int(20, 8)
            }
          }
        }
        if !node.domain.isEmpty { message.string(7, node.domain) }
      }
    }
    graph.string(2, "descent")
    for constant in constants {
      graph.message(5) { tensor in  // initializer: TensorProto with dims, data_type, name, raw_data
        for size in constant.shape { tensor.int(1, size) }
        tensor.int(2, constant.type)
        tensor.string(8, constant.name)
        tensor.bytes(9, constant.raw)
      }
    }
    func valueInfo(_ field: Int, _ name: String, _ elementType: Int, _ width: Int) {
      graph.message(field) { info in  // ValueInfoProto: name, TypeProto.tensor_type (element type, [batch, width])
        info.string(1, name)
        info.message(2) { type in
          type.message(1) { tensorType in
            tensorType.int(1, elementType)
            tensorType.message(2) { shape in
              shape.message(1) { $0.string(2, "batch") }
              shape.message(1) { $0.int(1, width) }
            }
          }
        }
      }
    }
    for input in inputs { valueInfo(11, input.name, input.type, input.width) }
    for (name, width) in outputs { valueInfo(12, name, Self.float, width) }
  }
}
