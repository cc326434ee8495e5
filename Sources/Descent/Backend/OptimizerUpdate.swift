/// One optimizer step as its kernel in `kernels/optim.cl` takes it, described by name: the kernel,
/// the state buffers it declares (each kept or not by this configuration) and its scalars, in the
/// kernel's argument order after `count`, the parameter and the gradient. An ``Optimizer`` builds
/// it for each step (bias corrections and decayed rates computed on the host in `Double` and
/// rounded once, so both backends use the same floats); the OpenCL backend passes it in order,
/// the CPU twin reads the scalars by name. The kernels' signatures are checked against these
/// names by `OptimizerKernelTests`, so the order is written in one place: the optimizer's
/// `update(step:learningRate:momentum:)`.
public struct OptimizerUpdate: Sendable, Hashable, CustomStringConvertible {
  /// A state buffer the kernel declares; `kept` when this configuration reads and writes it (an
  /// unkept one is never touched: OpenCL is handed the parameter buffer in its place).
  public struct StateSlot: Sendable, Hashable {
    public let name: String
    public let kept: Bool

    public init(_ name: String, kept: Bool = true) {
      self.name = name
      self.kept = kept
    }
  }

  /// A scalar argument: a `float` or, when `isFlag`, an `int` that is 0 or 1.
  public struct Scalar: Sendable, Hashable {
    public let name: String
    public let value: Float
    public let isFlag: Bool

    public init(_ name: String, _ value: Float) {
      self.name = name
      self.value = value
      isFlag = false
    }

    public init(_ name: String, flag: Bool) {
      self.name = name
      value = flag ? 1 : 0
      isFlag = true
    }
  }

  /// The kernel's name in `kernels/optim.cl`, and its Swift twin's.
  public let kernel: String
  public let states: [StateSlot]
  public let scalars: [Scalar]

  public init(kernel: String, states: [StateSlot], scalars: [Scalar]) {
    self.kernel = kernel
    self.states = states
    self.scalars = scalars
  }

  /// How many state buffers the step reads and writes (the kept slots), each as long as the
  /// parameter and zeroed before the first step.
  public var stateCount: Int { states.filter(\.kept).count }

  /// The scalar named `name` (a flag as 0 or 1). A name the kernel does not take is a programming
  /// error in the optimizer or its twin, and traps.
  public subscript(_ name: String) -> Float {
    guard let scalar = scalars.first(where: { $0.name == name }) else {
      preconditionFailure("the \(kernel) update has no scalar \"\(name)\"")
    }
    return scalar.value
  }

  /// The index in the step's state buffers of the slot named `name`, or nil when it is not kept.
  public func stateIndex(_ name: String) -> Int? {
    var index = 0
    for slot in states {
      if slot.name == name { return slot.kept ? index : nil }
      if slot.kept { index += 1 }
    }
    preconditionFailure("the \(kernel) update has no state \"\(name)\"")
  }

  /// `adam(m, v; beta1 = 0.9, …)`: the kernel, its kept states and its scalars.
  public var description: String {
    let values = scalars.map { "\($0.name) = \($0.isFlag ? ($0.value != 0 ? "true" : "false") : "\($0.value)")" }
    return "\(kernel)(\(states.filter(\.kept).map(\.name).joined(separator: ", ")); \(values.joined(separator: ", ")))"
  }
}
