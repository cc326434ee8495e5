import Descent
import Testing

/// Closed forms of the first steps, worked by hand from the published formulas, on the CPU backend
/// (the parity suite compares every backend with a float64 implementation over five steps).
@Suite struct OptimizerTests {
  func step(_ optimizer: any Optimizer, parameter: Float, gradients: [Float]) throws -> Float {
    let backend = CPUBackend()
    let p = try backend.buffer([parameter])
    let g = try backend.allocate(1)
    let first = optimizer.update(step: 1, learningRate: Double(optimizer.learningRate), momentum: nil)
    let state = try (0..<first.stateCount).map { _ in try backend.buffer([0]) }
    for (index, gradient) in gradients.enumerated() {
      try backend.upload([gradient], to: g)
      let update = optimizer.update(step: index + 1, learningRate: Double(optimizer.learningRate), momentum: nil)
      try backend.update(update, parameter: p, gradient: g, state: state)
    }
    return try backend.download(p)[0]
  }

  @Test func adamFirstStepMovesByLearningRate() throws {
    // m̂ = g and v̂ = g² at t = 1, so θ₁ = θ₀ − lr·g/(|g| + ε) ≈ θ₀ − lr·sign(g).
    let theta = try step(Adam(learningRate: 0.1), parameter: 1, gradients: [-4])
    #expect(abs(theta - (1 + 0.1 * 4 / (4 + 1e-8))) < 1e-7)
  }

  @Test func adamWDecaysBeforeTheStep() throws {
    // θ₁ = θ₀(1 − lr·λ) − lr·g/(|g| + ε) = 2·(1 − 0.01) − 0.1 = 1.88
    let theta = try step(AdamW(learningRate: 0.1, weightDecay: 0.1), parameter: 2, gradients: [3])
    #expect(abs(theta - 1.88) < 1e-6)
  }

  @Test func adamaxDividesByTheDecayedLargestGradient() throws {
    // t = 1: m = 0.1·2 = 0.2, u = max(0, 2 + ε), θ₁ = −0.002/(1 − 0.9)·0.2/2 = −0.002.
    // t = 2: m = 0.9·0.2 − 0.1 = 0.08, u = max(0.999·2, 1 + ε) = 1.998,
    // θ₂ = θ₁ − 0.002/(1 − 0.81)·0.08/1.998.
    let theta = try step(Adamax(), parameter: 0, gradients: [2, -1])
    #expect(abs(theta - (-0.002 - 0.002 / 0.19 * 0.08 / 1.998)) < 1e-8)
    // ε inside the maximum: a zero gradient leaves u = ε, so a first step of m = 0 moves nothing.
    #expect(try step(Adamax(epsilon: 0.5), parameter: 1, gradients: [0]) == 1)
  }

  @Test func sgdMomentumStartsWithTheGradient() throws {
    // b₁ = g = 1, θ₁ = −0.1; b₂ = 0.9·1 + 1 = 1.9, θ₂ = −0.1 − 0.19 = −0.29 (PyTorch's convention).
    let theta = try step(SGD(learningRate: 0.1, momentum: 0.9), parameter: 0, gradients: [1, 1])
    #expect(abs(theta - -0.29) < 1e-6)
    // Nesterov: g + μb: step 1: 1 + 0.9 = 1.9 → −0.19; step 2: b = 1.9, 1 + 1.71 = 2.71 → −0.461.
    let nesterov = try step(SGD(learningRate: 0.1, momentum: 0.9, nesterov: true), parameter: 0, gradients: [1, 1])
    #expect(abs(nesterov - -0.461) < 1e-6)
  }

  @Test func adaGradDividesByTheRootOfTheSum() throws {
    // s = 9, θ₁ = 1 − 0.5·3/3 = 0.5; s = 25, θ₂ = 0.5 − 0.5·4/5 = 0.1.
    let theta = try step(AdaGrad(learningRate: 0.5), parameter: 1, gradients: [3, 4])
    #expect(abs(theta - 0.1) < 1e-6)
  }

  @Test func rmsPropKeepsEpsilonOutsideTheRoot() throws {
    // v = (1−α)g² = 0.01·4 = 0.04, d = 0.2 + ε, θ₁ = −0.01·2/0.2 = −0.1.
    let theta = try step(RMSprop(learningRate: 0.01, epsilon: 0.1), parameter: 0, gradients: [2])
    #expect(abs(theta - -0.01 * 2 / 0.3) < 1e-7)
  }

