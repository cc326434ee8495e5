import Foundation
import Synchronization

/// One stage of a ``Sequential`` model. A layer is built once, for one input width on one backend,
/// then runs forward and backward on batches of `rows × features` row-major device buffers.
///
/// Write a layer from ``Backend`` ops only, so it runs on every backend. The buffer `forward`
/// returns stays valid until the layer's next `forward` call; `backward` follows the `forward` of
/// the same batch, overwrites each parameter's gradient and returns the gradient of its input.
public protocol Layer: AnyObject, CustomStringConvertible {
  /// Creates the parameters for inputs `inputFeatures` wide, drawing initial values from `key`
  /// (one stream per parameter, counting up from `key.stream`), and returns the output width.
  func build(inputFeatures: Int, backend: any Backend, key: RandomKey) throws -> Int
  /// The trainable tensors, in a fixed order; empty for layers without weights. The same
  /// ``Parameter`` objects on every call: ``Sequential`` moves their buffers into its own after
  /// `build` (so read ``Parameter/value`` and ``Parameter/gradient`` through the parameter on each
  /// pass, never a copy of the buffer kept from `build`).
  var parameters: [Parameter] { get }
  /// The output for `rows` inputs.
  func forward(_ input: DeviceBuffer, rows: Int, mode: ForwardMode) throws -> DeviceBuffer
  /// Writes the parameters' gradients and returns the input's gradient, or `nil` when
  /// `needsInputGradient` is false (the first layer has no one to pass it to).
  func backward(_ outputGradient: DeviceBuffer, rows: Int, needsInputGradient: Bool) throws -> DeviceBuffer?
}

/// A layer whose backward pass fuses with its neighbours' (``Dense``): the layer above multiplies
/// its input gradient by this layer's activation derivative as its product stores it, so this
/// layer starts from the gradient of its pre-activation (one pass over the gradient fewer and, on
/// OpenCL, a launch). ``Sequential/backward(_:rows:)`` pairs such layers.
protocol FusingBackward: Layer {
  /// This layer's last activation and the pre-activation its last forward pass kept, or nil when
  /// its output is not an activation's (the layer above then passes the plain output gradient).
  var outputDerivative: (function: Activation, preActivation: DeviceBuffer)? { get }
  /// ``Layer/backward(_:rows:needsInputGradient:)``, where `derivativeApplied` says the gradient is
  /// already that of ``outputDerivative``'s pre-activation, and the input gradient is returned
  /// multiplied by `inputDerivative` (the layer below's ``outputDerivative``) when given.
  func backward(
    _ outputGradient: DeviceBuffer, rows: Int, needsInputGradient: Bool, derivativeApplied: Bool,
    inputDerivative: (function: Activation, preActivation: DeviceBuffer)?
  ) throws -> DeviceBuffer?
}

/// Whether a forward pass trains (dropout active, with the random stream it names) or infers.
public enum ForwardMode: Sendable, Hashable {
  /// Training: stochastic layers draw from `key`, a new one per step.
  case training(key: RandomKey)
  /// Evaluation and prediction: dropout is the identity.
  case inference
}

/// A trainable tensor on the device and its gradient, which `backward` overwrites.
public final class Parameter: @unchecked Sendable {
  // @unchecked: `value` and `gradient` change only in `move`, while the model that owns the
  // parameter is being built, before anything else can see it.
  /// The role within its layer, `"weight"` or `"bias"`; ``Sequential/namedParameters`` prefixes the layer index.
  public let name: String
  /// `[fanIn, fanOut]` for a weight matrix, `[units]` for a bias.
  public let shape: [Int]
  /// Part of the model's buffer of all values once the layer is in a ``Sequential``.
  public private(set) var value: DeviceBuffer
  /// Part of the model's buffer of all gradients once the layer is in a ``Sequential``.
  public private(set) var gradient: DeviceBuffer
  /// The penalty added to the loss for this tensor, if any.
  public let regularizer: Regularizer?

  /// Allocates the value and gradient buffers on `backend`; the value is filled by `initializer`.
  public init(
    name: String, shape: [Int], initializer: Initializer, regularizer: Regularizer? = nil,
    backend: any Backend, key: RandomKey
  ) throws {
    self.name = name
    self.shape = shape
    self.regularizer = regularizer
    guard let count = Checked.product(shape, atMost: Int.max / MemoryLayout<Float>.stride) else {
      throw BackendError.outOfMemory(
        bytes: Int.max, device: backend.name,
        reason: "\(name) of shape \(shape) has more values than memory can address")
    }
    value = try backend.allocate(count)
    gradient = try backend.allocate(count)
    try initializer.initialize(value, fanIn: shape.first ?? 1, fanOut: shape.last ?? 1, on: backend, key: key)
    try backend.fill(gradient, with: 0)
  }

  /// The number of scalars.
  public var count: Int { value.count }

  /// Copies the value and gradient into `value` and `gradient` (parts of a model's whole buffers,
  /// ``Backend/allocateParts(_:)``) and uses those from now on.
  func move(value newValue: DeviceBuffer, gradient newGradient: DeviceBuffer, backend: any Backend) throws {
    try backend.axpby(alpha: 1, value, beta: 0, value, into: newValue)
    try backend.axpby(alpha: 1, gradient, beta: 0, gradient, into: newGradient)
    value = newValue
    gradient = newGradient
  }
}

/// Device buffers a layer reuses from step to step, one per role and size, so a training loop
/// allocates only in its first steps (and once more for a smaller last batch).
final class Workspace: Sendable {
  let backend: any Backend
  private let buffers = Mutex<[String: [Int: DeviceBuffer]]>([:])

  init(backend: any Backend) {
    self.backend = backend
  }

  /// The buffer of `count` floats for `role`, allocated on first use.
  func buffer(_ role: String, _ count: Int) throws -> DeviceBuffer {
    try buffers.withLock { buffers in
      if let buffer = buffers[role]?[count] { return buffer }
      let buffer = try backend.allocate(count)
      buffers[role, default: [:]][count] = buffer
      return buffer
    }
  }
}

/// A layer's build state: set once, read on every pass, with a clear error when used unbuilt.
struct Built<Value> {
  private var value: Value?
  private let layer: String

  init(layer: String) {
    self.layer = layer
  }

  func get() throws -> Value {
    guard let value else { throw ModelError.notBuilt(layer: layer) }
    return value
  }

  mutating func set(_ newValue: Value) throws {
    guard value == nil else { throw ModelError.alreadyBuilt(layer: layer) }
    value = newValue
  }
}

/// What a layer that keeps its input's width (an activation, softmax, dropout) holds once built.
struct SameWidth {
  let backend: any Backend
  let workspace: Workspace
  let features: Int
}

extension Built where Value == SameWidth {
  /// Records the backend and width, and returns the width unchanged: such a layer's `build`.
  mutating func build(inputFeatures: Int, backend: any Backend) throws -> Int {
    try set(SameWidth(backend: backend, workspace: Workspace(backend: backend), features: inputFeatures))
    return inputFeatures
  }
}
