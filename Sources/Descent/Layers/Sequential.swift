import Foundation

/// Layers applied in order, built for one input width on one backend. Parameters, gradients and
/// every intermediate buffer live on that backend; a pass queues its ops and never waits for them.
///
/// ```swift
/// let model = try Sequential(inputFeatures: 2, backend: CPUBackend(), seed: 42) {
///   try Dense(64, activation: .relu, initializer: .heUniform)
///   try Dropout(0.1)
///   try Dense(3)
/// }
/// ```
///
/// Sharing: ``predict(_:rows:batchSize:)`` and ``predict(raw:rows:batchSize:)`` may be called on one
/// model from any number of threads at once (their passes take turns: each layer reuses its output
/// buffers). `forward`, `backward`, `setWeights`, training, and setting ``output`` or
/// ``preprocessing`` are for the one thread that owns the model.
public final class Sequential: @unchecked Sendable {
  // @unchecked: the layers' buffers change on every pass; predict's passes hold `passes`, and
  // everything else that runs passes or changes state is documented above as single-threaded.
  // (An NSLock, a pthread mutex, so ThreadSanitizer sees it; it cannot see a Mutex's futex.)
  let passes = NSLock()
  public let backend: any Backend
  public let layers: [any Layer]
  public let inputFeatures: Int
  /// Each layer's output width, in order.
  public let layerOutputFeatures: [Int]
  /// The seed of the initial weights and of every dropout mask.
  public let seed: UInt64
  /// What the outputs mean, saved with the model (set it before sharing the model between threads).
  public var output = ModelOutput.values
  /// The preprocessing ``predict(raw:rows:batchSize:)`` applies and the model file records; the data given
  /// to `fit`, ``forward(_:rows:trainingStep:)`` and ``predict(_:rows:batchSize:)`` is already preprocessed.
  public var preprocessing = Preprocessing.none
  /// The buffers ``predict(_:rows:batchSize:)`` uploads its passes' rows to.
  let inputBuffers: Workspace
  /// Every parameter's value, and every gradient, as the parts of one buffer each
  /// (``Backend/allocateParts(_:)``, in ``parameters`` order), so an optimizer step over the whole
  /// model is one op: on OpenCL one kernel launch instead of one per tensor.
  let allValues: DeviceBuffer, allGradients: DeviceBuffer

  /// Builds every layer: layer `i`'s weights come from the Philox streams `(seed, 2⁶³ + 2¹⁶·i + j)`.
  /// - Throws: ``ModelError/alreadyBuilt(layer:)`` for a layer already in another model,
  ///   ``ConfigurationError`` for an empty model or `inputFeatures < 1`.
  public init(_ layers: [any Layer], inputFeatures: Int, backend: any Backend, seed: UInt64 = 0) throws {
    try ConfigurationError.require(!layers.isEmpty, "layers", "[]", "at least one layer")
    try ConfigurationError.require(inputFeatures >= 1, "inputFeatures", inputFeatures, ">= 1")
    var width = inputFeatures
    var widths: [Int] = []
    for (index, layer) in layers.enumerated() {
      width = try layer.build(
        inputFeatures: width, backend: backend,
        key: RandomKey(seed: seed, stream: 1 << 63 | UInt64(index) << 16))
      widths.append(width)
    }
    self.backend = backend
    self.layers = layers
    self.inputFeatures = inputFeatures
    layerOutputFeatures = widths
    self.seed = seed
    inputBuffers = Workspace(backend: backend)
    let parameters = layers.flatMap(\.parameters)
    let values = try backend.allocateParts(parameters.map(\.count))
    let gradients = try backend.allocateParts(parameters.map(\.count))
    for (index, parameter) in parameters.enumerated() {
      try parameter.move(value: values.parts[index], gradient: gradients.parts[index], backend: backend)
    }
    (allValues, allGradients) = (values.whole, gradients.whole)
  }

  /// The same, with the layers listed in a builder block.
  public convenience init(
    inputFeatures: Int, backend: any Backend, seed: UInt64 = 0,
    @LayerBuilder _ layers: () throws -> [any Layer]
  ) throws {
    try self.init(try layers(), inputFeatures: inputFeatures, backend: backend, seed: seed)
  }

  /// The width of the model's output.
  public var outputFeatures: Int { layerOutputFeatures.last ?? inputFeatures }

  /// Every trainable tensor, layer by layer.
  public var parameters: [Parameter] { layers.flatMap(\.parameters) }

  /// Parameters named as PyTorch's `nn.Sequential` names its state dict: `"0.weight"`, `"0.bias"`, …
  public var namedParameters: [(name: String, parameter: Parameter)] {
    layers.enumerated().flatMap { index, layer in layer.parameters.map { ("\(index).\($0.name)", $0) } }
  }

