/// An optimizer: its hyperparameters, and the kernel call (``OptimizerUpdate``) each step runs. A
/// training loop asks for the call with the learning rate its schedule gives at each step.
///
/// Every optimizer follows its reference formulas (PyTorch's `torch.optim` where it has one),
/// written out on the type with how to reproduce a Keras or optax setting. Adding one takes four
/// files: the type (here, one file each, with its ``hyperparameters``), its kernel in
/// `kernels/optim.cl`, its Swift twin in `Sources/CPUKernels/OptimizerUpdates.swift`, and its parity cases with a
/// float64 reference in `Tests/ParityTests/ParityCases+Optim.swift` (docs/ARCHITECTURE.md walks
/// through Adamax's).
public protocol Optimizer: Sendable, CustomStringConvertible {
  /// The optimizer with every hyperparameter at its default (PyTorch's).
  static var defaults: Self { get }
  /// The base learning rate, which a ``LearningRateSchedule`` scales.
  var learningRate: Float { get }
  /// Whether the optimizer has a momentum or β₁ that a schedule may set each step (PyTorch's
  /// `OneCycleLR` with `cycle_momentum`).
  var hasMomentum: Bool { get }
  /// Every hyperparameter by name, in the initializer's order: what ``settings`` (and so a
  /// checkpoint) stores, what ``description`` prints and what `descent train` offers as a flag.
  static var hyperparameters: [OptimizerHyperparameter<Self>] { get }
  /// The state buffers the kernel declares, each `kept` when this configuration uses it; `momentum`
  /// as in ``update(step:learningRate:momentum:)`` (a cycled momentum can need a buffer).
  func stateSlots(momentum: Double?) -> [OptimizerUpdate.StateSlot]
  /// The kernel call of step `t` (counting from 1) at the scheduled `learningRate`; `momentum`,
  /// when given, replaces the momentum or β₁ (ignored by optimizers without one). Step-dependent
  /// values are computed in `Double` from these and rounded once.
  func update(step t: Int, learningRate: Double, momentum: Double?) -> OptimizerUpdate
  /// Throws ``ConfigurationError`` naming the first hyperparameter `torch.optim` would also reject.
  func validate() throws
}

/// One hyperparameter of an optimizer type: its name (`"beta1"`) and where the value lives.
public struct OptimizerHyperparameter<Owner> {
  /// Where a hyperparameter's value lives: a number or a Boolean (stored as 0 or 1).
  public enum Value {
    case number(WritableKeyPath<Owner, Float>)
    case flag(WritableKeyPath<Owner, Bool>)
  }

  public let name: String
  public let value: Value

  public static func number(_ name: String, _ keyPath: WritableKeyPath<Owner, Float>) -> Self {
    Self(name: name, value: .number(keyPath))
  }

  public static func flag(_ name: String, _ keyPath: WritableKeyPath<Owner, Bool>) -> Self {
    Self(name: name, value: .flag(keyPath))
  }

  /// The value in `owner`, a Boolean as 0 or 1.
  public func read(_ owner: Owner) -> Double {
    switch value {
    case let .number(path): Double(owner[keyPath: path])
    case let .flag(path): owner[keyPath: path] ? 1 : 0
    }
  }

  /// Sets the value in `owner` (a Boolean from 0 or 1).
  public func write(_ number: Double, into owner: inout Owner) {
    switch value {
    case let .number(path): owner[keyPath: path] = Float(number)
    case let .flag(path): owner[keyPath: path] = number != 0
    }
  }

  /// Whether the value is a Boolean.
  public var isFlag: Bool {
    if case .flag = value { true } else { false }
  }

  /// The same hyperparameter of a type that keeps `Owner` at `path` (``AdamW`` keeps an ``Adam``).
  func lifted<Outer>(_ path: WritableKeyPath<Outer, Owner>) -> OptimizerHyperparameter<Outer> {
    switch value {
    case let .number(inner): .number(name, path.appending(path: inner))
    case let .flag(inner): .flag(name, path.appending(path: inner))
    }
  }
}

extension Optimizer {
  /// The type's name and every hyperparameter by name: what a checkpoint stores and matches.
  public var settings: OptimizerSettings {
    OptimizerSettings(
      "\(Self.self)", Dictionary(uniqueKeysWithValues: Self.hyperparameters.map { ($0.name, $0.read(self)) }))
  }

  /// ``settings`` of the type's defaults: what a checkpoint written before a setting existed had.
  public static var defaultSettings: OptimizerSettings { defaults.settings }

  /// `Adam(learningRate: 0.001, beta1: 0.9, …)`: the type and its hyperparameters (the form a
  /// version-1 checkpoint stored).
  public var description: String {
    let fields = Self.hyperparameters.map { parameter in
      switch parameter.value {
      case let .number(path): "\(parameter.name): \(self[keyPath: path])"
      case let .flag(path): "\(parameter.name): \(self[keyPath: path])"
      }
    }
    return "\(Self.self)(\(fields.joined(separator: ", ")))"
  }

  /// The kept state buffers: how many the trainer allocates.
  public func stateCount(momentum: Double?) -> Int { stateSlots(momentum: momentum).filter(\.kept).count }
}

/// The range checks the optimizers share, each naming the hyperparameter.
enum Hyperparameter {
  static func learningRate(_ value: Float) throws {
    try ConfigurationError.require(value >= 0 && value.isFinite, "learningRate", value, ">= 0")
  }

  static func nonNegative(_ name: String, _ value: Float) throws {
    try ConfigurationError.require(value >= 0 && value.isFinite, name, value, ">= 0")
  }

  /// The checks Adam, AdamW and Adamax share (the first failing one is named).
  static func adaptive(learningRate: Float, beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float) throws {
    try Self.learningRate(learningRate)
    try Self.nonNegative("weightDecay", weightDecay)
    try Self.beta("beta1", beta1)
    try Self.beta("beta2", beta2)
    try Self.nonNegative("epsilon", epsilon)
  }

  /// A decay factor of a running average: β₁, β₂ of Adam and Lion.
  static func beta(_ name: String, _ value: Float) throws {
    try ConfigurationError.require(value >= 0 && value < 1, name, value, "[0, 1)")
  }
}
