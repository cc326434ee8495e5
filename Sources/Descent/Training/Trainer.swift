/// Whether a learning-rate schedule counts epochs or optimizer steps (batches).
public enum ScheduleUnit: String, Sendable, Hashable, Codable {
  /// The rate changes once per epoch, at ``Trainer/endEpoch(monitoredValue:)`` (PyTorch's usual
  /// `scheduler.step()` after each epoch).
  case epoch
  /// The rate changes before every optimizer step (PyTorch's `OneCycleLR` usage, Keras's schedules).
  case batch
}

/// Trains a ``Sequential`` model: one ``trainStep(inputs:targets:rows:)`` runs forward, loss,
/// backward, penalties, clipping and the optimizer update, all queued on the model's backend with no
/// wait for the host. The loss is summed on the device and read only by ``takeAverageLoss()``.
///
/// The learning rate at a step is `schedule(lr₀, t) · plateau`, `t` counting epochs or batches as
/// `scheduleUnit` says and `plateau` the product of the cuts ``ReduceLROnPlateau`` made so far.
public final class Trainer {
  public let model: Sequential
  public let loss: Loss
  public let optimizer: any Optimizer
  public let schedule: LearningRateSchedule
  public let scheduleUnit: ScheduleUnit
  public let clipping: GradientClipping?
  /// Reported per epoch by `fit` and accumulated on the device by every step.
  public let metrics: [Metric]
  public internal(set) var reduceOnPlateau: ReduceLROnPlateau?
  /// Checked by `fit` after every epoch; its state is saved in checkpoints.
  public internal(set) var earlyStopping: EarlyStopping?
  /// Every epoch `fit` has run, including those before a checkpoint was restored.
  public internal(set) var history = History()
  /// Optimizer steps taken so far; the next step is `step + 1`.
  public internal(set) var step = 0
  /// Epochs completed.
  public internal(set) var epoch = 0
  /// The factor ``ReduceLROnPlateau`` has applied so far (1 until it first cuts).
  public internal(set) var plateauFactor = 1.0

  let backend: any Backend
  /// Each parameter's optimizer state buffers, in ``Sequential/parameters`` order: parts of
  /// `allState`'s buffers, laid out as the model's values are.
  let state: [[DeviceBuffer]]
  /// Each state slot's buffer for the whole model, which the one update per step runs on.
  let allState: [DeviceBuffer]
  let workspace: Workspace
  let trainingTotals: RunningTotals
  /// The weights at the best epoch so far, kept when `earlyStopping.restoreBestWeights` is on.
  var bestWeights: [[Float]]?

  /// - Throws: ``ConfigurationError`` for an invalid optimizer, schedule or clipping setting, or a
  ///   model whose output does not fit the loss (binary cross-entropy and MSE need any width,
  ///   softmax cross-entropy at least two classes).
  public init(
    model: Sequential, loss: Loss, optimizer: any Optimizer, schedule: LearningRateSchedule = .constant,
    scheduleUnit: ScheduleUnit = .epoch, clipping: GradientClipping? = nil,
    reduceOnPlateau: ReduceLROnPlateau? = nil, earlyStopping: EarlyStopping? = nil,
    metrics: [Metric] = []
  ) throws {
    try optimizer.validate()
    for metric in metrics {
      if case let .topKAccuracy(k) = metric { try ConfigurationError.require(k >= 1, "top-k accuracy k", k, ">= 1") }
      if metric.needsClassLabels {
        try ConfigurationError.require(
          loss == .softmaxCrossEntropy, "metric \(metric)", loss.rawValue,
          "a cross-entropy model (class-index targets)")
      } else {
        try ConfigurationError.require(
          loss != .softmaxCrossEntropy, "metric \(metric)", loss.rawValue,
          "mse or bce (target vectors)")
      }
    }
    try schedule.validate()
    if schedule.momentum(at: 0) != nil {
      try ConfigurationError.require(
        optimizer.hasMomentum, "optimizer", optimizer,
        "one with a momentum or beta1 (hasMomentum) for a schedule "
          + "that cycles momentum, or the schedule's momentum: nil")
    }
    try clipping?.validate()
    if loss == .softmaxCrossEntropy {
      try ConfigurationError.require(
        model.outputFeatures >= 2, "output width for cross-entropy",
        model.outputFeatures, ">= 2 classes")
    }
    self.model = model
    self.loss = loss
    self.optimizer = optimizer
    self.schedule = schedule
    self.scheduleUnit = scheduleUnit
    self.clipping = clipping
    self.reduceOnPlateau = reduceOnPlateau
    self.earlyStopping = earlyStopping
    self.metrics = metrics
    backend = model.backend
    // A cycled momentum can give momentum to SGD or RMSprop set without: a buffer as in PyTorch.
    let stateCount = optimizer.stateCount(momentum: schedule.momentum(at: 0))
    let slots = try (0..<stateCount).map { _ in try model.backend.allocateParts(model.parameters.map(\.count)) }
    allState = slots.map(\.whole)
    state = model.parameters.indices.map { index in slots.map { $0.parts[index] } }
    workspace = Workspace(backend: backend)
    trainingTotals = try RunningTotals(metrics: metrics, backend: backend)
  }

