import Descent

extension ParityCase {
  /// Every optimizer with its options on and off, twenty steps with a new gradient each step,
  /// comparing the parameter and every state buffer with ``ReferenceOptimizer``.
  static let rules: [UpdateRule] = [
    .sgd(learningRate: 0.1),
    .sgd(learningRate: 0.05, momentum: 0.9),
    .sgd(learningRate: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.01),
    .sgd(learningRate: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.001),
    .sgd(learningRate: 0.05, momentum: 0.9, weightDecay: 0.01, exponentialAverage: true),
    .adaGrad(learningRate: 0.1),
    .adaGrad(learningRate: 0.1, learningRateDecay: 0.01, weightDecay: 0.01),
    .rmsProp(learningRate: 0.01),
    .rmsProp(learningRate: 0.01, centered: true),
    .rmsProp(learningRate: 0.01, momentum: 0.9),
    .rmsProp(learningRate: 0.01, alpha: 0.9, weightDecay: 0.01, momentum: 0.5, centered: true),
    .adam(learningRate: 0.001),
    .adam(learningRate: 0.01, beta1: 0.8, beta2: 0.99, weightDecay: 0.01, amsgrad: true),
    .adamW(learningRate: 0.001),
    .adamW(learningRate: 0.01, weightDecay: 0.1, amsgrad: true),
  ]

  static let steps = 20

  static let optimizers: [ParityCase] = rules.enumerated().flatMap { index, rule in
    [1, 33, 1000, 70_001].map { count in
      let start = Inputs.uniform(count, seed: UInt64(index * 100 + count))
      let gradients = (1...steps).map { Inputs.uniform(count, seed: UInt64(index * 100 + count + $0 * 7919)) }
      return ParityCase(name: "\(rule.kernelName) \(rule) \(count) × \(steps) steps") { backend in
        let parameter = try backend.buffer(start)
        let state = try (0..<rule.stateCount).map { _ in try backend.buffer([Float](repeating: 0, count: count)) }
        let gradient = try backend.allocate(count)
        for step in 1...steps {
          try backend.upload(gradients[step - 1], to: gradient)
          try backend.update(rule, parameter: parameter, gradient: gradient, state: state, step: step)
        }
        return try ([parameter] + state).flatMap { try backend.download($0) }
      } reference: {
        var reference = ReferenceOptimizer(rule: rule, parameter: start.doubles)
        for step in 1...steps { reference.step(step, gradient: gradients[step - 1].doubles) }
        let values = reference.parameter + reference.state.flatMap { $0 }
        let magnitudes = reference.magnitudes.flatMap { $0 }
        return Expected(values, bounds: magnitudes.map { Double(32 * steps) * u * $0 + 1e-30 },
                        why: "≤ 16 fp32 roundings a step (with v's error through √ and ÷), \(steps) steps, ×2: \(32 * steps)u of the running magnitude of the terms")
      }
    }
  }
}
