/// Lion (Chen et al., 2023, "Symbolic Discovery of Optimization Algorithms"), as `lion-pytorch`,
/// optax `lion` and Keras `Lion` compute it: `θ ← θ·(1 − lr·λ)`; `c = β₁m + (1 − β₁)g`;
/// `θ ← θ − lr·sign(c)` (sign(0) = 0); `m ← β₂m + (1 − β₂)g`. Kernel `lion`, state `m`.
///
/// Every coordinate moves by exactly `lr`, so Lion wants a learning rate 3–10× smaller than
/// AdamW's and a weight decay 3–10× larger (the paper's advice). The decay is decoupled and
/// scaled by the scheduled rate, as AdamW's; optax's default λ is 1e-3, lion-pytorch's and this
/// one's 0. One state buffer instead of Adam's two.
public struct Lion: Optimizer {
  public var learningRate: Float
  public var beta1: Float
  public var beta2: Float
  public var weightDecay: Float

  public init(learningRate: Float = 1e-4, beta1: Float = 0.9, beta2: Float = 0.99, weightDecay: Float = 0) {
    self.learningRate = learningRate
    self.beta1 = beta1
    self.beta2 = beta2
    self.weightDecay = weightDecay
  }

  /// β₁, which a one-cycle schedule cycles as PyTorch cycles `betas[0]`.
  public var hasMomentum: Bool { true }

  public static var defaults: Self { Self() }

  public static var hyperparameters: [OptimizerHyperparameter<Self>] {
    [
      .number("learningRate", \.learningRate), .number("beta1", \.beta1), .number("beta2", \.beta2),
      .number("weightDecay", \.weightDecay),
    ]
  }

  public func stateSlots(momentum: Double?) -> [OptimizerUpdate.StateSlot] { [.init("m")] }

  public func update(step t: Int, learningRate: Double, momentum: Double?) -> OptimizerUpdate {
    OptimizerUpdate(
      kernel: "lion", states: stateSlots(momentum: momentum),
      scalars: [
        .init("lr", Float(learningRate)), .init("beta1", momentum.map(Float.init) ?? beta1), .init("beta2", beta2),
        .init("decay_factor", Float(1 - learningRate * Double(weightDecay))),
      ])
  }

  public func validate() throws {
    try Hyperparameter.learningRate(learningRate)
    try Hyperparameter.nonNegative("weightDecay", weightDecay)
    try Hyperparameter.beta("beta1", beta1)
    try Hyperparameter.beta("beta2", beta2)
  }
}
