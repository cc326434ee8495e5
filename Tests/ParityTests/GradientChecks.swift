import Descent
import Testing

/// Finite-difference gradient checks of every layer, activation, loss and penalty, on every
/// backend: the backend's analytic gradients (``Trainer/computeGradients(inputs:targets:rows:)``)
/// against central differences of a float64 twin of the model (``ReferenceModel``).
@Suite struct GradientChecks {
  struct Case: Sendable, CustomTestStringConvertible {
    let name: String
    let stages: [ReferenceModel.Stage]
    let loss: Loss
    var testDescription: String { name }
  }

  static let cases: [Case] = {
    var cases: [Case] = Activation.allCases.map { f in
      Case(
        name: "Dense(6, \(f)) → Dense(3), mse",
        stages: [
          .dense(units: 6, activation: f, bias: true, regularizer: nil),
          .dense(units: 3, activation: nil, bias: true, regularizer: nil),
        ],
        loss: .meanSquaredError)
    }
    cases += Activation.allCases.map { f in
      Case(
        name: "Dense(6) → \(f) → Dense(3), cross-entropy",
        stages: [
          .dense(units: 6, activation: nil, bias: true, regularizer: nil), .activation(f),
          .dense(units: 3, activation: nil, bias: true, regularizer: nil),
        ],
        loss: .softmaxCrossEntropy)
    }
    cases += Loss.allCases.map { loss in
      Case(
        name: "Dense(6, tanh) → Dense(3), \(loss.rawValue)",
        stages: [
          .dense(units: 6, activation: .tanh, bias: true, regularizer: nil),
          .dense(units: 3, activation: nil, bias: true, regularizer: nil),
        ], loss: loss)
    }
    cases.append(
      Case(
        name: "Dense(6, tanh) → Dense(3) → softmax, mse",
        stages: [
          .dense(units: 6, activation: .tanh, bias: true, regularizer: nil),
          .dense(units: 3, activation: nil, bias: true, regularizer: nil), .softmax,
        ],
        loss: .meanSquaredError))
    cases.append(
      Case(
        name: "Dense(6, relu) → Dropout(0.3) → Dense(3), cross-entropy",
        stages: [
          .dense(units: 6, activation: .relu, bias: true, regularizer: nil), .dropout(rate: 0.3),
          .dense(units: 3, activation: nil, bias: true, regularizer: nil),
        ],
        loss: .softmaxCrossEntropy))
    cases.append(
      Case(
        name: "Dense(6, sigmoid, no bias) → Dense(3, no bias), mse",
        stages: [
          .dense(units: 6, activation: .sigmoid, bias: false, regularizer: nil),
          .dense(units: 3, activation: nil, bias: false, regularizer: nil),
        ],
        loss: .meanSquaredError))
    for regularizer in [Regularizer.l1(0.05), .l2(0.1), .elasticNet(l1: 0.02, l2: 0.07)] {
      cases.append(
        Case(
          name: "Dense(6, gelu, \(regularizer)) → Dense(3, \(regularizer)), bce",
          stages: [
            .dense(units: 6, activation: .gelu, bias: true, regularizer: regularizer),
            .dense(units: 3, activation: nil, bias: true, regularizer: regularizer),
          ],
          loss: .binaryCrossEntropy))
    }
    return cases
  }()

  @Test(arguments: cases)
  func cpu(_ check: Case) throws {
    try Self.run(check, on: TestBackends.cpu)
  }

  @Test(
    .enabled(if: !TestBackends.openCL.isEmpty, "OpenCL skipped: \(TestBackends.openCLUnavailableReason)"),
    arguments: cases)
  func openCL(_ check: Case) throws {
    for backend in TestBackends.openCLSuites { try Self.run(check, on: backend) }
  }

  static let rows = 5, inputFeatures = 4

  static func run(_ check: Case, on backend: any Backend) throws {
    let reference = ReferenceModel(stages: check.stages, inputFeatures: inputFeatures, loss: check.loss, seed: 7)
    let model = try Sequential(try reference.layers(), inputFeatures: inputFeatures, backend: backend, seed: 7)
    let trainer = try Trainer(model: model, loss: check.loss, optimizer: SGD(learningRate: 0))
    let inputs = Inputs.uniform(rows * inputFeatures, seed: 31, in: -1.5...1.5)
    let targets: [Float] =
      switch check.loss {
      case .meanSquaredError: Inputs.uniform(rows * model.outputFeatures, seed: 32)
      case .binaryCrossEntropy: Inputs.uniform(rows * model.outputFeatures, seed: 33, in: 0...1)
      case .softmaxCrossEntropy: (0..<rows).map { Float($0 % model.outputFeatures) }
      }
    try trainer.computeGradients(inputs: try backend.buffer(inputs), targets: try backend.buffer(targets), rows: rows)
    let loss = try trainer.takeAverageLoss()
    let parameters = try model.parameters.map { try backend.download($0.value).doubles }
    let gradients = try model.parameters.map { try backend.download($0.gradient).doubles }

    func referenceLoss(_ parameters: [[Double]]) -> Double {
      reference.loss(parameters: parameters, inputs: inputs.doubles, targets: targets.doubles, rows: rows)
    }
    let expectedLoss = referenceLoss(parameters)
    // The loss is a sum of ≤ 20 terms, each from dot products of ≤ 6 terms and ≤ 16-ulp
    // transcendentals: far below 1e-5 relative in float32.
    #expect(
      abs(loss - expectedLoss) <= 1e-5 * (abs(expectedLoss) + 1),
      "\(check.name) on \(backend.name): loss \(loss), float64 reference \(expectedLoss)")

    // Central differences with h = 1e-5 in float64: truncation h²·|f‴| and rounding 1e-16/h are
    // both below 1e-9, so the numerical gradient is exact to the digits compared here.
    let h = 1e-5
    var numerical = parameters.map { [Double](repeating: 0, count: $0.count) }
    for tensor in parameters.indices {
      for i in parameters[tensor].indices {
        var plus = parameters, minus = parameters
        plus[tensor][i] += h
        minus[tensor][i] -= h
        numerical[tensor][i] = (referenceLoss(plus) - referenceLoss(minus)) / (2 * h)
      }
    }
    // The analytic gradients are float32 chains of ≤ 3 layers of dot products over ≤ 6 terms and
    // 16-ulp transcendentals (≲ 100u ≈ 6e-6 of the magnitudes involved). Each tensor is held to
    // 1e-4 of its own largest gradient, room for cancellation while a wrong factor or missing term
    // errs by O(|g|) even in a tensor whose gradients are small, plus 1e-6 of the model's largest
    // (the magnitudes flowing through a tensor with near-zero gradients).
    let largest = numerical.flatMap { $0 }.map(abs).max() ?? 1
    for (tensor, parameter) in model.parameters.enumerated() {
      let worst = zip(gradients[tensor], numerical[tensor]).map { abs($0 - $1) }.max() ?? 0
      let scale = (numerical[tensor].map(abs).max() ?? 0) + 1e-2 * largest
      #expect(
        worst <= 1e-4 * scale,
        """
        \(check.name) on \(backend.name): \(parameter.name) \(parameter.shape) gradient differs from \
        finite differences by \(worst) (bound \(1e-4 * scale)); analytic \(gradients[tensor].prefix(4)), \
        numerical \(numerical[tensor].prefix(4))
        """)
    }
  }
}
