/// An activation on its own, `y = f(x)` elementwise (ReLU, LeakyReLU, sigmoid, tanh, GELU).
/// ``Dense`` can fuse the same function after its bias; this layer is for stacks that want it apart.
public final class ActivationLayer: Layer {
  public let function: Activation
  private var state: Built<SameWidth>
  private var saved: (input: DeviceBuffer, rows: Int)?

  public init(_ function: Activation) {
    self.function = function
    state = Built(layer: "\(function)")
  }

  public var description: String { "\(function)" }
  public var parameters: [Parameter] { [] }

  public func build(inputFeatures: Int, backend: any Backend, key: RandomKey) throws -> Int {
    try state.build(inputFeatures: inputFeatures, backend: backend)
  }

  public func forward(_ input: DeviceBuffer, rows: Int, mode: ForwardMode) throws -> DeviceBuffer {
    let layer = try state.get()
    let y = try layer.workspace.buffer("y", rows * layer.features)
    try layer.backend.activate(function, input, into: y)
    saved = (input, rows)
    return y
  }

  public func backward(_ outputGradient: DeviceBuffer, rows: Int, needsInputGradient: Bool) throws -> DeviceBuffer? {
    let layer = try state.get()
    guard let saved, saved.rows == rows else { throw ModelError.backwardBeforeForward(layer: description) }
    guard needsInputGradient else { return nil }
    let dx = try layer.workspace.buffer("dx", rows * layer.features)
    try layer.backend.activationBackward(function, input: saved.input, outputGradient: outputGradient, into: dx)
    return dx
  }
}

/// Row-wise softmax, for models that output probabilities. To train a classifier, leave it out and
/// use ``Loss/softmaxCrossEntropy``, which fuses softmax with the loss and is more accurate.
public final class Softmax: Layer {
  private var state: Built<SameWidth>
  private var saved: (output: DeviceBuffer, rows: Int)?

  public init() {
    state = Built(layer: "softmax")
  }

  public var description: String { "softmax" }
  public var parameters: [Parameter] { [] }

  public func build(inputFeatures: Int, backend: any Backend, key: RandomKey) throws -> Int {
    try state.build(inputFeatures: inputFeatures, backend: backend)
  }

  public func forward(_ input: DeviceBuffer, rows: Int, mode: ForwardMode) throws -> DeviceBuffer {
    let layer = try state.get()
    let y = try layer.workspace.buffer("y", rows * layer.features)
    try layer.backend.softmax(input, rows: rows, columns: layer.features, into: y)
    saved = (y, rows)
    return y
  }

  public func backward(_ outputGradient: DeviceBuffer, rows: Int, needsInputGradient: Bool) throws -> DeviceBuffer? {
    let layer = try state.get()
    guard let saved, saved.rows == rows else { throw ModelError.backwardBeforeForward(layer: description) }
    guard needsInputGradient else { return nil }
    let dx = try layer.workspace.buffer("dx", rows * layer.features)
    try layer.backend.softmaxBackward(
      output: saved.output, outputGradient: outputGradient, rows: rows,
      columns: layer.features, into: dx)
    return dx
  }
}
