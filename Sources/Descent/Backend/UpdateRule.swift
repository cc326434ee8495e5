import Foundation

/// One optimizer step as the `kernels/optim.cl` kernels and their Swift twins compute it, following
/// the update formulas documented for PyTorch's `torch.optim` (2.x), element by element. `g` is the
/// gradient, `θ` the parameter, `t` the step (from 1); scalars that depend only on `t` (bias
/// corrections) are computed on the host in `Double` and passed to the kernel.
public enum UpdateRule: Sendable, Hashable, Codable {
  /// `torch.optim.SGD`: `g ← g + λθ`; with momentum `μ ≠ 0`: `b ← g` at `t = 1`, else
  /// `b ← μb + (1 − τ)g`; then `g ← g + μb` (Nesterov) or `g ← b`; `θ ← θ − lr·g`.
  /// With `exponentialAverage`, the textbook form `b ← μb + (1 − μ)g` from `b = 0` at every step
  /// (the same kernel with `τ = μ` and no first-step copy; `dampening` must then be 0).
  /// State: `[b]` with momentum, none without.
  case sgd(learningRate: Float, momentum: Float = 0, dampening: Float = 0, nesterov: Bool = false,
           weightDecay: Float = 0, exponentialAverage: Bool = false)
  /// `torch.optim.Adagrad` (`initial_accumulator_value = 0`): `g ← g + λθ`;
  /// `lr_t = lr / (1 + (t − 1)·lrDecay)`; `s ← s + g²`; `θ ← θ − lr_t·g / (√s + ε)`. State: `[s]`.
  case adaGrad(learningRate: Float, learningRateDecay: Float = 0, weightDecay: Float = 0,
               epsilon: Float = 1e-10)
  /// `torch.optim.RMSprop`: `g ← g + λθ`; `v ← αv + (1 − α)g²`; centered: `ḡ ← αḡ + (1 − α)g`,
  /// `d = √(v − ḡ²) + ε`, else `d = √v + ε`; with momentum `μ > 0`: `b ← μb + g/d`,
  /// `θ ← θ − lr·b`, else `θ ← θ − lr·g/d`. ε is outside the square root (Keras puts it inside).
  /// State: `[v]`, then `ḡ` if centered, then `b` if `μ > 0`.
  case rmsProp(learningRate: Float, alpha: Float = 0.99, epsilon: Float = 1e-8, weightDecay: Float = 0,
               momentum: Float = 0, centered: Bool = false)
  /// `torch.optim.Adam` (Kingma & Ba, 2015): `g ← g + λθ`; `m ← β₁m + (1 − β₁)g`;
  /// `v ← β₂v + (1 − β₂)g²`; AMSGrad: `v̂ ← max(v̂, v)`, else `v̂ = v`;
  /// `θ ← θ − (lr / (1 − β₁ᵗ))·m / (√v̂ / √(1 − β₂ᵗ) + ε)` (ε after bias correction).
  /// State: `[m, v]`, then `v̂max` with AMSGrad.
  case adam(learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
            weightDecay: Float = 0, amsgrad: Bool = false)
  /// `torch.optim.AdamW` (Loshchilov & Hutter, 2019): `θ ← θ·(1 − lr·λ)` first (decoupled decay),
  /// then the Adam step without an L2 term. State as ``adam(learningRate:beta1:beta2:epsilon:weightDecay:amsgrad:)``.
  case adamW(learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
             weightDecay: Float = 0.01, amsgrad: Bool = false)

  /// How many state buffers the rule reads and writes, each as long as the parameter.
  public var stateCount: Int {
    switch self {
    case let .sgd(_, momentum, _, _, _, _): momentum == 0 ? 0 : 1
    case .adaGrad: 1
    case let .rmsProp(_, _, _, _, momentum, centered): 1 + (centered ? 1 : 0) + (momentum > 0 ? 1 : 0)
    case let .adam(_, _, _, _, _, amsgrad), let .adamW(_, _, _, _, _, amsgrad): amsgrad ? 3 : 2
    }
  }

  /// The kernel's name in `kernels/optim.cl`, and the case of its Swift twin.
  public var kernelName: String {
    switch self {
    case .sgd: "sgd"
    case .adaGrad: "adagrad"
    case .rmsProp: "rmsprop"
    case .adam: "adam"
    case .adamW: "adamw"
    }
  }

  /// The rule with its momentum (SGD, RMSprop) or β₁ (Adam, AdamW) set to `value`, as PyTorch's
  /// `OneCycleLR` sets it before each step; nil for AdaGrad, which has neither.
  public func replacingMomentum(_ value: Float) -> UpdateRule? {
    switch self {
    case let .sgd(lr, _, dampening, nesterov, weightDecay, average):
      .sgd(learningRate: lr, momentum: value, dampening: dampening, nesterov: nesterov, weightDecay: weightDecay,
           exponentialAverage: average)
    case .adaGrad: nil
    case let .rmsProp(lr, alpha, epsilon, weightDecay, _, centered):
      .rmsProp(learningRate: lr, alpha: alpha, epsilon: epsilon, weightDecay: weightDecay, momentum: value,
               centered: centered)
    case let .adam(lr, _, beta2, epsilon, weightDecay, amsgrad):
      .adam(learningRate: lr, beta1: value, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay, amsgrad: amsgrad)
    case let .adamW(lr, _, beta2, epsilon, weightDecay, amsgrad):
      .adamW(learningRate: lr, beta1: value, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay, amsgrad: amsgrad)
    }
  }

