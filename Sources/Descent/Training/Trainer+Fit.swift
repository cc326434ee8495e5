import Foundation

/// Training stopped because something went wrong with the numbers, not the code.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
  /// The loss of `batch` (from 1) in `epoch` (from 1) was NaN or infinite; the weights are those
  /// after the previous batch.
  case nonFiniteLoss(epoch: Int, batch: Int, value: Double)
  /// Every batch's data loss was finite, but `epoch`'s mean loss with the weight penalties added
  /// is `value`: the penalties overflow. The weights are those at the end of that epoch.
  case nonFinitePenalty(epoch: Int, value: Double)
  /// At the end of `epoch` the tensor `tensor` (weights or optimizer state) held a NaN or
  /// infinite value although every loss was finite (a ReLU hides a NaN bias); the checkpoint at
  /// `checkpoint` was not overwritten and keeps the previous epoch.
  case nonFiniteCheckpoint(epoch: Int, tensor: String, checkpoint: String)
  /// Training finished but what it produced is not a result: `what` (the final weights, a test
  /// loss) is NaN or infinite.
  case nonFiniteResult(what: String)

  public var description: String {
    switch self {
    case let .nonFinitePenalty(epoch, value):
      "the loss with weight penalties became \(value) at epoch \(epoch) while every batch's data loss was finite: the "
        + "penalties overflow float arithmetic; lower them"
    case let .nonFiniteCheckpoint(epoch, tensor, checkpoint):
      "tensor \(tensor) is NaN or infinite at the end of epoch \(epoch) with every loss finite; "
        + "\(checkpoint) keeps the previous epoch's checkpoint (lower the learning rate, or check the data)"
    case let .nonFiniteResult(what):
      "\(what) is not finite (NaN or infinite): the run produced no usable model"
    case let .nonFiniteLoss(epoch, batch, value):
      "the loss became \(value) at epoch \(epoch), batch \(batch); training stopped with the weights of the previous "
        + "batch (lower the learning rate, clip gradients, or check the data)"
    }
  }
}

/// Something `fit` does at the end of every epoch.
public enum Callback: Sendable {
  /// Saves a checkpoint to `path` (atomically) after every epoch, so a killed run can resume.
  case checkpoint(path: String)
  /// Calls `body` with the epoch's record; returning `false` stops training.
  case onEpochEnd(@Sendable (EpochRecord) throws -> Bool)
}

