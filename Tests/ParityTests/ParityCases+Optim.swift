import Descent
import Foundation

extension ParityCase {
  /// Every optimizer with its options on and off, twenty steps with a new gradient each step,
  /// comparing the parameter and every state buffer with ``ReferenceOptimizer``.
  static let optimizerSettings: [any Optimizer] = [
    SGD(learningRate: 0.1),
    SGD(learningRate: 0.05, momentum: 0.9),
    SGD(learningRate: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.01),
    SGD(learningRate: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.001),
    SGD(learningRate: 0.05, momentum: 0.9, weightDecay: 0.01, exponentialAverage: true),
    AdaGrad(learningRate: 0.1),
    AdaGrad(learningRate: 0.1, learningRateDecay: 0.01, weightDecay: 0.01),
    RMSprop(learningRate: 0.01),
    RMSprop(learningRate: 0.01, centered: true),
    RMSprop(learningRate: 0.01, momentum: 0.9),
    RMSprop(learningRate: 0.01, alpha: 0.9, weightDecay: 0.01, momentum: 0.5, centered: true),
    Adam(learningRate: 0.001),
    Adam(learningRate: 0.01, beta1: 0.8, beta2: 0.99, weightDecay: 0.01, amsgrad: true),
    AdamW(learningRate: 0.001),
    AdamW(learningRate: 0.01, weightDecay: 0.1, amsgrad: true),
    Adamax(learningRate: 0.002),
    Adamax(learningRate: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-3, weightDecay: 0.01),
    Lion(learningRate: 0.01),
    Lion(learningRate: 0.01, beta1: 0.8, beta2: 0.95, weightDecay: 0.1),
  ]

  static let steps = 20

  static let optimizers: [ParityCase] = optimizerSettings.enumerated().flatMap { index, optimizer in
    [1, 33, 1000, 70_001].map { count in
      let start = Inputs.uniform(count, seed: UInt64(index * 100 + count))
      let gradients = (1...steps).map { Inputs.uniform(count, seed: UInt64(index * 100 + count + $0 * 7919)) }
      let updates = (1...steps).map {
        optimizer.update(step: $0, learningRate: Double(optimizer.learningRate), momentum: nil)
      }
      return ParityCase(name: "\(updates[0].kernel) \(optimizer) \(count) × \(steps) steps") { backend in
        let parameter = try backend.buffer(start)
        let state = try (0..<updates[0].stateCount).map { _ in try backend.buffer([Float](repeating: 0, count: count)) }
        let gradient = try backend.allocate(count)
        for (step, update) in updates.enumerated() {
          try backend.upload(gradients[step], to: gradient)
          try backend.update(update, parameter: parameter, gradient: gradient, state: state)
        }
        return try ([parameter] + state).flatMap { try backend.download($0) }
      } reference: {
        var reference = ReferenceOptimizer(optimizer, parameter: start.doubles)
        for step in 1...steps { reference.step(step, gradient: gradients[step - 1].doubles) }
        let values = reference.parameter + reference.state.flatMap { $0 }
        let magnitudes = reference.magnitudes.flatMap { $0 }, slack = reference.slack.flatMap { $0 }
        return Expected(
          values, bounds: zip(magnitudes, slack).map { Double(32 * steps) * u * $0 + $1 + 1e-30 },
          why:
            "≤ 16 fp32 roundings a step (with v's error through √ and ÷), \(steps) steps, ×2: \(32 * steps)u of the "
            + "running magnitude of the terms"
        )
      }
    }
  }
}

/// float64 optimizer steps written from the algorithm boxes of PyTorch's `torch.optim` docs (2.x),
/// one element at a time, from the optimizer's hyperparameters alone (independent of Descent's
/// kernels and of the scalars its `update(step:learningRate:momentum:)` computes).
struct ReferenceOptimizer {
  let optimizer: any Optimizer
  var parameter: [Double]
  /// The kept state buffers, in the kernel's slot order.
  var state: [[Double]]
  /// For the parameter and each state buffer, the sum of the absolute values of every term added
  /// into it so far (a running error estimate, Higham §3.3): rounding errors scale with these, not
  /// with the result, where terms cancel (θ − lr·g, or RMSprop's momentum buffer of ±g/d).
  var magnitudes: [[Double]]
  /// An allowance added to an element's bound where float32 may legitimately take another branch
  /// (Lion's sign of a value within its rounding error of 0: a step of ±lr either way).
  var slack: [[Double]]

  init(_ optimizer: any Optimizer, parameter: [Double]) {
    self.optimizer = optimizer
    self.parameter = parameter
    let stateCount =
      switch optimizer {
      case let sgd as SGD: sgd.momentum == 0 ? 0 : 1
      case let rmsProp as RMSprop: 1 + (rmsProp.centered ? 1 : 0) + (rmsProp.momentum > 0 ? 1 : 0)
      case let adam as Adam: adam.amsgrad ? 3 : 2
      case let adamW as AdamW: adamW.amsgrad ? 3 : 2
      case is Adamax: 2
      default: 1
      }
    state = Array(repeating: Array(repeating: 0, count: parameter.count), count: stateCount)
    magnitudes = [parameter.map(abs)] + state
    slack = [parameter.map { _ in 0 }] + state
  }

  mutating func step(_ t: Int, gradient: [Double]) {
    for i in parameter.indices { update(i, t, gradient[i]) }
  }