  /// The kernel's scalar arguments after the buffers, in order, for step `t`. Both backends read
  /// these, so the `Double` bias corrections are rounded to `Float` once, in one place.
  package func scalars(step t: Int) -> [Float] {
    switch self {
    case let .sgd(lr, momentum, dampening, nesterov, weightDecay, average):
      return [lr, momentum, average ? momentum : dampening, nesterov ? 1 : 0, weightDecay,
              t == 1 && !average ? 1 : 0]
    case let .adaGrad(lr, lrDecay, weightDecay, epsilon):
      return [Float(Double(lr) / (1 + Double(t - 1) * Double(lrDecay))), weightDecay, epsilon]
    case let .rmsProp(lr, alpha, epsilon, weightDecay, momentum, centered):
      return [lr, alpha, epsilon, weightDecay, momentum, centered ? 1 : 0]
    case let .adam(lr, beta1, beta2, epsilon, weightDecay, amsgrad):
      return Self.adamScalars(lr, beta1, beta2, epsilon, t) + [weightDecay, 1, amsgrad ? 1 : 0]
    case let .adamW(lr, beta1, beta2, epsilon, weightDecay, amsgrad):
      return Self.adamScalars(lr, beta1, beta2, epsilon, t)
        + [0, Float(1 - Double(lr) * Double(weightDecay)), amsgrad ? 1 : 0]
    }
  }

  /// `[β₁, β₂, lr / (1 − β₁ᵗ), 1 / √(1 − β₂ᵗ), ε]`: the second correction as a factor, so a
  /// step costs one division (by `√v̂ + ε`), not two; torch divides by √(1 − β₂ᵗ) (≤ 1 ulp apart).
  private static func adamScalars(_ lr: Float, _ beta1: Float, _ beta2: Float, _ epsilon: Float,
                                  _ t: Int) -> [Float] {
    let correction1 = 1 - pow(Double(beta1), Double(t))
    let correction2 = 1 - pow(Double(beta2), Double(t))
    return [beta1, beta2, Float(Double(lr) / correction1), Float(1 / correction2.squareRoot()), epsilon]
  }
}

extension UpdateRule {
  /// Throws ``ConfigurationError/outOfRange(parameter:value:allowed:)`` naming the first setting
  /// `torch.optim` would also reject: a negative learning rate, epsilon, weight decay or momentum;
  /// a beta, alpha or dampening outside its interval; Nesterov without momentum or with dampening.
  public func validate() throws {
    switch self {
    case let .sgd(lr, momentum, dampening, nesterov, weightDecay, average):
      try Self.nonNegative(lr: lr, weightDecay: weightDecay)
      try ConfigurationError.require(momentum >= 0 && (!average || momentum < 1), "momentum", momentum,
                                     average ? "[0, 1) with exponentialAverage" : ">= 0")
      try ConfigurationError.require(dampening >= 0 && dampening <= 1, "dampening", dampening, "[0, 1]")
      try ConfigurationError.require(!average || dampening == 0, "dampening", dampening,
                                     "0 with exponentialAverage (it sets the dampening to the momentum)")
      try ConfigurationError.require(!nesterov || (momentum > 0 && dampening == 0), "nesterov", nesterov,
                                     "only with momentum > 0 and dampening 0")
    case let .adaGrad(lr, lrDecay, weightDecay, epsilon):
      try Self.nonNegative(lr: lr, weightDecay: weightDecay)
      try ConfigurationError.require(lrDecay >= 0, "learningRateDecay", lrDecay, ">= 0")
      try ConfigurationError.require(epsilon >= 0, "epsilon", epsilon, ">= 0")
    case let .rmsProp(lr, alpha, epsilon, weightDecay, momentum, _):
      try Self.nonNegative(lr: lr, weightDecay: weightDecay)
      try ConfigurationError.require(alpha >= 0 && alpha <= 1, "alpha", alpha, "[0, 1]")
      try ConfigurationError.require(epsilon >= 0, "epsilon", epsilon, ">= 0")
      try ConfigurationError.require(momentum >= 0, "momentum", momentum, ">= 0")
    case let .adam(lr, beta1, beta2, epsilon, weightDecay, _),
         let .adamW(lr, beta1, beta2, epsilon, weightDecay, _):
      try Self.nonNegative(lr: lr, weightDecay: weightDecay)
      try ConfigurationError.require(beta1 >= 0 && beta1 < 1, "beta1", beta1, "[0, 1)")
      try ConfigurationError.require(beta2 >= 0 && beta2 < 1, "beta2", beta2, "[0, 1)")
      try ConfigurationError.require(epsilon >= 0, "epsilon", epsilon, ">= 0")
    }
  }

  private static func nonNegative(lr: Float, weightDecay: Float) throws {
    try ConfigurationError.require(lr >= 0 && lr.isFinite, "learningRate", lr, ">= 0")
    try ConfigurationError.require(weightDecay >= 0 && weightDecay.isFinite, "weightDecay", weightDecay, ">= 0")
  }
}
