import Descent
import Testing

/// Closed forms of the first steps, worked by hand from the published formulas, on the CPU backend
/// (the parity suite compares every backend with a float64 implementation over five steps).
@Suite struct UpdateRuleTests {
  func step(_ rule: UpdateRule, parameter: Float, gradients: [Float]) throws -> Float {
    let backend = CPUBackend()
    let p = try backend.buffer([parameter])
    let g = try backend.allocate(1)
    let state = try (0..<rule.stateCount).map { _ in try backend.buffer([0]) }
    for (index, gradient) in gradients.enumerated() {
      try backend.upload([gradient], to: g)
      try backend.update(rule, parameter: p, gradient: g, state: state, step: index + 1)
    }
    return try backend.download(p)[0]
  }

  @Test func adamFirstStepMovesByLearningRate() throws {
    // m̂ = g and v̂ = g² at t = 1, so θ₁ = θ₀ − lr·g/(|g| + ε) ≈ θ₀ − lr·sign(g).
    let theta = try step(.adam(learningRate: 0.1), parameter: 1, gradients: [-4])
    #expect(abs(theta - (1 + 0.1 * 4 / (4 + 1e-8))) < 1e-7)
  }

  @Test func adamWDecaysBeforeTheStep() throws {
    // θ₁ = θ₀(1 − lr·λ) − lr·g/(|g| + ε) = 2·(1 − 0.01) − 0.1 = 1.88
    let theta = try step(.adamW(learningRate: 0.1, weightDecay: 0.1), parameter: 2, gradients: [3])
    #expect(abs(theta - 1.88) < 1e-6)
  }

  @Test func sgdMomentumStartsWithTheGradient() throws {
    // b₁ = g = 1, θ₁ = −0.1; b₂ = 0.9·1 + 1 = 1.9, θ₂ = −0.1 − 0.19 = −0.29 (PyTorch's convention).
    let theta = try step(.sgd(learningRate: 0.1, momentum: 0.9), parameter: 0, gradients: [1, 1])
    #expect(abs(theta - -0.29) < 1e-6)
    // Nesterov: g + μb: step 1: 1 + 0.9 = 1.9 → −0.19; step 2: b = 1.9, 1 + 1.71 = 2.71 → −0.461.
    let nesterov = try step(.sgd(learningRate: 0.1, momentum: 0.9, nesterov: true), parameter: 0, gradients: [1, 1])
    #expect(abs(nesterov - -0.461) < 1e-6)
  }

  @Test func adaGradDividesByTheRootOfTheSum() throws {
    // s = 9, θ₁ = 1 − 0.5·3/3 = 0.5; s = 25, θ₂ = 0.5 − 0.5·4/5 = 0.1.
    let theta = try step(.adaGrad(learningRate: 0.5), parameter: 1, gradients: [3, 4])
    #expect(abs(theta - 0.1) < 1e-6)
  }

  @Test func rmsPropKeepsEpsilonOutsideTheRoot() throws {
    // v = (1−α)g² = 0.01·4 = 0.04, d = 0.2 + ε, θ₁ = −0.01·2/0.2 = −0.1.
    let theta = try step(.rmsProp(learningRate: 0.01, epsilon: 0.1), parameter: 0, gradients: [2])
    #expect(abs(theta - -0.01 * 2 / 0.3) < 1e-7)
  }

  @Test func stateCountsFollowTheOptions() {
    #expect(UpdateRule.sgd(learningRate: 1).stateCount == 0)
    #expect(UpdateRule.sgd(learningRate: 1, momentum: 0.5).stateCount == 1)
    #expect(UpdateRule.rmsProp(learningRate: 1, momentum: 0.5, centered: true).stateCount == 3)
    #expect(UpdateRule.adam(learningRate: 1, amsgrad: true).stateCount == 3)
    #expect(UpdateRule.adamW(learningRate: 1).stateCount == 2)
  }

  @Test func invalidHyperparametersNameTheParameterAndValue() throws {
    #expect(throws: ConfigurationError.outOfRange(parameter: "learningRate", value: "-0.1", allowed: ">= 0")) {
      try UpdateRule.sgd(learningRate: -0.1).validate()
    }
    #expect(throws: ConfigurationError.outOfRange(parameter: "beta1", value: "1.0", allowed: "[0, 1)")) {
      try UpdateRule.adam(learningRate: 0.1, beta1: 1).validate()
    }
    #expect(throws: ConfigurationError.outOfRange(parameter: "beta2", value: "-0.5", allowed: "[0, 1)")) {
      try UpdateRule.adamW(learningRate: 0.1, beta2: -0.5).validate()
    }
    #expect(throws: ConfigurationError.outOfRange(parameter: "nesterov", value: "true",
                                                  allowed: "only with momentum > 0 and dampening 0")) {
      try UpdateRule.sgd(learningRate: 0.1, nesterov: true).validate()
    }
    #expect(throws: ConfigurationError.outOfRange(parameter: "alpha", value: "1.5", allowed: "[0, 1]")) {
      try UpdateRule.rmsProp(learningRate: 0.1, alpha: 1.5).validate()
    }
    #expect(throws: ConfigurationError.outOfRange(parameter: "weightDecay", value: "-1.0", allowed: ">= 0")) {
      try UpdateRule.adaGrad(learningRate: 0.1, weightDecay: -1).validate()
    }
    for rule in [UpdateRule.sgd(learningRate: 0.1, momentum: 0.9, nesterov: true), .adaGrad(learningRate: 0.01),
                 .rmsProp(learningRate: 0.01, momentum: 0.9, centered: true), .adam(learningRate: 1e-3),
                 .adamW(learningRate: 1e-3)] {
      #expect(throws: Never.self) { try rule.validate() }
    }
  }
}
