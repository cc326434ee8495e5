/// Stops training when a monitored metric has not improved for `patience` epochs, as Keras's
/// `EarlyStopping` does (PyTorch has none).
///
/// A value improves on the best when `v < best − minDelta` (mode min) or `v > best + minDelta`
/// (mode max). Training stops once `patience` epochs in a row bring no improvement. With
/// `restoreBestWeights`, the training loop puts back the weights of ``bestEpoch``.
public struct EarlyStopping: Sendable, Hashable, Codable {
  /// The metric's name in the history, `"validation loss"` by default.
  public var monitor: String
  public var mode: MetricMode
  public var minDelta: Double
  public var patience: Int
  public var restoreBestWeights: Bool

  public private(set) var best: Double?
  /// The epoch (from 0) that produced ``best``.
  public private(set) var bestEpoch: Int?
  public private(set) var epochsWithoutImprovement = 0
  private var epoch = 0

  /// - Throws: ``ConfigurationError/outOfRange(parameter:value:allowed:)`` for a negative
  ///   `minDelta` or a `patience` below 1.
  public init(
    monitor: String = "validation loss", mode: MetricMode = .min, minDelta: Double = 0,
    patience: Int = 5, restoreBestWeights: Bool = false
  ) throws {
    try ConfigurationError.require(minDelta >= 0, "minDelta", minDelta, ">= 0")
    try ConfigurationError.require(patience >= 1, "patience", patience, ">= 1")
    self.monitor = monitor
    self.mode = mode
    self.minDelta = minDelta
    self.patience = patience
    self.restoreBestWeights = restoreBestWeights
  }

  /// What the training loop should do after an epoch.
  public enum Decision: Sendable, Equatable {
    /// Keep training; `improved` says this epoch is the new best (save its weights to restore).
    case proceed(improved: Bool)
    /// Stop now.
    case stop
  }

  /// Records one epoch's value of the monitored metric. A NaN never improves.
  public mutating func observe(_ value: Double) -> Decision {
    defer { epoch += 1 }
    // Before the first value, `best` is the worst possible (±∞), as in Keras.
    let best = best ?? (mode == .min ? .infinity : -.infinity)
    let improved = mode == .min ? value < best - minDelta : value > best + minDelta
    if improved {
      self.best = value
      bestEpoch = epoch
      epochsWithoutImprovement = 0
      return .proceed(improved: true)
    }
    epochsWithoutImprovement += 1
    return epochsWithoutImprovement >= patience ? .stop : .proceed(improved: false)
  }
}

extension EarlyStopping {
  /// These settings with nothing observed yet: equal for two instances with the same settings,
  /// whatever each has observed.
  package var settings: EarlyStopping {
    var copy = self
    (copy.best, copy.bestEpoch, copy.epochsWithoutImprovement, copy.epoch) = (nil, nil, 0, 0)
    return copy
  }

  /// Whether the observed state is one `observe` can reach within `epochs` epochs: counters in
  /// range and a finite best.
  package func hasValidState(epochs: Int) -> Bool {
    (0...epochs).contains(epoch) && (0...epoch).contains(epochsWithoutImprovement)
      && (best.map(\.isFinite) ?? true) && (bestEpoch.map { (0..<epoch).contains($0) } ?? true)
  }
}
