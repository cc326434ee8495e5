/// A fully connected layer: `y = f(x·W + b)` with `W` of `inputs × units` and an optional
/// activation `f` fused after the bias.
///
/// The default initializer is Glorot uniform with a zero bias, as in Keras. PyTorch's `nn.Linear`
/// draws both from `U(±1/√fanIn)`: pass `.uniform(low: -a, high: a)` with `a = 1/√inputs` for that.
/// A regularizer penalises the weight matrix only (Keras's `kernel_regularizer`), never the bias.
public final class Dense: FusingBackward {
  public let units: Int
  public let activation: Activation?
  public let initializer: Initializer
  public let biasInitializer: Initializer
  public let usesBias: Bool
  public let regularizer: Regularizer?

  private struct State {
    let backend: any Backend
    let inputs: Int
    let weight: Parameter
    let bias: Parameter?
    let workspace: Workspace
  }
  private var state: Built<State>
  /// The last forward pass's input and pre-activation, which backward needs.
  private var saved: (input: DeviceBuffer, preActivation: DeviceBuffer, rows: Int)?

  /// - Throws: ``ConfigurationError`` for `units < 1` or an invalid regularizer.
  public init(
    _ units: Int, activation: Activation? = nil, initializer: Initializer = .glorotUniform,
    biasInitializer: Initializer = .zeros, bias: Bool = true, regularizer: Regularizer? = nil
  ) throws {
    try ConfigurationError.require(units >= 1, "units", units, ">= 1")
    try regularizer?.validate()
    self.units = units
    self.activation = activation
    self.initializer = initializer
    self.biasInitializer = biasInitializer
    usesBias = bias
    self.regularizer = regularizer
    state = Built(layer: "Dense(\(units))")
  }

  public var description: String {
    "Dense(\(units)\(activation.map { ", \($0)" } ?? "")\(usesBias ? "" : ", no bias"))"
  }

  public func build(inputFeatures: Int, backend: any Backend, key: RandomKey) throws -> Int {
    try ConfigurationError.require(inputFeatures >= 1, "inputFeatures", inputFeatures, ">= 1")
    let weight = try Parameter(
      name: "weight", shape: [inputFeatures, units], initializer: initializer,
      regularizer: regularizer, backend: backend, key: key)
    let bias =
      try usesBias
      ? Parameter(
        name: "bias", shape: [units], initializer: biasInitializer, backend: backend,
        key: RandomKey(seed: key.seed, stream: key.stream &+ 1))
      : nil
    try state.set(
      State(
        backend: backend, inputs: inputFeatures, weight: weight, bias: bias,
        workspace: Workspace(backend: backend)))
    return units
  }

  public var parameters: [Parameter] {
    guard let state = try? state.get() else { return [] }
    return [state.weight] + (state.bias.map { [$0] } ?? [])
  }

  public func forward(_ input: DeviceBuffer, rows: Int, mode: ForwardMode) throws -> DeviceBuffer {
    let state = try state.get()
    let z = try state.workspace.buffer("z", rows * units)
    saved = (input, z, rows)
    // The bias and activation run in the product's store: z keeps the pre-activation.
    let y = try activation.map { ($0, try state.workspace.buffer("y", rows * units)) }
    try state.backend.gemm(
      GemmShape(m: rows, n: units, k: state.inputs), input, state.weight.value, into: z,
      fusing: GemmFusion(bias: state.bias?.value, activation: y))
    return y?.1 ?? z
  }

  public func backward(_ outputGradient: DeviceBuffer, rows: Int, needsInputGradient: Bool) throws -> DeviceBuffer? {
    try backward(
      outputGradient, rows: rows, needsInputGradient: needsInputGradient, derivativeApplied: false,
      inputDerivative: nil)
  }

  var outputDerivative: (function: Activation, preActivation: DeviceBuffer)? {
    guard let activation, let saved else { return nil }
    return (activation, saved.preActivation)
  }

  func backward(
    _ outputGradient: DeviceBuffer, rows: Int, needsInputGradient: Bool, derivativeApplied: Bool,
    inputDerivative: (function: Activation, preActivation: DeviceBuffer)?
  ) throws -> DeviceBuffer? {
    let state = try state.get()
    let backend = state.backend
    guard let saved, saved.rows == rows else { throw ModelError.backwardBeforeForward(layer: description) }
    var dz = outputGradient
    if let activation, !derivativeApplied {
      dz = try state.workspace.buffer("dz", rows * units)
      try backend.activationBackward(activation, input: saved.preActivation, outputGradient: outputGradient, into: dz)
    }
    // dW = Xᵀ·dZ; the bias gradient, dZ's column sums, from the same pass over dZ.
    try backend.gemm(
      GemmShape(m: state.inputs, n: units, k: rows, transposeA: true), saved.input, dz,
      into: state.weight.gradient, fusing: GemmFusion(bSums: state.bias?.gradient))
    guard needsInputGradient else { return nil }
    // dX = dZ·Wᵀ, times the layer below's activation derivative when it asked for it.
    let dx = try state.workspace.buffer("dx", rows * state.inputs)
    try backend.gemm(
      GemmShape(m: rows, n: state.inputs, k: units, transposeB: true), dz, state.weight.value,
      into: dx, fusing: GemmFusion(derivative: inputDerivative))
    return dx
  }
}
