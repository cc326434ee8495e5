/// AdaGrad, `torch.optim.Adagrad` (`initial_accumulator_value = 0`): `g ← g + λθ`;
/// `lr_t = lr / (1 + (t − 1)·learningRateDecay)`; `s ← s + g²`; `θ ← θ − lr_t·g / (√s + ε)`.
/// Kernel `adagrad`, state `sum` (`s`); `lr_t` is computed on the host in `Double`.
///
/// Keras `Adagrad` and optax `adagrad` start `s` at 0.1 and put ε (1e-7) inside the square root,
/// `g / √(s + ε)`: their first steps are smaller than PyTorch's, and no setting here reproduces
/// them exactly; once `s ≫ ε` the steps agree for the same learning rate.
public struct AdaGrad: Optimizer {
  public var learningRate: Float
  public var learningRateDecay: Float
  public var weightDecay: Float
  public var epsilon: Float

  public init(
    learningRate: Float = 0.01, learningRateDecay: Float = 0, weightDecay: Float = 0,
    epsilon: Float = 1e-10
  ) {
    self.learningRate = learningRate
    self.learningRateDecay = learningRateDecay
    self.weightDecay = weightDecay
    self.epsilon = epsilon
  }

  public var hasMomentum: Bool { false }

  public static var defaults: Self { Self() }

  public static var hyperparameters: [OptimizerHyperparameter<Self>] {
    [
      .number("learningRate", \.learningRate), .number("learningRateDecay", \.learningRateDecay),
      .number("weightDecay", \.weightDecay), .number("epsilon", \.epsilon),
    ]
  }

  public func stateSlots(momentum: Double?) -> [OptimizerUpdate.StateSlot] { [.init("sum")] }

  public func update(step t: Int, learningRate: Double, momentum: Double?) -> OptimizerUpdate {
    let rate = learningRate / (1 + Double(t - 1) * Double(learningRateDecay))
    return OptimizerUpdate(
      kernel: "adagrad", states: stateSlots(momentum: momentum),
      scalars: [
        .init("lr", Float(rate)), .init("weight_decay", weightDecay), .init("epsilon", epsilon),
      ])
  }

  public func validate() throws {
    try Hyperparameter.learningRate(learningRate)
    try Hyperparameter.nonNegative("weightDecay", weightDecay)
    try Hyperparameter.nonNegative("learningRateDecay", learningRateDecay)
    try Hyperparameter.nonNegative("epsilon", epsilon)
  }
}
