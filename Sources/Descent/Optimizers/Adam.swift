import Foundation

/// Adam, `torch.optim.Adam` (Kingma & Ba, 2015): `g ← g + λθ`; `m ← β₁m + (1 − β₁)g`;
/// `v ← β₂v + (1 − β₂)g²`; AMSGrad: `v̂ ← max(v̂, v)`, else `v̂ = v`;
/// `θ ← θ − (lr / (1 − β₁ᵗ))·m / (√v̂ / √(1 − β₂ᵗ) + ε)` (ε after bias correction). Kernel
/// `adam`, states `m`, `v` and `v_max` (kept with AMSGrad).
///
/// - optax `adam(lr, b1, b2, eps=1e-8)` is the same formula.
/// - Keras `Adam(epsilon=1e-7)` adds ε to the uncorrected `√v`: `ε_keras = ε·√(1 − β₂ᵗ)`, which
///   changes with the step, so it differs from this in the first steps, by at most ε-sized terms.
/// - For decoupled weight decay use ``AdamW``, not `weightDecay` here.
public struct Adam: Optimizer {
  public var learningRate: Float
  public var beta1: Float
  public var beta2: Float
  public var epsilon: Float
  public var weightDecay: Float
  public var amsgrad: Bool

  public init(
    learningRate: Float = 0.001, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
    weightDecay: Float = 0, amsgrad: Bool = false
  ) {
    self.learningRate = learningRate
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
    self.weightDecay = weightDecay
    self.amsgrad = amsgrad
  }

  public var hasMomentum: Bool { true }

  public var settings: OptimizerSettings {
    OptimizerSettings(
      "Adam",
      [
        "learningRate": Double(learningRate), "beta1": Double(beta1), "beta2": Double(beta2),
        "epsilon": Double(epsilon), "weightDecay": Double(weightDecay), "amsgrad": amsgrad ? 1 : 0,
      ])
  }

  public static var defaultSettings: OptimizerSettings { Adam().settings }

  public func update(step t: Int, learningRate: Float, momentum: Float?) -> OptimizerUpdate {
    Self.update(
      step: t, learningRate: learningRate, beta1: momentum ?? beta1, beta2: beta2, epsilon: epsilon,
      l2: weightDecay, decayFactor: 1, amsgrad: amsgrad)
  }

  public func validate() throws {
    try Self.validate(
      learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
      weightDecay: weightDecay)
  }

  /// The `adam` kernel's call, shared with ``AdamW``: `step_size = lr / (1 − β₁ᵗ)` and
  /// `inverse_correction2 = 1 / √(1 − β₂ᵗ)` (a factor, so a step costs one division, by `√v̂ + ε`;
  /// torch divides by √(1 − β₂ᵗ): ≤ 1 ulp apart), `weight_decay` the L2 term added to `g`,
  /// `decay_factor` the decoupled decay `θ ← θ·factor` applied first.
  static func update(
    step t: Int, learningRate: Float, beta1: Float, beta2: Float, epsilon: Float, l2: Float,
    decayFactor: Float, amsgrad: Bool
  ) -> OptimizerUpdate {
    let correction1 = 1 - pow(Double(beta1), Double(t))
    let correction2 = 1 - pow(Double(beta2), Double(t))
    return OptimizerUpdate(
      kernel: "adam", states: [.init("m"), .init("v"), .init("v_max", kept: amsgrad)],
      scalars: [
        .init("beta1", beta1), .init("beta2", beta2), .init("step_size", Float(Double(learningRate) / correction1)),
        .init("inverse_correction2", Float(1 / correction2.squareRoot())), .init("epsilon", epsilon),
        .init("weight_decay", l2), .init("decay_factor", decayFactor), .init("amsgrad", flag: amsgrad),
      ])
  }

  static func validate(learningRate: Float, beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float) throws {
    try Hyperparameter.learningRate(learningRate)
    try Hyperparameter.nonNegative("weightDecay", weightDecay)
    try Hyperparameter.beta("beta1", beta1)
    try Hyperparameter.beta("beta2", beta2)
    try Hyperparameter.nonNegative("epsilon", epsilon)
  }
}

/// AdamW, `torch.optim.AdamW` (Loshchilov & Hutter, 2019): `θ ← θ·(1 − lr·λ)` first (decoupled
/// decay), then the ``Adam`` step without an L2 term: the same `adam` kernel and states.
///
/// The decay is scaled by the scheduled learning rate, as in PyTorch, Keras `AdamW` and optax
/// `adamw` (all three compute `θ·(1 − lr·λ)`); only the defaults differ: λ = 0.01 here and in
/// PyTorch, 0.004 in Keras, 1e-4 in optax.
public struct AdamW: Optimizer {
  public var learningRate: Float
  public var beta1: Float
  public var beta2: Float
  public var epsilon: Float
  public var weightDecay: Float
  public var amsgrad: Bool

  public init(
    learningRate: Float = 0.001, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
    weightDecay: Float = 0.01, amsgrad: Bool = false
  ) {
    self.learningRate = learningRate
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
    self.weightDecay = weightDecay
    self.amsgrad = amsgrad
  }

  public var hasMomentum: Bool { true }

  public var settings: OptimizerSettings {
    OptimizerSettings(
      "AdamW",
      [
        "learningRate": Double(learningRate), "beta1": Double(beta1), "beta2": Double(beta2),
        "epsilon": Double(epsilon), "weightDecay": Double(weightDecay), "amsgrad": amsgrad ? 1 : 0,
      ])
  }

  public static var defaultSettings: OptimizerSettings { AdamW().settings }

  public func update(step t: Int, learningRate: Float, momentum: Float?) -> OptimizerUpdate {
    Adam.update(
      step: t, learningRate: learningRate, beta1: momentum ?? beta1, beta2: beta2, epsilon: epsilon,
      l2: 0, decayFactor: Float(1 - Double(learningRate) * Double(weightDecay)), amsgrad: amsgrad)
  }

  public func validate() throws {
    try Adam.validate(
      learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
      weightDecay: weightDecay)
  }
}