  private mutating func update(_ i: Int, _ t: Int, _ gradient: Double) {
    let before = [parameter[i]] + state.map { $0[i] }
    apply(i, t, gradient)
    let after = [parameter[i]] + state.map { $0[i] }
    // x ← a·x + y with 0 ≤ a ≤ 1 has terms |a·x| + |y| ≤ |x| + |x_new − x|, so adding the change
    // to the old magnitude bounds the new one.
    for slot in after.indices {
      magnitudes[slot][i] += abs(after[slot] - before[slot])
    }
  }

  private mutating func apply(_ i: Int, _ t: Int, _ gradient: Double) {
    var g = gradient
    var theta = parameter[i]
    switch optimizer {
    case let o as SGD:
      let (lr, mu, tau, nesterov, lambda, average) = (
        o.learningRate, o.momentum, o.dampening, o.nesterov,
        o.weightDecay, o.exponentialAverage
      )
      g += Double(lambda) * theta
      if average {  // the textbook exponential moving average from b₀ = 0
        state[0][i] = Double(mu) * state[0][i] + (1 - Double(mu)) * g
        g = state[0][i]
      } else if mu != 0 {
        let b = t > 1 ? Double(mu) * state[0][i] + (1 - Double(tau)) * g : g
        state[0][i] = b
        g = nesterov ? g + Double(mu) * b : b
      }
      theta -= Double(lr) * g
    case let o as AdaGrad:
      let (lr, decay, lambda, epsilon) = (o.learningRate, o.learningRateDecay, o.weightDecay, o.epsilon)
      let rate = Double(lr) / (1 + Double(t - 1) * Double(decay))
      g += Double(lambda) * theta
      state[0][i] += g * g
      theta -= rate * g / (state[0][i].squareRoot() + Double(epsilon))
    case let o as RMSprop:
      let (lr, alpha, epsilon, lambda, mu, centered) = (
        o.learningRate, o.alpha, o.epsilon, o.weightDecay, o.momentum,
        o.centered
      )
      let a = Double(alpha)
      g += Double(lambda) * theta
      state[0][i] = a * state[0][i] + (1 - a) * g * g
      var average = state[0][i]
      if centered {
        state[1][i] = a * state[1][i] + (1 - a) * g
        average -= state[1][i] * state[1][i]
      }
      let denominator = average.squareRoot() + Double(epsilon)
      if mu > 0 {
        let slot = centered ? 2 : 1
        state[slot][i] = Double(mu) * state[slot][i] + g / denominator
        theta -= Double(lr) * state[slot][i]
      } else {
        theta -= Double(lr) * g / denominator
      }
    case let o as Adam:
      g += Double(o.weightDecay) * theta
      theta = adam(
        i, t, theta, g, Double(o.learningRate), Double(o.beta1), Double(o.beta2), Double(o.epsilon),
        o.amsgrad)
    case let o as AdamW:
      theta *= 1 - Double(o.learningRate) * Double(o.weightDecay)
      theta = adam(
        i, t, theta, g, Double(o.learningRate), Double(o.beta1), Double(o.beta2), Double(o.epsilon),
        o.amsgrad)
    case let o as Adamax:  // PyTorch's box: u ← max(β₂u, |g| + ε), θ ← θ − lr/(1 − β₁ᵗ)·m/u
      let (beta1, beta2) = (Double(o.beta1), Double(o.beta2))
      g += Double(o.weightDecay) * theta
      state[0][i] = beta1 * state[0][i] + (1 - beta1) * g
      state[1][i] = max(beta2 * state[1][i], abs(g) + Double(o.epsilon))
      theta -= Double(o.learningRate) / (1 - pow(beta1, Double(t))) * state[0][i] / state[1][i]
    case let o as Lion:
      let (beta1, beta2, m) = (Double(o.beta1), Double(o.beta2), state[0][i])
      theta *= 1 - Double(o.learningRate) * Double(o.weightDecay)
      let c = beta1 * m + (1 - beta1) * g
      // float32's c is off by its m's error (bounded as the parity check bounds m) and 3 roundings.
      let error = beta1 * Double(32 * ParityCase.steps) * u * magnitudes[1][i] + 4 * u * (beta1 * abs(m) + abs(g))
      if abs(c) <= error { slack[0][i] += 2 * Double(o.learningRate) }
      theta -= Double(o.learningRate) * (c > 0 ? 1 : c < 0 ? -1 : 0)
      state[0][i] = beta2 * m + (1 - beta2) * g
    default:
      preconditionFailure("no float64 reference for \(optimizer)")
    }
    parameter[i] = theta
  }

  private mutating func adam(
    _ i: Int, _ t: Int, _ theta: Double, _ g: Double, _ lr: Double, _ beta1: Double,
    _ beta2: Double, _ epsilon: Double, _ amsgrad: Bool
  ) -> Double {
    state[0][i] = beta1 * state[0][i] + (1 - beta1) * g
    state[1][i] = beta2 * state[1][i] + (1 - beta2) * g * g
    let mHat = state[0][i] / (1 - pow(beta1, Double(t)))
    var vHat = state[1][i] / (1 - pow(beta2, Double(t)))
    if amsgrad {
      state[2][i] = max(state[2][i], state[1][i])
      vHat = state[2][i] / (1 - pow(beta2, Double(t)))
    }
    return theta - lr * mHat / (vHat.squareRoot() + epsilon)
  }
}
