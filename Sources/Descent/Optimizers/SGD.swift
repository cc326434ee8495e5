/// Stochastic gradient descent, `torch.optim.SGD`: `g ← g + λθ`; with momentum `μ ≠ 0`:
/// `b ← g` at `t = 1`, else `b ← μb + (1 − τ)g` (τ the dampening); then `g ← g + μb` (Nesterov)
/// or `g ← b`; `θ ← θ − lr·g`. Kernel `sgd`, state `b` (kept with momentum).
///
/// - Keras `SGD(momentum=μ)` keeps the learning rate inside the buffer (`v ← μv − lr·g; θ ← θ + v`);
///   with a constant rate the steps are the same, so pass the same `learningRate` and `momentum`.
///   When the rate changes, Keras's old velocity keeps the old rate; here it takes the new one.
/// - optax `sgd(lr, momentum=μ, nesterov=…)` is this formula exactly.
/// - Textbook momentum `v ← βv + (1 − β)g` (an exponential moving average from `v = 0`):
///   `exponentialAverage: true` with `momentum: β` (the same kernel with `τ = μ` and no first-step
///   copy; `dampening` must then be 0).
/// - An L2 penalty `λ·Σw²` has gradient `2λw`: that is `weightDecay: 2λ` here.
public struct SGD: Optimizer {
  public var learningRate: Float
  public var momentum: Float
  public var dampening: Float
  public var nesterov: Bool
  public var weightDecay: Float
  public var exponentialAverage: Bool

  public init(
    learningRate: Float = 0.01, momentum: Float = 0, dampening: Float = 0, nesterov: Bool = false,
    weightDecay: Float = 0, exponentialAverage: Bool = false
  ) {
    self.learningRate = learningRate
    self.momentum = momentum
    self.dampening = dampening
    self.nesterov = nesterov
    self.weightDecay = weightDecay
    self.exponentialAverage = exponentialAverage
  }

  public var hasMomentum: Bool { true }

  public static var defaults: Self { Self() }

  public static var hyperparameters: [OptimizerHyperparameter<Self>] {
    [
      .number("learningRate", \.learningRate), .number("momentum", \.momentum), .number("dampening", \.dampening),
      .flag("nesterov", \.nesterov), .number("weightDecay", \.weightDecay),
      .flag("exponentialAverage", \.exponentialAverage),
    ]
  }

  public func stateSlots(momentum: Double?) -> [OptimizerUpdate.StateSlot] {
    [.init("b", kept: momentum.map(Float.init) ?? self.momentum != 0)]
  }

  public func update(step t: Int, learningRate: Double, momentum: Double?) -> OptimizerUpdate {
    let momentum = momentum.map(Float.init) ?? self.momentum
    return OptimizerUpdate(
      kernel: "sgd", states: stateSlots(momentum: Double(momentum)),
      scalars: [
        .init("lr", Float(learningRate)), .init("momentum", momentum),
        .init("dampening", exponentialAverage ? momentum : dampening), .init("nesterov", flag: nesterov),
        .init("weight_decay", weightDecay), .init("first_step", flag: t == 1 && !exponentialAverage),
      ])
  }

  /// Also rejects Nesterov without momentum or with dampening, and a dampening outside [0, 1].
  public func validate() throws {
    try Hyperparameter.learningRate(learningRate)
    try Hyperparameter.nonNegative("weightDecay", weightDecay)
    try ConfigurationError.require(
      momentum >= 0 && (!exponentialAverage || momentum < 1), "momentum", momentum,
      exponentialAverage ? "[0, 1) with exponentialAverage" : ">= 0")
    try ConfigurationError.require(dampening >= 0 && dampening <= 1, "dampening", dampening, "[0, 1]")
    try ConfigurationError.require(
      !exponentialAverage || dampening == 0, "dampening", dampening,
      "0 with exponentialAverage (it sets the dampening to the momentum)")
    try ConfigurationError.require(
      !nesterov || (momentum > 0 && dampening == 0), "nesterov", nesterov,
      "only with momentum > 0 and dampening 0")
  }
}
