import Descent
import DescentTuning
import Foundation
import Synchronization

/// `descent automl`'s refit (AutoGluon's `refit_full`): the ensemble's members trained again, each
/// with its trial's settings and for as many epochs as the trial trained, on every training row —
/// the validation rows the search held out included — keeping the weights and temperatures the
/// selection gave them on those rows. Members go heaviest first, one per worker, and a refit stops
/// (the member keeps its searched model) when its next epoch would end after the deadline.
struct AutoMLRefit {
  /// The trials behind the ensemble's members, in member order.
  var trials: [TrialRecord]
  /// The space the trials' settings come from: this run's (trials of an earlier run with another
  /// budget, whose space had other epochs, are refitted on this one's schedule).
  var space: TuneSpace
  /// The training rows, raw (each member applies its own preprocessing, as the search did).
  var rows: Dataset
  var image: (width: Int, height: Int)?
  /// Multiply-adds a worker trains per second (``AutoMLSpace/measureWorkerRate()``), for the
  /// estimate by which a member that cannot finish before the deadline is not started.
  var workerRate: Double

  /// The ensemble with every member refitted before `deadline` replaced, and which members were.
  func run(_ ensemble: Ensemble, backends: [any Backend], deadline: Date) throws -> (Ensemble, refitted: [Int]) {
    let order = ensemble.weights.indices.sorted { ensemble.weights[$0] > ensemble.weights[$1] }
    struct Progress {
      var next = 0
      var models: [Int: Sequential] = [:]
      var failure: (any Error)?
    }
    let progress = Mutex(Progress())
    DispatchQueue.concurrentPerform(iterations: backends.count) { worker in
      while true {
        let index: Int? = progress.withLock { state in
          guard state.failure == nil, state.next < order.count else { return nil }
          defer { state.next += 1 }
          return order[state.next]
        }
        guard let index else { return }
        do {
          if let model = try refit(ensemble.members[index], trial: trials[index], backend: backends[worker], deadline) {
            progress.withLock { $0.models[index] = model }
          }
        } catch {
          progress.withLock { $0.failure = $0.failure ?? error }
        }
      }
    }
    let (models, failure) = progress.withLock { ($0.models, $0.failure) }
    if let failure { throw failure }
    let members = ensemble.members.indices.map { models[$0] ?? ensemble.members[$0] }
    return (
      try Ensemble(members: members, weights: ensemble.weights, temperatures: ensemble.temperatures),
      models.keys.sorted()
    )
  }

  /// `member`'s trial trained again on every row on `backend`; nil when it would not finish
  /// before `deadline` by the estimate (3 multiply-adds per weight and row at `workerRate`), or
  /// when an epoch would end after it (as long as the last one took).
  private func refit(
    _ member: Sequential, trial: TrialRecord, backend: any Backend, _ deadline: Date
  ) throws
    -> Sequential?
  {
    let settings = try TrainConfiguration(space.options(trial.parameters))
    let epochs = max(1, trial.lastStep ?? settings.epochs)
    let estimate = 3 * Double(rows.rows) * Double(member.parameterCount) * Double(epochs) / workerRate
    guard Date().addingTimeInterval(estimate) <= deadline else { return nil }
    let model = try settings.makeModel(
      featureCount: rows.featureCount, outputs: member.outputFeatures, backend: backend)
    (model.output, model.preprocessing) = (member.output, member.preprocessing)
    let trainer = try settings.makeTrainer(model: model, hasValidation: false)
    let all = try member.preprocessing.apply(to: rows)
    var augmentation: ImageAugmentation?
    if let augment = settings.augmentation, let image {
      augmentation = try ImageAugmentation(
        width: image.width, height: image.height, maxShift: augment.shift, horizontalFlip: augment.flip,
        noiseDeviation: augment.noise)
    }
    var last = 0.0
    for epoch in 1...epochs {
      guard Date().addingTimeInterval(last) <= deadline else { return nil }
      let started = Date()
      _ = try trainer.fit(
        all, epochs: epoch, batchSize: settings.batchSize, augmentation: augmentation, progress: .silent)
      last = Date().timeIntervalSince(started)
    }
    return model
  }
}
