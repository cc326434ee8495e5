/// Writes a ``Sequential`` model as an ONNX model (IR version 8, opset 17) that ONNX Runtime and
/// other ONNX tools run: input `features` of shape `[batch, inputFeatures]` (raw, as the data files
/// hold them), the preprocessing as `Mul`/`Sub`/`Div` nodes, each Dense layer as `Gemm` (`MatMul`
/// without a bias), activations as `Relu`, `LeakyRelu`, `Sigmoid`, `Tanh` and GELU through `Erf`
/// (opset 17 has no `Gelu`), `Softmax`; dropout (the identity at inference) is left out. Outputs:
/// `outputs` (the model's own: logits for a classifier) and, for a classifier without a softmax
/// layer, `probabilities`. The batch dimension is the symbolic `batch`.
public enum ONNXExport {
  /// The ONNX model's bytes.
  /// - Throws: ``ModelError/notDescribable(layer:)`` for a layer of the user's own.
  public static func encode(_ model: Sequential) throws -> [UInt8] {
    var graph = Graph()
    var current = "features"
    let preprocessing = model.preprocessing
    if preprocessing.scale != 1 {
      current = graph.node("Mul", [current, graph.constant("scale", [preprocessing.scale], shape: [])])
    }
    if let standardization = preprocessing.standardization {
      let shape = [model.inputFeatures]
      current = graph.node("Sub", [current, graph.constant("means", standardization.means, shape: shape)])
      current = graph.node("Div", [current, graph.constant("deviations", standardization.deviations, shape: shape)])
    }
    for (index, layer) in model.layers.enumerated() {
      switch layer {
      case let dense as Dense:
        let parameters = try dense.parameters.map { try model.backend.download($0.value) }
        let weight = graph.constant("\(index).weight", parameters[0], shape: dense.parameters[0].shape)
        current =
          dense.usesBias
          ? graph.node("Gemm", [current, weight, graph.constant("\(index).bias", parameters[1], shape: [dense.units])])
          : graph.node("MatMul", [current, weight])
        if let activation = dense.activation { current = graph.activation(activation, current) }
      case let activation as ActivationLayer: current = graph.activation(activation.function, current)
      case is Dropout: continue
      case is Softmax: current = graph.node("Softmax", [current], attributes: [("axis", .int(-1))])
      default: throw ModelError.notDescribable(layer: "\(layer)")
      }
    }
    var outputs = [graph.node("Identity", [current], output: "outputs")]
    if model.output.kind == .classes, !(model.layers.last is Softmax) {
      outputs.append(graph.node("Softmax", ["outputs"], attributes: [("axis", .int(-1))], output: "probabilities"))
    }
    var message = ProtobufMessage()
    message.int(1, 8)  // ir_version: IR_VERSION_2021_7_30, the one opset 17 came with
    message.string(2, "descent")  // producer_name
    message.message(7) { graphMessage in
      graph.write(
        into: &graphMessage, inputFeatures: model.inputFeatures,
        outputs: outputs.map { ($0, model.outputFeatures) })
    }
    message.message(8) { opset in  // opset_import: the default domain at version 17
      opset.string(1, "")
      opset.int(2, 17)
    }
    return message.bytes
  }

  /// Writes the ONNX model to `path`, atomically.
  public static func write(_ model: Sequential, to path: String) throws {
    try FileSystem.writeAtomically(try encode(model), to: path)
  }
}

/// The nodes and constant tensors of an ONNX graph, in the order they run.
private struct Graph {
  enum Attribute {
    case int(Int)
    case float(Float)
  }

  var nodes: [(op: String, inputs: [String], output: String, attributes: [(String, Attribute)])] = []
  var constants: [(name: String, values: [Float], shape: [Int])] = []

  /// Adds a constant tensor (an initializer) and returns its name.
  mutating func constant(_ name: String, _ values: [Float], shape: [Int]) -> String {
    constants.append((name, values, shape))
    return name
  }

  /// Adds a node and returns the name of its output (`output`, or one made from its position).
  mutating func node(
    _ op: String, _ inputs: [String], attributes: [(String, Attribute)] = [], output: String? = nil
  ) -> String {
    let name = output ?? "\(nodes.count).\(op)"
    nodes.append((op, inputs, name, attributes))
    return name
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

  func write(into graph: inout ProtobufMessage, inputFeatures: Int, outputs: [(String, Int)]) {
    for node in nodes {
      graph.message(1) { message in  // node: NodeProto
        for input in node.inputs { message.string(1, input) }
        message.string(2, node.output)
        message.string(3, node.output)  // the node's name: its output's
        message.string(4, node.op)
        for (name, value) in node.attributes {
          message.message(5) { attribute in  // AttributeProto: name, then f (2) or i (3) and its type (20)
            attribute.string(1, name)
            switch value {
            case let .float(number): attribute.float(2, number); attribute.int(20, 1)
            case let .int(number): attribute.int(3, number); attribute.int(20, 2)
            }
          }
        }
      }
    }
    graph.string(2, "descent")
    for constant in constants {
      graph.message(5) { tensor in  // initializer: TensorProto with dims, data_type FLOAT, name, raw_data
        for size in constant.shape { tensor.int(1, size) }
        tensor.int(2, 1)
        tensor.string(8, constant.name)
        var raw: [UInt8] = []
        raw.reserveCapacity(4 * constant.values.count)
        for value in constant.values { withUnsafeBytes(of: value.bitPattern.littleEndian) { raw += $0 } }
        tensor.bytes(9, raw)
      }
    }
    func valueInfo(_ field: Int, _ name: String, _ width: Int) {
      graph.message(field) { info in  // ValueInfoProto: name, TypeProto.tensor_type (float, [batch, width])
        info.string(1, name)
        info.message(2) { type in
          type.message(1) { tensorType in
            tensorType.int(1, 1)
            tensorType.message(2) { shape in
              shape.message(1) { $0.string(2, "batch") }
              shape.message(1) { $0.int(1, width) }
            }
          }
        }
      }
    }
    valueInfo(11, "features", inputFeatures)
    for (name, width) in outputs { valueInfo(12, name, width) }
  }
}