  /// The learning rate the next step uses.
  public var learningRate: Double {
    let t = scheduleUnit == .epoch ? epoch : step
    return schedule.learningRate(base: Double(optimizer.learningRate), at: t) * plateauFactor
  }

  /// The kernel call the next step makes: the optimizer's at ``learningRate``, with the momentum
  /// or β₁ of a schedule that cycles it (``LearningRateSchedule/momentum(at:)``).
  public var nextUpdate: OptimizerUpdate {
    let momentum = schedule.momentum(at: scheduleUnit == .epoch ? epoch : step)
    return optimizer.update(step: step + 1, learningRate: learningRate, momentum: momentum)
  }

  /// One optimizer step on a batch already on the device: `inputs` is `rows × inputFeatures`,
  /// `targets` as ``Loss/targetCount(rows:outputs:)`` says. Runs ``computeGradients(inputs:targets:rows:)``,
  /// clips the gradients and updates every parameter with the scheduled learning rate. Nothing
  /// waits for the device.
  public func trainStep(inputs: DeviceBuffer, targets: DeviceBuffer, rows: Int) throws {
    try trainStep(inputs: inputs, targets: targets, rows: rows, checkFinite: false)
  }

  /// The step `fit` runs (``step`` counts them). With `checkFinite`, it reads the batch loss back before backward (the
  /// step's one wait) and throws ``TrainingError/nonFiniteLoss(epoch:batch:value:)`` instead of
  /// updating, so the weights stay those of the last good step.
  func trainStep(inputs: DeviceBuffer, targets: DeviceBuffer, rows: Int, checkFinite: Bool, batch: Int = 0) throws {
    let update = nextUpdate
    let (gradient, batchLoss) = try forwardAndLoss(
      inputs: inputs, targets: targets, rows: rows, trainingStep: step,
      totals: trainingTotals)
    if checkFinite {
      let value = Double(try backend.download(batchLoss)[0])
      if !value.isFinite { throw TrainingError.nonFiniteLoss(epoch: epoch + 1, batch: batch, value: value) }
    }
    try backwardAndPenalties(gradient, rows: rows)
    try clipGradients()
    step += 1
    // One op for every parameter: the parts of the whole buffers line up, and the gaps between
    // them are only ever touched by this elementwise update.
    guard model.allValues.count > 0 else { return }  // no parameters
    try backend.update(update, parameter: model.allValues, gradient: model.allGradients, state: allState)
  }

  /// Forward in training mode (dropout drawing from this step's streams), the loss, backward and
  /// the penalties' gradients: afterwards every parameter's `gradient` holds the gradient of the
  /// batch's mean loss plus its penalty, unclipped. Adds the batch's loss to the running total.
  public func computeGradients(inputs: DeviceBuffer, targets: DeviceBuffer, rows: Int) throws {
    let (gradient, _) = try forwardAndLoss(
      inputs: inputs, targets: targets, rows: rows, trainingStep: step,
      totals: trainingTotals)
    try backwardAndPenalties(gradient, rows: rows)
  }