  @Test func stateSlotsFollowTheOptions() {
    func kept(_ optimizer: any Optimizer) -> [String] {
      optimizer.update(step: 1, learningRate: 1, momentum: nil).states.filter(\.kept).map(\.name)
    }
    #expect(kept(SGD()) == [])
    #expect(kept(SGD(momentum: 0.5)) == ["b"])
    #expect(kept(RMSprop(momentum: 0.5, centered: true)) == ["v", "average", "buffer"])
    #expect(kept(RMSprop(momentum: 0.5)) == ["v", "buffer"])
    #expect(kept(Adam(amsgrad: true)) == ["m", "v", "v_max"])
    #expect(kept(AdamW()) == ["m", "v"])
    let update = RMSprop(momentum: 0.5).update(step: 1, learningRate: 1, momentum: nil)
    #expect(update.stateIndex("buffer") == 1 && update.stateIndex("average") == nil)
  }

  /// The scheduled rate and a cycled momentum reach the kernel's scalars; step-dependent ones follow t.
  @Test func updatesTakeTheScheduledRateAndMomentum() {
    let sgd = SGD(learningRate: 0.1, momentum: 0.9, nesterov: true).update(step: 3, learningRate: 0.05, momentum: nil)
    #expect(sgd["lr"] == 0.05 && sgd["momentum"] == 0.9 && sgd["nesterov"] == 1 && sgd["first_step"] == 0)
    #expect(SGD(momentum: 0.9).update(step: 1, learningRate: 1, momentum: nil)["first_step"] == 1)
    #expect(SGD().update(step: 1, learningRate: 1, momentum: 0.85)["momentum"] == 0.85)
    #expect(AdaGrad(learningRateDecay: 0.5).update(step: 3, learningRate: 0.2, momentum: nil)["lr"] == Float(0.2 / 2))
    let adam = Adam(beta2: 0.99).update(step: 2, learningRate: 0.01, momentum: 0.8)
    // The corrections from the scheduled rate (a Double) and the Float β's, in Double, rounded once.
    let (lr, beta1, beta2) = (0.01, Double(Float(0.8)), Double(Float(0.99)))
    #expect(adam["beta1"] == 0.8 && adam["step_size"] == Float(lr / (1 - beta1 * beta1)))
    #expect(adam["inverse_correction2"] == Float(1 / (1 - beta2 * beta2).squareRoot()))
    let adamW = AdamW(weightDecay: 0.1).update(step: 1, learningRate: 0.5, momentum: nil)
    #expect(adamW.kernel == "adam" && adamW["weight_decay"] == 0 && adamW["decay_factor"] == 0.95)
    #expect(Adam(weightDecay: 0.1).update(step: 1, learningRate: 0.5, momentum: nil)["decay_factor"] == 1)
  }

  @Test func invalidHyperparametersNameTheParameterAndValue() throws {
    #expect(throws: ConfigurationError.outOfRange(parameter: "learningRate", value: "-0.1", allowed: ">= 0")) {
      try SGD(learningRate: -0.1).validate()
    }
    #expect(throws: ConfigurationError.outOfRange(parameter: "beta1", value: "1.0", allowed: "[0, 1)")) {
      try Adam(learningRate: 0.1, beta1: 1).validate()
    }
    #expect(throws: ConfigurationError.outOfRange(parameter: "beta2", value: "-0.5", allowed: "[0, 1)")) {
      try AdamW(learningRate: 0.1, beta2: -0.5).validate()
    }
    #expect(
      throws: ConfigurationError.outOfRange(
        parameter: "nesterov", value: "true",
        allowed: "only with momentum > 0 and dampening 0")
    ) {
      try SGD(learningRate: 0.1, nesterov: true).validate()
    }
    #expect(throws: ConfigurationError.outOfRange(parameter: "alpha", value: "1.5", allowed: "[0, 1]")) {
      try RMSprop(learningRate: 0.1, alpha: 1.5).validate()
    }
    #expect(throws: ConfigurationError.outOfRange(parameter: "weightDecay", value: "-1.0", allowed: ">= 0")) {
      try AdaGrad(learningRate: 0.1, weightDecay: -1).validate()
    }
    let valid: [any Optimizer] = [
      SGD(learningRate: 0.1, momentum: 0.9, nesterov: true), AdaGrad(learningRate: 0.01),
      RMSprop(learningRate: 0.01, momentum: 0.9, centered: true), Adam(), AdamW(),
    ]
    for optimizer in valid {
      #expect(throws: Never.self) { try optimizer.validate() }
    }
  }
}

