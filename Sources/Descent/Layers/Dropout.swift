/// Inverted dropout: while training, each element is zeroed with probability `rate` and the rest
/// are scaled by `1/(1 − rate)`; at inference it is the identity. Masks come from the Philox stream
/// the training step names, so a seed gives the same masks on every backend.
public final class Dropout: Layer {
  public let rate: Float
  private var state: Built<SameWidth>
  private var saved: (mask: DeviceBuffer?, rows: Int)?

  /// - Throws: ``ConfigurationError`` unless `0 ≤ rate < 1`.
  public init(_ rate: Float) throws {
    try ConfigurationError.require(rate >= 0 && rate < 1, "dropout rate", rate, "[0, 1)")
    self.rate = rate
    state = Built(layer: "Dropout(\(rate))")
  }

  public var description: String { "Dropout(\(rate))" }
  public var parameters: [Parameter] { [] }

  public func build(inputFeatures: Int, backend: any Backend, key: RandomKey) throws -> Int {
    try state.build(inputFeatures: inputFeatures, backend: backend)
  }

  public func forward(_ input: DeviceBuffer, rows: Int, mode: ForwardMode) throws -> DeviceBuffer {
    let layer = try state.get()
    guard case let .training(key) = mode, rate > 0 else {
      saved = (nil, rows)
      return input
    }
    let count = rows * layer.features
    let (y, mask) = (try layer.workspace.buffer("y", count), try layer.workspace.buffer("mask", count))
    try layer.backend.dropout(input, rate: rate, key: key, into: y, mask: mask)
    saved = (mask, rows)
    return y
  }

  public func backward(_ outputGradient: DeviceBuffer, rows: Int, needsInputGradient: Bool) throws -> DeviceBuffer? {
    let layer = try state.get()
    guard let saved, saved.rows == rows else { throw ModelError.backwardBeforeForward(layer: description) }
    guard needsInputGradient else { return nil }
    guard let mask = saved.mask else { return outputGradient }
    let dx = try layer.workspace.buffer("dx", rows * layer.features)
    try layer.backend.multiply(outputGradient, mask, into: dx)
    return dx
  }
}
