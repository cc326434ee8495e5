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

  public static var defaults: Self { Self() }

  public static var hyperparameters: [OptimizerHyperparameter<Self>] {
    [
      .number("learningRate", \.learningRate), .number("beta1", \.beta1), .number("beta2", \.beta2),
      .number("epsilon", \.epsilon), .number("weightDecay", \.weightDecay), .flag("amsgrad", \.amsgrad),
    ]
  }

  public func stateSlots(momentum: Double?) -> [OptimizerUpdate.StateSlot] {
    [.init("m"), .init("v"), .init("v_max", kept: amsgrad)]
  }

  public func update(step t: Int, learningRate: Double, momentum: Double?) -> OptimizerUpdate {
    update(step: t, learningRate: learningRate, momentum: momentum, l2: weightDecay, decayFactor: 1)
  }

  public func validate() throws {
    try Hyperparameter.adaptive(
      learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay)
  }

  /// The `adam` kernel's call, shared with ``AdamW``: `step_size = lr / (1 − β₁ᵗ)` and
  /// `inverse_correction2 = 1 / √(1 − β₂ᵗ)` (a factor, so a step costs one division, by `√v̂ + ε`;
  /// torch divides by √(1 − β₂ᵗ): ≤ 1 ulp apart), `weight_decay` the L2 term added to `g`,
  /// `decay_factor` the decoupled decay `θ ← θ·factor` applied first.
  func update(step t: Int, learningRate: Double, momentum: Double?, l2: Float, decayFactor: Float) -> OptimizerUpdate {
    let beta1 = momentum.map(Float.init) ?? self.beta1
    let correction1 = 1 - pow(Double(beta1), Double(t))
    let correction2 = 1 - pow(Double(beta2), Double(t))
    return OptimizerUpdate(
      kernel: "adam", states: stateSlots(momentum: momentum),
      scalars: [
        .init("beta1", beta1), .init("beta2", beta2), .init("step_size", Float(learningRate / correction1)),
        .init("inverse_correction2", Float(1 / correction2.squareRoot())), .init("epsilon", epsilon),
        .init("weight_decay", l2), .init("decay_factor", decayFactor), .init("amsgrad", flag: amsgrad),
      ])
  }
}

/// AdamW, `torch.optim.AdamW` (Loshchilov & Hutter, 2019): `θ ← θ·(1 − lr·λ)` first (decoupled
/// decay), then the ``Adam`` step without an L2 term: the same `adam` kernel and states. Its
/// hyperparameters are an ``Adam``'s (read and set through it: `adamW.beta2`), with `weightDecay`
/// decoupled and 0.01 by default.
///
/// The decay is scaled by the scheduled learning rate, as in PyTorch, Keras `AdamW` and optax
/// `adamw` (all three compute `θ·(1 − lr·λ)`); only the defaults differ: λ = 0.01 here and in
/// PyTorch, 0.004 in Keras, 1e-4 in optax.
@dynamicMemberLookup
public struct AdamW: Optimizer {
  /// The hyperparameters, as an ``Adam``'s.
  public var adam: Adam

  public init(
    learningRate: Float = 0.001, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
    weightDecay: Float = 0.01, amsgrad: Bool = false
  ) {
    adam = Adam(
      learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay,
      amsgrad: amsgrad)
  }

  public static var defaults: Self { Self() }

  public subscript<Value>(dynamicMember path: WritableKeyPath<Adam, Value>) -> Value {
    get { adam[keyPath: path] }
    set { adam[keyPath: path] = newValue }
  }

  public var learningRate: Float { adam.learningRate }

  public var hasMomentum: Bool { true }

  public static var hyperparameters: [OptimizerHyperparameter<Self>] { Adam.hyperparameters.map { $0.lifted(\.adam) } }

  public func stateSlots(momentum: Double?) -> [OptimizerUpdate.StateSlot] { adam.stateSlots(momentum: momentum) }

  public func update(step t: Int, learningRate: Double, momentum: Double?) -> OptimizerUpdate {
    adam.update(
      step: t, learningRate: learningRate, momentum: momentum, l2: 0,
      decayFactor: Float(1 - learningRate * Double(adam.weightDecay)))
  }

  public func validate() throws { try adam.validate() }
}