extension Trainer {
  /// Trains until ``epoch`` reaches `epochs` (a restored trainer continues where it stopped),
  /// visiting `train` in batches of `batchSize` rows (the last batch keeps the remainder), shuffled
  /// per epoch from the model's seed. Each epoch's record (loss, metrics, validation loss and
  /// metrics, learning rate, seconds) is appended to ``history`` and printed as `progress` says.
  /// ``ReduceLROnPlateau`` and ``EarlyStopping`` watch the validation loss when there is
  /// validation data, else the training loss (EarlyStopping: the value its `monitor` names).
  ///
  /// - Throws: ``DataError/nonFinite(source:row:column:value:)`` for NaN or infinite inputs before
  ///   the first step; ``TrainingError/nonFiniteLoss(epoch:batch:value:)`` when the loss stops being
  ///   finite (the weights are those of the last good step); shape errors for data that does not
  ///   fit the model.
  @discardableResult
  public func fit(
    _ train: Dataset, validation: Dataset? = nil, epochs: Int, batchSize: Int = 32,
    shuffle: Bool = true, augmentation: ImageAugmentation? = nil, callbacks: [Callback] = [],
    progress: ProgressStyle = .automatic
  ) throws -> History {
    try ConfigurationError.require(epochs >= 0, "epochs", epochs, ">= 0")
    try ConfigurationError.require(batchSize >= 1, "batchSize", batchSize, ">= 1")
    try validate(train)
    if let validation { try validate(validation) }
    if let augmentation {
      try ConfigurationError.require(
        augmentation.width * augmentation.height == train.featureCount,
        "augmentation image size", "\(augmentation.width)x\(augmentation.height)",
        "width × height = \(train.featureCount) features")
    }
    if let monitor = earlyStopping?.monitor {
      let reported = ["loss"] + metrics.map(\.description)
      let available = reported + (validation == nil ? [] : reported.map { "validation \($0)" })
      try ConfigurationError.require(
        available.contains(monitor), "EarlyStopping monitor", monitor,
        "one of \(available.joined(separator: ", "))\(validation == nil ? " (no validation data given)" : "")")
    }
    // A batch larger than the data is all of it (and keeps the batch arithmetic in range).
    let batchSize = min(batchSize, max(1, train.rows))
    let batches = (train.rows + batchSize - 1) / batchSize
    let printer = ProgressPrinter(style: progress, epochs: epochs, batches: batches)
    var inputs = [Float]()  // reused for augmented batches
    while epoch < epochs {
      printer.startEpoch()
      let started = Date()
      try trainingTotals.reset()
      let order =
        shuffle
        ? BatchOrder.permutation(train.rows, seed: model.seed, epoch: UInt64(epoch))
        : Array(0..<train.rows)
      var samples = 0
      var lastRate = learningRate
      for batch in 0..<batches {
        let rows = Array(order[batch * batchSize..<min((batch + 1) * batchSize, train.rows)])
        let transform = augmentation.map { augmentation in
          { [seed = model.seed, epoch = self.epoch] (features: inout [Float]) in
            augmentation.transform(&features, samples: rows, seed: seed, epoch: epoch)
          }
        }
        let (inputBuffer, targetBuffer) = try uploadBatch(train, rows, features: &inputs, transform: transform)
        if let augmentation, augmentation.noiseDeviation > 0 {
          let noise = try workspace.buffer("fit noise", inputBuffer.count)
          try backend.fillRandom(
            noise, .normal(mean: 0, standardDeviation: augmentation.noiseDeviation),
            key: RandomKey(seed: model.seed, stream: 0x5A << 56 | UInt64(step)))
          try backend.add(noise, inputBuffer, into: inputBuffer)
        }
        lastRate = learningRate
        try trainStep(
          inputs: inputBuffer, targets: targetBuffer, rows: rows.count, checkFinite: true,
          batch: batch + 1)
        samples += rows.count
        if printer.wantsUpdate {
          printer.update(epoch: epoch + 1, batch: batch + 1, samples: samples, loss: try trainingTotals.means().loss)
        }
      }
      let (loss, metrics) = try trainingTotals.means()
      guard loss.isFinite else { throw TrainingError.nonFinitePenalty(epoch: epoch + 1, value: loss) }
      let evaluation = try validation.map { try evaluate($0, batchSize: max(batchSize, 256)) }
      let record = EpochRecord(
        epoch: epoch + 1, loss: loss, metrics: metrics, validationLoss: evaluation?.loss,
        validationMetrics: evaluation?.metrics ?? [:], learningRate: lastRate,
        seconds: Date().timeIntervalSince(started))
      history.epochs.append(record)
      endEpoch(monitoredValue: evaluation?.loss ?? loss)
      printer.finish(record)
      var stop = try observeEarlyStopping(record, printer: printer)
      for callback in callbacks {
        switch callback {
        case let .checkpoint(path): try saveCheckpoint(to: path)
        case let .onEpochEnd(body): if try !body(record) { stop = true }
        }
      }
      if stop { break }
    }
    return history
  }

  /// The mean loss (penalties included) and metrics of the model on `data`, in inference mode.
  public func evaluate(_ data: Dataset, batchSize: Int = 256) throws -> (loss: Double, metrics: [String: Double]) {
    try ConfigurationError.require(batchSize >= 1, "batchSize", batchSize, ">= 1")
    try validate(data)
    let totals = try RunningTotals(metrics: metrics, backend: backend)
    var inputs = [Float]()
    for start in stride(from: 0, to: data.rows, by: batchSize) {
      let rows = Array(start..<min(start + batchSize, data.rows))
      let (inputBuffer, targetBuffer) = try uploadBatch(data, rows, features: &inputs)
      _ = try forwardAndLoss(
        inputs: inputBuffer, targets: targetBuffer, rows: rows.count, trainingStep: nil,
        totals: totals)
      try accumulatePenalty(into: totals.lossSum, weight: Float(rows.count))
    }
    return try totals.means()
  }