  /// The number of trainable scalars.
  public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

  /// Runs the model on `rows` inputs (`rows × inputFeatures`). With `trainingStep`, dropout is on
  /// and layer `i` draws its mask from the stream `(seed, 2⁴⁰·i + trainingStep)`.
  public func forward(_ input: DeviceBuffer, rows: Int, trainingStep: Int? = nil) throws -> DeviceBuffer {
    guard input.count == rows * inputFeatures else {
      throw ModelError.shapeMismatch(
        "the input has \(input.count) values, \(rows) rows of \(inputFeatures) features need \(rows * inputFeatures)")
    }
    var x = input
    for (index, layer) in layers.enumerated() {
      let mode: ForwardMode =
        trainingStep.map {
          .training(key: RandomKey(seed: seed, stream: UInt64(index) << 40 | UInt64($0)))
        } ?? .inference
      x = try layer.forward(x, rows: rows, mode: mode)
    }
    return x
  }

  /// Backpropagates the gradient of the loss with respect to the output of the last ``forward(_:rows:trainingStep:)``,
  /// overwriting every parameter's gradient.
  public func backward(_ outputGradient: DeviceBuffer, rows: Int) throws {
    var gradient = outputGradient
    var derivativeApplied = false
    for (index, layer) in layers.enumerated().reversed() {
      let next: DeviceBuffer?
      if let layer = layer as? FusingBackward {
        // Two such layers in a row: the upper one's input-gradient product applies the lower one's
        // activation derivative.
        let below = index > 0 ? (layers[index - 1] as? FusingBackward)?.outputDerivative : nil
        next = try layer.backward(
          gradient, rows: rows, needsInputGradient: index > 0, derivativeApplied: derivativeApplied,
          inputDerivative: below)
        derivativeApplied = below != nil
      } else {
        next = try layer.backward(gradient, rows: rows, needsInputGradient: index > 0)
        derivativeApplied = false
      }
      guard let next else { break }
      gradient = next
    }
  }

  /// A copy of every parameter's values, in ``parameters`` order (for restoring the best weights).
  public func weights() throws -> [[Float]] {
    try parameters.map { try backend.download($0.value) }
  }

  /// Overwrites every parameter with `weights`, as ``weights()`` returned them.
  public func setWeights(_ weights: [[Float]]) throws {
    let parameters = parameters
    guard weights.count == parameters.count else {
      throw ModelError.shapeMismatch("\(weights.count) tensors given, the model has \(parameters.count)")
    }
    for (values, parameter) in zip(weights, parameters) {
      guard values.count == parameter.count else {
        throw ModelError.shapeMismatch(
          "\(parameter.name) \(parameter.shape) has \(parameter.count) values, \(values.count) given")
      }
      try backend.upload(values, to: parameter.value)
    }
  }

  /// A table of layers, output shapes and parameter counts, as Keras's `model.summary()` prints.
  public var summary: String {
    var rows = [("Layer", "Output shape", "Parameters")]
    for (index, layer) in layers.enumerated() {
      let count = layer.parameters.reduce(0) { $0 + $1.count }
      rows.append(("\(index): \(layer)", "(batch, \(layerOutputFeatures[index]))", "\(count)"))
    }
    let widths = (rows.map(\.0.count).max() ?? 0, rows.map(\.1.count).max() ?? 0)
    func pad(_ s: String, _ width: Int) -> String { s + String(repeating: " ", count: width - s.count) }
    var lines = rows.map { "\(pad($0.0, widths.0))  \(pad($0.1, widths.1))  \($0.2)" }
    lines.insert(String(repeating: "-", count: lines[0].count + 4), at: 1)
    lines.append("Input: (batch, \(inputFeatures)). Total parameters: \(parameterCount) on \(backend.name)")
    return lines.joined(separator: "\n")
  }
}

/// Lists layers in a ``Sequential`` builder block, one per line.
@resultBuilder
public enum LayerBuilder {
  public static func buildExpression(_ layer: any Layer) -> [any Layer] { [layer] }
  public static func buildBlock(_ layers: [any Layer]...) -> [any Layer] { layers.flatMap { $0 } }
  public static func buildOptional(_ layers: [any Layer]?) -> [any Layer] { layers ?? [] }
  public static func buildEither(first layers: [any Layer]) -> [any Layer] { layers }
  public static func buildEither(second layers: [any Layer]) -> [any Layer] { layers }
  public static func buildArray(_ layers: [[any Layer]]) -> [any Layer] { layers.flatMap { $0 } }
}
