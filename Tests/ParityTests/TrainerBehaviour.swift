import Descent
import Testing

/// What the trainer does between backward and the update, on every backend: clipping.
@Suite struct TrainerBehaviour {
  static let backends: [any Backend] = [TestBackends.cpu] + TestBackends.openCLSuites

  /// With SGD at learning rate 1, a step moves each parameter by −(clipped gradient), so the
  /// clipped gradients can be read off the parameters and compared with the raw ones.
  static func clippedStep(
    _ clipping: GradientClipping, on backend: any Backend
  ) throws -> (raw: [[Double]], applied: [[Double]]) {
    func model() throws -> Sequential {
      try Sequential(inputFeatures: 3, backend: backend, seed: 11) {
        try Dense(5, activation: .tanh)
        try Dense(2)
      }
    }
    let inputs = Inputs.uniform(12, seed: 3, in: -2...2), targets = Inputs.uniform(8, seed: 4, in: -3...3)
    let probe = try model()
    let raw = try Trainer(model: probe, loss: .meanSquaredError, optimizer: SGD(learningRate: 1))
    try raw.computeGradients(inputs: try backend.buffer(inputs), targets: try backend.buffer(targets), rows: 4)
    let gradients = try probe.parameters.map { try backend.download($0.gradient).doubles }

    let trained = try model()
    let before = try trained.weights()
    let trainer = try Trainer(
      model: trained, loss: .meanSquaredError, optimizer: SGD(learningRate: 1), clipping: clipping)
    try trainer.trainStep(inputs: try backend.buffer(inputs), targets: try backend.buffer(targets), rows: 4)
    let after = try trained.weights()
    let applied = zip(before, after).map { zip($0, $1).map { Double($0) - Double($1) } }
    return (gradients, applied)
  }

  @Test(arguments: [Float(0.5), 1e6])
  func globalNormClipping(_ maxNorm: Float) throws {
    for backend in Self.backends {
      let (raw, applied) = try Self.clippedStep(.globalNorm(maxNorm), on: backend)
      let norm = raw.flatMap { $0 }.reduce(0) { $0 + $1 * $1 }.squareRoot()
      let factor = min(1, Double(maxNorm) / (norm + 1e-6))
      // θ − g·f is one rounding of θ (|θ| < 2 here) plus the factor's few ulp: 1e-6 absolute.
      for (g, step) in zip(raw.flatMap { $0 }, applied.flatMap { $0 }) {
        #expect(
          abs(step - g * factor) <= 1e-6,
          "\(backend.name): max norm \(maxNorm), norm \(norm): step \(step), expected \(g * factor)")
      }
    }
  }

  @Test func valueClipping() throws {
    for backend in Self.backends {
      let (raw, applied) = try Self.clippedStep(.value(0.2), on: backend)
      #expect(raw.flatMap { $0 }.contains { abs($0) > 0.2 }, "the case must clip something")
      for (g, step) in zip(raw.flatMap { $0 }, applied.flatMap { $0 }) {
        #expect(abs(step - min(max(g, -0.2), 0.2)) <= 1e-6, "\(backend.name): step \(step) for gradient \(g)")
      }
    }
  }
}