  /// The model's outputs for every row of `data` (`rows × outputFeatures`), in inference mode.
  public func predict(_ data: Dataset, batchSize: Int = 256) throws -> [Float] {
    try model.predict(data.features, rows: data.rows, batchSize: batchSize)
  }

  /// Feeds the record to ``earlyStopping``; keeps the best weights and restores them on a stop.
  private func observeEarlyStopping(_ record: EpochRecord, printer: ProgressPrinter) throws -> Bool {
    guard var stopping = earlyStopping else { return false }
    let value = record.value(named: stopping.monitor) ?? .nan  // fit checked the name before training
    let decision = stopping.observe(value)
    earlyStopping = stopping
    if case .proceed(improved: true) = decision, stopping.restoreBestWeights { bestWeights = try model.weights() }
    guard decision == .stop else { return false }
    if stopping.restoreBestWeights, let bestWeights {
      try model.setWeights(bestWeights)
      printer.note(
        "early stopping after epoch \(record.epoch): restored the weights of epoch \((stopping.bestEpoch ?? 0) + 1)")
    } else {
      printer.note("early stopping after epoch \(record.epoch)")
    }
    return true
  }

  /// Throws unless `data` can be trained or evaluated on: rows present, the model's feature
  /// count, the loss's target width, finite values, and targets the loss accepts (class indices
  /// for cross-entropy, probabilities for binary cross-entropy). `fit` and `evaluate` call it;
  /// call it for a test set before training to fail early.
  public func validate(_ data: Dataset) throws {
    guard data.rows > 0 else { throw DataError.empty(source: data.name) }
    guard data.featureCount == model.inputFeatures else {
      throw ModelError.shapeMismatch(
        "\(data.name) has \(data.featureCount) features, the model takes \(model.inputFeatures)")
    }
    let width = loss == .softmaxCrossEntropy ? 1 : model.outputFeatures
    guard data.targetWidth == width else {
      throw ModelError.shapeMismatch(
        "\(data.name) has targets of width \(data.targetWidth), the \(loss.rawValue) loss needs \(width)")
    }
    try data.checkFinite()
    switch loss {
    case .softmaxCrossEntropy: try data.checkClassLabels(classes: model.outputFeatures)
    case .binaryCrossEntropy: try data.checkProbabilities()
    case .meanSquaredError: break
    }
  }

  /// Uploads `rows` of `data` into reused device buffers. Features that `transform` changes
  /// (augmentation) are gathered into the reused host array `features` first; otherwise the
  /// backend gathers them itself (``Backend/uploadRows(_:of:width:to:)``).
  private func uploadBatch(
    _ data: Dataset, _ rows: [Int], features: inout [Float],
    transform: ((inout [Float]) -> Void)? = nil
  ) throws -> (DeviceBuffer, DeviceBuffer) {
    let (inputBuffer, targetBuffer) = (
      try workspace.buffer("batch inputs", rows.count * data.featureCount),
      try workspace.buffer("batch targets", rows.count * data.targetWidth)
    )
    if let transform {
      features.removeAll(keepingCapacity: true)
      features.appendRows(rows, of: data.features, width: data.featureCount)
      transform(&features)
      try backend.upload(features, to: inputBuffer)
    } else {
      try backend.uploadRows(rows, of: data.features, width: data.featureCount, to: inputBuffer)
    }
    try backend.uploadRows(rows, of: data.targets, width: data.targetWidth, to: targetBuffer)
    return (inputBuffer, targetBuffer)
  }
}
