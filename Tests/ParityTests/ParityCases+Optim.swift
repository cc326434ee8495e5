import Descent

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
  ]

  static let steps = 20

  static let optimizers: [ParityCase] = optimizerSettings.enumerated().flatMap { index, optimizer in
    [1, 33, 1000, 70_001].map { count in
      let start = Inputs.uniform(count, seed: UInt64(index * 100 + count))
      let gradients = (1...steps).map { Inputs.uniform(count, seed: UInt64(index * 100 + count + $0 * 7919)) }
      let updates = (1...steps).map { optimizer.update(step: $0, learningRate: optimizer.learningRate, momentum: nil) }
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
        let magnitudes = reference.magnitudes.flatMap { $0 }
        return Expected(values, bounds: magnitudes.map { Double(32 * steps) * u * $0 + 1e-30 },
                        why: "≤ 16 fp32 roundings a step (with v's error through √ and ÷), \(steps) steps, ×2: \(32 * steps)u of the running magnitude of the terms")
      }
    }
  }
}
