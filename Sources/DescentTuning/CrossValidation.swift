import Descent
import Foundation

/// A training set cut into a training part and a validation part.
public struct Fold: Sendable {
  public var train: Dataset
  public var validation: Dataset

  public init(train: Dataset, validation: Dataset) {
    self.train = train
    self.validation = validation
  }
}

extension Dataset {
  /// The row indices of each of `k` validation folds: a seeded shuffle dealt round-robin, so the
  /// folds partition the rows and their sizes differ by at most one. With `stratified` (class-index
  /// targets), rows are dealt class by class, so each class's count in any two folds differs by at
  /// most one, and so do the folds' sizes (scikit-learn's `StratifiedKFold` keeps the same ratios).
  /// - Throws: ``ConfigurationError`` unless `2 ≤ k ≤ rows`.
  public func foldIndices(_ k: Int, seed: UInt64, stratified: Bool) throws -> [[Int]] {
    try ConfigurationError.require(k >= 2 && k <= rows, "cross-validation folds", k, "2...\(rows) (the number of rows)")
    let order = BatchOrder.permutation(rows, seed: seed, epoch: UInt64.max - 1)
    let dealt: [Int]
    if stratified {
      try ConfigurationError.require(
        targetWidth == 1, "stratified folds", "targets of width \(targetWidth)", "one class index per row")
      var byClass: [Float: [Int]] = [:]
      for row in order { byClass[targets[row], default: []].append(row) }
      dealt = byClass.keys.sorted().flatMap { byClass[$0]! }
    } else {
      dealt = order
    }
    var folds = [[Int]](repeating: [], count: k)
    for (position, row) in dealt.enumerated() { folds[position % k].append(row) }
    return folds.map { $0.sorted() }
  }

  /// The `k` folds of ``foldIndices(_:seed:stratified:)``: each validates on its rows and trains on the rest.
  public func folds(_ k: Int, seed: UInt64, stratified: Bool) throws -> [Fold] {
    let indices = try foldIndices(k, seed: seed, stratified: stratified)
    return indices.enumerated().map { number, validation in
      let held = Set(validation)
      return Fold(
        train: subset((0..<rows).filter { !held.contains($0) }, name: "\(name) (fold \(number + 1) training)"),
        validation: subset(validation, name: "\(name) (fold \(number + 1) validation)"))
    }
  }
}

