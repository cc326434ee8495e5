import Foundation

/// Adamax, `torch.optim.Adamax` (Kingma & Ba, 2015, §7.1: Adam with the infinity norm):
/// `g ← g + λθ`; `m ← β₁m + (1 − β₁)g`; `u ← max(β₂u, |g| + ε)`; `θ ← θ − (lr / (1 − β₁ᵗ))·m / u`.
/// Kernel `adamax`, states `m` and `u`.
///
/// - ε is added to `|g|` inside the maximum, as PyTorch does (the paper has no ε; `u` is then 0
///   only where every gradient so far was 0, and the step divides 0 by 0).
/// - Keras `Adamax(epsilon=1e-7)` adds ε to `u` in the denominator instead, and optax
///   `adamax(eps=1e-8)` likewise: the same while `|g| ≫ ε`.
public struct Adamax: Optimizer {
  public var learningRate: Float
  public var beta1: Float
  public var beta2: Float
  public var epsilon: Float
  public var weightDecay: Float

  public init(
    learningRate: Float = 0.002, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
    weightDecay: Float = 0
  ) {
    self.learningRate = learningRate
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
    self.weightDecay = weightDecay
  }

  public static var defaults: Self { Self() }

  public var hasMomentum: Bool { true }

  public static var hyperparameters: [OptimizerHyperparameter<Self>] {
    [
      .number("learningRate", \.learningRate), .number("beta1", \.beta1), .number("beta2", \.beta2),
      .number("epsilon", \.epsilon), .number("weightDecay", \.weightDecay),
    ]
  }

  public func stateSlots(momentum: Double?) -> [OptimizerUpdate.StateSlot] { [.init("m"), .init("u")] }

  /// `step_size = lr / (1 − β₁ᵗ)`, computed here in `Double`.
  public func update(step t: Int, learningRate: Double, momentum: Double?) -> OptimizerUpdate {
    let beta1 = momentum.map(Float.init) ?? self.beta1
    return OptimizerUpdate(
      kernel: "adamax", states: stateSlots(momentum: momentum),
      scalars: [
        .init("beta1", beta1), .init("beta2", beta2),
        .init("step_size", Float(learningRate / (1 - pow(Double(beta1), Double(t))))), .init("epsilon", epsilon),
        .init("weight_decay", weightDecay),
      ])
  }

  public func validate() throws {
    try Hyperparameter.adaptive(
      learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay)
  }
}
