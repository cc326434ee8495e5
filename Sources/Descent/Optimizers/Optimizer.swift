/// An optimizer: its hyperparameters and the ``UpdateRule`` the device kernels run. A training
/// loop asks for the rule with the learning rate its schedule gives at each step.
///
/// Every optimizer follows PyTorch's `torch.optim` formulas (written out on ``UpdateRule``), and
/// each type's documentation says how to reproduce a Keras or optax setting.
public protocol Optimizer: Sendable, CustomStringConvertible {
  /// The base learning rate, which a ``LearningRateSchedule`` scales.
  var learningRate: Float { get }
  /// The update rule with the learning rate replaced by `learningRate`.
  func rule(learningRate: Float) -> UpdateRule
}

extension Optimizer {
  /// Throws ``ConfigurationError`` naming the first hyperparameter out of range.
  public func validate() throws {
    try rule(learningRate: learningRate).validate()
  }

  public var description: String { "\(rule(learningRate: learningRate))" }
}

/// Stochastic gradient descent, `torch.optim.SGD`: with momentum `μ`,
/// `b ← μb + (1 − dampening)·g` (`b = g` at the first step), `θ ← θ − lr·b` (or `g + μb` with Nesterov).
///
/// - Keras `SGD(momentum=μ)` keeps the learning rate inside the buffer (`v ← μv − lr·g; θ ← θ + v`);
///   with a constant rate the steps are the same, so pass the same `learningRate` and `momentum`.
///   When the rate changes, Keras's old velocity keeps the old rate; here it takes the new one.
/// - optax `sgd(lr, momentum=μ, nesterov=…)` is this formula exactly.
/// - Textbook momentum `v ← βv + (1 − β)g` (an exponential moving average from `v = 0`):
///   `exponentialAverage: true` with `momentum: β`.
/// - An L2 penalty `λ·Σw²` has gradient `2λw`: that is `weightDecay: 2λ` here.
public struct SGD: Optimizer {
  public var learningRate: Float
  public var momentum: Float
  public var dampening: Float
  public var nesterov: Bool
  public var weightDecay: Float
  public var exponentialAverage: Bool

  public init(learningRate: Float = 0.01, momentum: Float = 0, dampening: Float = 0, nesterov: Bool = false,
              weightDecay: Float = 0, exponentialAverage: Bool = false) {
    self.learningRate = learningRate
    self.momentum = momentum
    self.dampening = dampening
    self.nesterov = nesterov
    self.weightDecay = weightDecay
    self.exponentialAverage = exponentialAverage
  }

  public func rule(learningRate: Float) -> UpdateRule {
    .sgd(learningRate: learningRate, momentum: momentum, dampening: dampening, nesterov: nesterov,
         weightDecay: weightDecay, exponentialAverage: exponentialAverage)
  }
}

/// AdaGrad, `torch.optim.Adagrad`: `s ← s + g²`, `θ ← θ − lr_t·g / (√s + ε)` with
/// `lr_t = lr / (1 + (t − 1)·learningRateDecay)` and `s` starting at 0.
///
/// Keras `Adagrad` and optax `adagrad` start `s` at 0.1 and put ε (1e-7) inside the square root,
/// `g / √(s + ε)`: their first steps are smaller than PyTorch's, and no setting here reproduces
/// them exactly; once `s ≫ ε` the steps agree for the same learning rate.
public struct AdaGrad: Optimizer {
  public var learningRate: Float
  public var learningRateDecay: Float
  public var weightDecay: Float
  public var epsilon: Float

  public init(learningRate: Float = 0.01, learningRateDecay: Float = 0, weightDecay: Float = 0,
              epsilon: Float = 1e-10) {
    self.learningRate = learningRate
    self.learningRateDecay = learningRateDecay
    self.weightDecay = weightDecay
    self.epsilon = epsilon
  }

  public func rule(learningRate: Float) -> UpdateRule {
    .adaGrad(learningRate: learningRate, learningRateDecay: learningRateDecay, weightDecay: weightDecay,
             epsilon: epsilon)
  }
}

/// RMSprop, `torch.optim.RMSprop`: `v ← αv + (1 − α)g²`, `θ ← θ − lr·g / (√v + ε)`; centered
/// subtracts the squared running mean of `g` inside the root; momentum `μ` keeps `b ← μb + g/(√v + ε)`.
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

  public init(learningRate: Float = 0.01, alpha: Float = 0.99, epsilon: Float = 1e-8, weightDecay: Float = 0,
              momentum: Float = 0, centered: Bool = false) {
    self.learningRate = learningRate
    self.alpha = alpha
    self.epsilon = epsilon
    self.weightDecay = weightDecay
    self.momentum = momentum
    self.centered = centered
  }

  public func rule(learningRate: Float) -> UpdateRule {
    .rmsProp(learningRate: learningRate, alpha: alpha, epsilon: epsilon, weightDecay: weightDecay,
             momentum: momentum, centered: centered)
  }
}

/// Adam, `torch.optim.Adam`: `θ ← θ − lr·m̂ / (√v̂ + ε)` with bias-corrected moments (ε after the
/// correction); AMSGrad keeps the running maximum of `v`. `weightDecay` is an L2 term added to `g`.
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

  public init(learningRate: Float = 0.001, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
              weightDecay: Float = 0, amsgrad: Bool = false) {
    self.learningRate = learningRate
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
    self.weightDecay = weightDecay
    self.amsgrad = amsgrad
  }

  public func rule(learningRate: Float) -> UpdateRule {
    .adam(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay,
          amsgrad: amsgrad)
  }
}

/// AdamW, `torch.optim.AdamW`: `θ ← θ·(1 − lr·λ)`, then the Adam step without an L2 term.
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

  public init(learningRate: Float = 0.001, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
              weightDecay: Float = 0.01, amsgrad: Bool = false) {
    self.learningRate = learningRate
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
    self.weightDecay = weightDecay
    self.amsgrad = amsgrad
  }

  public func rule(learningRate: Float) -> UpdateRule {
    .adamW(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay,
           amsgrad: amsgrad)
  }
}