extension Trial {
  /// Trains one model per fold, **interleaved epoch by epoch**: after epoch `e` of every fold, the
  /// mean of `monitor` (an ``EpochRecord`` value name, e.g. `"validation accuracy"`) over the
  /// folds is reported as step `e`, and the trial is pruned (``TrialPruned``) if the study's
  /// pruner says so. Every value the pruner sees is therefore a mean over all `k` folds after the
  /// same number of epochs, comparable across trials, and a pruned trial stops all its folds at
  /// once; after the last epoch the trial completes. With `stopBefore`, an epoch that would end
  /// after it (as long as the last one took, a promoted trial's before its pause included) is not
  /// started — but the first epoch of a trial started or promoted after it is — : the trial stops
  /// as pruned at the epoch before (a hard end, as `descent automl`'s budget). Returns the mean after the last epoch
  /// and stores each fold's value in ``foldValues``. `makeTrainer(fold)` builds each fold's model
  /// and trainer (on the trial's backend); `augmentation` transforms the training images as
  /// ``Trainer/fit(_:validation:epochs:batchSize:shuffle:augmentation:callbacks:progress:)`` does.
  /// In a study of several objectives, `objectives(trainers)` gives every objective's value after
  /// each epoch, reported as the step's vector (for ``ParetoPruner``) instead of the mean.
  ///
  /// In a study with ``Study/pausing``, a stop (pruner, timeout or `stopBefore`) keeps each fold's
  /// checkpoint with the trial (``checkpointName(fold:)``) and throws ``TrialPaused`` instead; a
  /// promoted trial restores them and continues with the next epoch, exactly as if it had never
  /// stopped. A trial that completes removes its checkpoints.
  public mutating func crossValidate(
    _ folds: [Fold], epochs: Int, batchSize: Int, monitor: String = "validation accuracy",
    augmentation: ImageAugmentation? = nil, stopBefore: Date? = nil,
    objectives: (([Trainer]) throws -> [Double])? = nil, makeTrainer: (Int) throws -> Trainer
  ) throws -> Double {
    try ConfigurationError.require(!folds.isEmpty, "folds", 0, ">= 1")
    try ConfigurationError.require(epochs >= 1, "epochs", epochs, ">= 1")
    let trainers = try folds.indices.map(makeTrainer)
    let first = try restoreCheckpoints(trainers, epochs: epochs) + 1
    var values = [Double](repeating: .nan, count: folds.count)
    // A promoted trial knows its last epoch from the restored histories (a fresh one from its
    // first), so one promoted shortly before the stop does not start an epoch that ends after it;
    // promoted when the stop has passed already, it runs one epoch (progress, as its caller asked).
    var lastEpoch = trainers.reduce(0.0) { $0 + ($1.history.epochs.last?.seconds ?? 0) }
    let resumedBeforeStop = stopBefore.map { lastEpoch > 0 && Date() < $0 } ?? false
    for epoch in first...epochs {
      if let stopBefore, epoch > first || resumedBeforeStop, Date().addingTimeInterval(lastEpoch) > stopBefore {
        try stop(trainers, after: epoch - 1)
      }
      let started = Date()
      for (index, fold) in folds.enumerated() {
        let history = try trainers[index].fit(
          fold.train, validation: fold.validation, epochs: epoch, batchSize: batchSize, augmentation: augmentation,
          progress: .silent)
        guard let last = history.epochs.last, let value = last.value(named: monitor) else {
          throw ConfigurationError.outOfRange(
            parameter: "monitor", value: monitor,
            allowed: "a value each epoch reports, e.g. validation accuracy or validation loss")
        }
        values[index] = value
      }
      foldValues = values
      lastEpoch = Date().timeIntervalSince(started)
      let mean = values.reduce(0, +) / Double(values.count)
      if let objectives { try report(try objectives(trainers), step: epoch) } else { try report(mean, step: epoch) }
      // After the last epoch the work is done: the trial completes, whatever a pruner would say.
      if epoch < epochs, try shouldPrune { try stop(trainers, after: epoch) }
    }
    for name in folds.indices.map(Self.checkpointName) + [Self.pausedStepName] { try discard(name) }
    return values.reduce(0, +) / Double(values.count)
  }

  /// How the names of the artifacts a PAUSED trial holds to continue begin
  /// (``Study/prunePaused(keeping:)`` deletes them).
  public static let checkpointPrefix = "checkpoint."
  /// The artifact holding fold `fold`'s checkpoint while a trial is PAUSED.
  public static func checkpointName(fold: Int) -> String { checkpointPrefix + "\(fold)" }
  /// The artifact holding the step a PAUSED trial's checkpoints hold (decimal text), by which a
  /// promoted trial lost mid-run is paused there again.
  public static let pausedStepName = checkpointPrefix + "step"

  /// Ends the trial after `step`: PAUSED with each fold's checkpoint kept, or PRUNED.
  private func stop(_ trainers: [Trainer], after step: Int) throws -> Never {
    guard pausing else { throw TrialPruned(step: step) }
    for (index, trainer) in trainers.enumerated() {
      let name = Self.checkpointName(fold: index)
      try keep(try trainer.checkpointBytes(name: "trial \(number)'s \(name)"), as: name)
    }
    try keep(Array("\(step)".utf8), as: Self.pausedStepName)
    throw TrialPaused(step: step)
  }

  /// For a promoted trial, loads each fold's checkpoint and returns the step they hold (0 for a
  /// trial that starts afresh).
  /// - Throws: ``DataError`` naming the trial and fold when a checkpoint is missing or holds
  ///   another epoch, or when it is past `epochs`.
  private func restoreCheckpoints(_ trainers: [Trainer], epochs: Int) throws -> Int {
    guard let step = resumedStep else { return 0 }
    guard step < epochs else {
      throw DataError.inconsistent("trial \(number) was paused after step \(step), past its \(epochs) epochs")
    }
    for (index, trainer) in trainers.enumerated() {
      let name = Self.checkpointName(fold: index)
      guard let bytes = try kept(name) else {
        throw DataError.inconsistent(
          "trial \(number) was paused after step \(step), but the study holds no \(name) for fold \(index + 1)")
      }
      try trainer.restoreCheckpoint(bytes: bytes, name: "trial \(number)'s \(name)")
      guard trainer.epoch == step else {
        throw DataError.inconsistent(
          "trial \(number)'s \(name) holds epoch \(trainer.epoch), but the trial was paused after step \(step)")
      }
    }
    return step
  }
}
