/// An elementwise activation function and its derivative, described once: its ``name`` names
/// its kernel functions in `kernels/activation.cl` (`NAME_forward`, `NAME_derivative`), its
/// model-file and command-line spelling and its float64 reference in the tests; ``onnx`` says how
/// the exporter writes it. Adding one takes four files: this one, `activation.cl`, the Swift twin
/// (`ActivationMath` in `CPUBackend+Elementwise.swift`) and the reference in
/// `Tests/ParityTests/Reference.swift`; parity cases, gradient checks, ONNX export, model files
/// and `descent train --activation` follow from ``allCases``.
public enum Activation: Sendable, Hashable, Codable, CustomStringConvertible {
  /// `max(x, 0)`; the derivative at 0 is taken as 0, as in PyTorch.
  case relu
  /// `x` for `x > 0`, else `slope·x` (PyTorch's default slope is 0.01).
  case leakyReLU(slope: Float)
  /// `1 / (1 + e^(−x))`.
  case sigmoid
  /// `tanh(x)`.
  case tanh
  /// The exact GELU, `x·Φ(x) = x·(1 + erf(x/√2))/2`, as `torch.nn.GELU()` computes by default.
  case gelu
  /// SiLU or swish, `x·σ(x)` (`torch.nn.SiLU`, Keras's `silu`); `f′(x) = σ(x)·(1 + x·(1 − σ(x)))`.
  case silu
  /// Mish, `x·tanh(softplus(x))` with `softplus(x) = ln(1 + eˣ)` (`torch.nn.Mish`, Misra 2019);
  /// `f′(x) = tanh(sp) + x·(1 − tanh²(sp))·σ(x)`.
  case mish

  /// One of each (LeakyReLU with PyTorch's slope 0.01), for names, tests and benchmarks.
  public static let allCases: [Activation] = [.relu, .leakyReLU(slope: 0.01), .sigmoid, .tanh, .gelu, .silu, .mish]

  /// The name of its kernel functions, model files and the ONNX exporter's node names: `relu`,
  /// `leaky_relu`, `sigmoid`, `tanh`, `gelu`, `silu`, `mish`.
  public var name: String {
    switch self {
    case .relu: "relu"
    case .leakyReLU: "leaky_relu"
    case .sigmoid: "sigmoid"
    case .tanh: "tanh"
    case .gelu: "gelu"
    case .silu: "silu"
    case .mish: "mish"
    }
  }

  /// The activation in ONNX operators (opset 17), as the exporter writes it.
  package var onnx: ONNXExpression {
    switch self {
    case .relu: .op("Relu", .input)
    case let .leakyReLU(slope): .op("LeakyRelu", .input, attributes: ["alpha": slope])
    case .sigmoid: .op("Sigmoid", .input)
    case .tanh: .op("Tanh", .input)
    // x · (1 + erf(x/√2)) / 2, as torch.nn.GELU() and Descent compute it.
    case .gelu:
      .op(
        "Mul",
        .op(
          "Mul", .input,
          .op(
            "Add", .op("Erf", .op("Div", .input, .constant(Float(2).squareRoot()))),
            .constant(1))), .constant(0.5))
    case .silu: .op("Mul", .input, .op("Sigmoid", .input))
    // ONNX has Mish only from opset 18; Softplus is ln(eˣ + 1).
    case .mish: .op("Mul", .input, .op("Tanh", .op("Softplus", .input)))
    }
  }

  /// The LeakyReLU slope; 0 for the others.
  package var slope: Float {
    if case let .leakyReLU(slope) = self { slope } else { 0 }
  }

  /// The names of ``allCases``, for messages.
  static var names: String { allCases.map(\.name).joined(separator: ", ") }

  /// The activation `name` names (`leaky_relu` takes `slope`, default 0.01), or nil.
  public init?(name: String, slope: Float? = nil) {
    guard var activation = Self.allCases.first(where: { $0.name == name }) else { return nil }
    if case .leakyReLU = activation, let slope {
      guard slope.isFinite else { return nil }
      activation = .leakyReLU(slope: slope)
    }
    self = activation
  }

  public var description: String {
    if case let .leakyReLU(slope) = self { "leakyReLU(\(slope))" } else { name }
  }
}

/// An expression of ONNX operators over one input: how ``Activation/onnx`` describes an
/// activation to the exporter.
package indirect enum ONNXExpression: Sendable {
  /// The activation's input.
  case input
  /// A scalar constant (an initializer).
  case constant(Float)
  /// An operator applied to its operands, with float attributes.
  case op(String, [ONNXExpression], attributes: [String: Float])

  static func op(_ name: String, _ operands: ONNXExpression..., attributes: [String: Float] = [:]) -> Self {
    .op(name, operands, attributes: attributes)
  }
}