  /// Queues forward (training mode with `trainingStep`, else inference), loss and metrics, adding
  /// the batch to `totals`; returns the output gradient and the batch's mean loss.
  func forwardAndLoss(
    inputs: DeviceBuffer, targets: DeviceBuffer, rows: Int, trainingStep: Int?,
    totals: RunningTotals
  ) throws -> (gradient: DeviceBuffer, batchLoss: DeviceBuffer) {
    let output = try model.forward(inputs, rows: rows, trainingStep: trainingStep)
    let gradient = try workspace.buffer("output gradient", output.count)
    let batchLoss = try workspace.buffer("batch loss", 1)
    try loss.compute(
      predictions: output, targets: targets, rows: rows, outputs: model.outputFeatures,
      workspace: workspace, gradient: gradient, mean: batchLoss, rowTotal: totals.lossSum)
    try totals.addMetrics(
      outputs: output, targets: targets, rows: rows, columns: model.outputFeatures,
      workspace: workspace)
    totals.addRows(rows)
    return (gradient, batchLoss)
  }

  private func backwardAndPenalties(_ gradient: DeviceBuffer, rows: Int) throws {
    try model.backward(gradient, rows: rows)
    try addPenalties(weightedBy: Float(rows))
  }

  /// The mean loss per row over the steps since the last call (penalties included), then resets
  /// the totals. This is the one call in a hand-written training loop that waits for the device.
  public func takeAverageLoss() throws -> Double {
    let loss = try trainingTotals.means().loss
    try trainingTotals.reset()
    return loss
  }

  /// Ends an epoch: advances epoch schedules and, given the monitored value, ``ReduceLROnPlateau``.
  public func endEpoch(monitoredValue: Double? = nil) {
    let before = learningRate
    epoch += 1
    if let value = monitoredValue, var plateau = reduceOnPlateau {
      let after = plateau.step(metric: value, learningRate: before)
      if after != before, before > 0 { plateauFactor *= after / before }
      reduceOnPlateau = plateau
    }
  }

  /// Adds each regularizer's gradient, and `weight ×` its value to the running loss.
  private func addPenalties(weightedBy weight: Float) throws {
    for parameter in model.parameters {
      guard let regularizer = parameter.regularizer else { continue }
      try backend.penaltyGradient(
        l1: regularizer.l1, l2: regularizer.l2, parameter: parameter.value,
        gradient: parameter.gradient)
    }
    try accumulatePenalty(into: trainingTotals.lossSum, weight: weight)
  }

  /// `total += weight·Σ (λ₁·Σ|w| + λ₂·Σw²)` over the regularized parameters, on the device.
  func accumulatePenalty(into total: DeviceBuffer, weight: Float) throws {
    for parameter in model.parameters {
      guard let regularizer = parameter.regularizer else { continue }
      for (op, coefficient) in [(ReduceOp.sumOfAbsolutes, regularizer.l1), (.sumOfSquares, regularizer.l2)]
      where coefficient != 0 {
        try backend.reduce(op, parameter.value, alpha: weight * coefficient, beta: 1, into: total)
      }
    }
  }

  private func clipGradients() throws {
    switch clipping {
    case nil: return
    case let .value(limit):
      for parameter in model.parameters {
        try backend.clip(parameter.gradient, low: -limit, high: limit, into: parameter.gradient)
      }
    case let .globalNorm(maxNorm):
      let total = try workspace.buffer("squared norm", 1)
      for (index, parameter) in model.parameters.enumerated() {
        try backend.reduce(.sumOfSquares, parameter.gradient, alpha: 1, beta: index == 0 ? 0 : 1, into: total)
      }
      for parameter in model.parameters {
        try backend.clipToNorm(parameter.gradient, maxNorm: maxNorm, squaredNorm: total)
      }
    }
  }
}
