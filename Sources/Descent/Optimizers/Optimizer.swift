/// An optimizer: its hyperparameters, and the kernel call (``OptimizerUpdate``) each step runs. A
/// training loop asks for the call with the learning rate its schedule gives at each step.
///
/// Every optimizer follows its reference formulas (PyTorch's `torch.optim` where it has one),
/// written out on the type with how to reproduce a Keras or optax setting. Adding one takes four
/// files: the type (here, one file each, with its ``settings``), its kernel in `kernels/optim.cl`, its Swift twin in
/// `CPUBackend+Optim.swift`, and its parity cases with a float64 reference in
/// `Tests/ParityTests/ParityCases+Optim.swift` (docs/ARCHITECTURE.md walks through Lion's).
public protocol Optimizer: Sendable, CustomStringConvertible {
  /// The base learning rate, which a ``LearningRateSchedule`` scales.
  var learningRate: Float { get }
  /// Whether the optimizer has a momentum or β₁ that a schedule may set each step (PyTorch's
  /// `OneCycleLR` with `cycle_momentum`).
  var hasMomentum: Bool { get }
  /// The kernel call of step `t` (counting from 1) at the scheduled `learningRate`; `momentum`,
  /// when given, replaces the momentum or β₁ (ignored by optimizers without one).
  func update(step t: Int, learningRate: Float, momentum: Float?) -> OptimizerUpdate
  /// Throws ``ConfigurationError`` naming the first hyperparameter `torch.optim` would also reject.
  func validate() throws
  /// The type's name and every hyperparameter by name: what a checkpoint stores and matches.
  var settings: OptimizerSettings { get }
  /// ``settings`` of the type's defaults: what a checkpoint written before a setting existed had.
  static var defaultSettings: OptimizerSettings { get }
}

extension Optimizer {
  /// `Adam(learningRate: 0.001, beta1: 0.9, …)`: the type and its hyperparameters.
  public var description: String {
    let fields = Mirror(reflecting: self).children.map { "\($0.label ?? "_"): \($0.value)" }
    return "\(Self.self)(\(fields.joined(separator: ", ")))"
  }
}

/// The range checks the optimizers share, each naming the hyperparameter.
enum Hyperparameter {
  static func learningRate(_ value: Float) throws {
    try ConfigurationError.require(value >= 0 && value.isFinite, "learningRate", value, ">= 0")
  }

  static func nonNegative(_ name: String, _ value: Float) throws {
    try ConfigurationError.require(value >= 0 && value.isFinite, name, value, ">= 0")
  }

  /// A decay factor of a running average: β₁, β₂ of Adam and Lion.
  static func beta(_ name: String, _ value: Float) throws {
    try ConfigurationError.require(value >= 0 && value < 1, name, value, "[0, 1)")
  }
}
