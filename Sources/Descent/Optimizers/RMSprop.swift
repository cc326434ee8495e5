/// RMSprop, `torch.optim.RMSprop`: `g ← g + λθ`; `v ← αv + (1 − α)g²`; centered:
/// `ḡ ← αḡ + (1 − α)g`, `d = √(v − ḡ²) + ε`, else `d = √v + ε`; with momentum `μ > 0`:
/// `b ← μb + g/d`, `θ ← θ − lr·b`, else `θ ← θ − lr·g/d`. Kernel `rmsprop`, states `v`,
/// `average` (`ḡ`, kept when centered) and `buffer` (`b`, kept with momentum).
///
/// - Keras `RMSprop(rho=0.9, epsilon=1e-7)`: pass `alpha: 0.9` (PyTorch's default is 0.99). Keras
///   puts ε inside the root (`√(v + ε)`); with `v ≫ ε` that does not matter, otherwise
///   `epsilon: √ε_keras` matches the size of the guard. Keras's momentum buffer holds `lr·g/…`, which
///   is the same step while the rate is constant.
/// - optax `rmsprop(lr, decay=0.9, eps=1e-8)`: `alpha: 0.9`; optax also puts ε inside the root.
public struct RMSprop: Optimizer {
  public var learningRate: Float
  public var alpha: Float
  public var epsilon: Float
  public var weightDecay: Float
  public var momentum: Float
  public var centered: Bool

  public init(
    learningRate: Float = 0.01, alpha: Float = 0.99, epsilon: Float = 1e-8, weightDecay: Float = 0,
    momentum: Float = 0, centered: Bool = false
  ) {
    self.learningRate = learningRate
    self.alpha = alpha
    self.epsilon = epsilon
    self.weightDecay = weightDecay
    self.momentum = momentum
    self.centered = centered
  }

  public var hasMomentum: Bool { true }

  public static var defaults: Self { Self() }

  public static var hyperparameters: [OptimizerHyperparameter<Self>] {
    [
      .number("learningRate", \.learningRate), .number("alpha", \.alpha), .number("epsilon", \.epsilon),
      .number("weightDecay", \.weightDecay), .number("momentum", \.momentum), .flag("centered", \.centered),
    ]
  }

  public func stateSlots(momentum: Double?) -> [OptimizerUpdate.StateSlot] {
    [
      .init("v"), .init("average", kept: centered),
      .init("buffer", kept: momentum.map(Float.init) ?? self.momentum > 0),
    ]
  }

  public func update(step t: Int, learningRate: Double, momentum: Double?) -> OptimizerUpdate {
    let momentum = momentum.map(Float.init) ?? self.momentum
    return OptimizerUpdate(
      kernel: "rmsprop", states: stateSlots(momentum: Double(momentum)),
      scalars: [
        .init("lr", Float(learningRate)), .init("alpha", alpha), .init("epsilon", epsilon),
        .init("weight_decay", weightDecay), .init("momentum", momentum), .init("centered", flag: centered),
      ])
  }

  public func validate() throws {
    try Hyperparameter.learningRate(learningRate)
    try Hyperparameter.nonNegative("weightDecay", weightDecay)
    try ConfigurationError.require(alpha >= 0 && alpha <= 1, "alpha", alpha, "[0, 1]")
    try Hyperparameter.nonNegative("epsilon", epsilon)
    try Hyperparameter.nonNegative("momentum", momentum)
  }
}