/// What a checkpoint stores of its optimizer, and how it is matched on resuming.
@Suite struct OptimizerSettingsTests {
  /// Every optimizer with no setting at its default.
  static let optimizers: [any Optimizer] = [
    SGD(learningRate: 0.05, momentum: 0.9, dampening: 0.1, nesterov: true, weightDecay: 1e-4, exponentialAverage: true),
    Adam(learningRate: 3e-4, beta1: 0.8, beta2: 0.99, epsilon: 1e-7, weightDecay: 0.02, amsgrad: true),
    AdamW(learningRate: 3e-4, beta1: 0.8, beta2: 0.99, epsilon: 1e-7, weightDecay: 0.02, amsgrad: true),
    AdaGrad(learningRate: 0.1, learningRateDecay: 0.01, weightDecay: 0.001, epsilon: 1e-9),
    RMSprop(learningRate: 0.02, alpha: 0.9, epsilon: 1e-6, weightDecay: 0.01, momentum: 0.5, centered: true),
    Lion(learningRate: 3e-5, beta1: 0.85, beta2: 0.98, weightDecay: 0.1),
    Adamax(learningRate: 3e-3, beta1: 0.8, beta2: 0.99, epsilon: 1e-7, weightDecay: 0.02),
  ]

  /// The optimizer's stored properties, counted through nested structs (``AdamW`` keeps an ``Adam``).
  static func storedValues(_ value: Any) -> Int {
    let children = Mirror(reflecting: value).children
    return children.isEmpty ? 1 : children.reduce(0) { $0 + storedValues($1.value) }
  }

  /// A version-1 checkpoint stored `"\(optimizer)"`: read back, it gives the same settings, every
  /// value exactly (Booleans as 1), for every optimizer.
  @Test(arguments: optimizers.indices)
  func descriptionsOfTheFirstFormatReadBackExactly(_ index: Int) throws {
    let optimizer = Self.optimizers[index]
    #expect(OptimizerSettings(description: "\(optimizer)") == optimizer.settings, "\(optimizer)")
    #expect(optimizer.settings.values.count == Self.storedValues(optimizer), "every setting stored")
    #expect(optimizer.settings.mismatch(optimizer.settings, defaults: type(of: optimizer).defaultSettings) == nil)
  }

  /// The slots the trainer allocates are the ones each step names, with and without a cycled momentum.
  @Test(arguments: optimizers.indices)
  func stateSlotsAreTheUpdatesSlots(_ index: Int) {
    let optimizer = Self.optimizers[index]
    for momentum in [nil, 0.5] {
      #expect(
        optimizer.stateSlots(momentum: momentum)
          == optimizer.update(step: 2, learningRate: 0.1, momentum: momentum).states, "\(optimizer)")
    }
  }

  @Test func mismatchesNameTheSetting() {
    let mine = Adam(learningRate: 0.01, weightDecay: 0.1).settings, defaults = Adam.defaultSettings
    var saved = mine
    saved.values["beta2"] = 0.98
    #expect(mine.mismatch(saved, defaults: defaults) == "the checkpoint's Adam beta2 is 0.98, this trainer's is 0.999")
    // A setting the checkpoint predates had its default: equal to it matches, anything else not.
    saved = mine
    saved.values["amsgrad"] = nil
    #expect(mine.mismatch(saved, defaults: defaults) == nil)
    #expect(
      Adam(amsgrad: true).settings.mismatch(saved, defaults: defaults)
        == "the checkpoint's Adam amsgrad is 0.0, this trainer's is 1.0")
    saved = mine
    saved.values["maximize"] = 0
    #expect(
      mine.mismatch(saved, defaults: defaults)
        == "the checkpoint's Adam has a setting maximize this version does not know")
    #expect(
      mine.mismatch(SGD().settings, defaults: defaults) == "the checkpoint's optimizer is SGD, this trainer's is Adam")
    #expect(OptimizerSettings(description: "Adam(learningRate 0.1)") == nil)
    #expect(OptimizerSettings(description: "Adam(learningRate: fast)") == nil)
  }
}
