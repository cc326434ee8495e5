/// Whether a smaller or a larger monitored value is better.
public enum MetricMode: String, Sendable, Hashable, Codable {
  case min, max
}

/// Cuts the learning rate when a monitored metric stops improving, as
/// `torch.optim.lr_scheduler.ReduceLROnPlateau` does.
///
/// A value is an improvement when it beats the best so far by the threshold: relative,
/// `v < best·(1 − threshold)` (mode min) or `v > best·(1 + threshold)` (mode max); absolute,
/// `v < best − threshold` or `v > best + threshold`. After more than `patience` epochs in a row
/// without improvement the rate becomes `max(lr·factor, minimum)` (unless that changes it by less
/// than `epsilon`), and the next `cooldown` epochs count no bad epochs.
///
/// PyTorch cuts after `patience + 1` bad epochs (`num_bad_epochs > patience`); Keras cuts after
/// `patience` (`wait >= patience`). This follows PyTorch: for Keras's behaviour pass `patience − 1`.
public struct ReduceLROnPlateau: Sendable, Hashable, Codable {
  public var mode: MetricMode
  public var factor: Double
  public var patience: Int
  public var threshold: Double
  /// `true` for a relative threshold (PyTorch's default `threshold_mode="rel"`), `false` for absolute.
  public var relativeThreshold: Bool
  public var cooldown: Int
  public var minimum: Double
  public var epsilon: Double

  /// The best value seen; `nil` before the first.
  public private(set) var best: Double?
  public private(set) var badEpochs = 0
  public private(set) var cooldownLeft = 0

  /// PyTorch's defaults: mode min, factor 0.1, patience 10, relative threshold 1e-4, no cooldown.
  /// - Throws: ``ConfigurationError/outOfRange(parameter:value:allowed:)`` for a factor outside
  ///   (0, 1), a negative patience, threshold, cooldown or minimum.
  public init(
    mode: MetricMode = .min, factor: Double = 0.1, patience: Int = 10, threshold: Double = 1e-4,
    relativeThreshold: Bool = true, cooldown: Int = 0, minimum: Double = 0,
    epsilon: Double = 1e-8
  ) throws {
    try ConfigurationError.require(factor > 0 && factor < 1, "factor", factor, "(0, 1)")
    try ConfigurationError.require(patience >= 0, "patience", patience, ">= 0")
    try ConfigurationError.require(threshold >= 0, "threshold", threshold, ">= 0")
    try ConfigurationError.require(cooldown >= 0, "cooldown", cooldown, ">= 0")
    try ConfigurationError.require(minimum >= 0, "minimum learning rate", minimum, ">= 0")
    self.mode = mode
    self.factor = factor
    self.patience = patience
    self.threshold = threshold
    self.relativeThreshold = relativeThreshold
    self.cooldown = cooldown
    self.minimum = minimum
    self.epsilon = epsilon
  }

  /// Records one epoch's metric and returns the learning rate to use next.
  public mutating func step(metric: Double, learningRate: Double) -> Double {
    if isImprovement(metric) {
      best = metric
      badEpochs = 0
    } else {
      badEpochs += 1
    }
    if cooldownLeft > 0 {
      cooldownLeft -= 1
      badEpochs = 0
    }
    guard badEpochs > patience else { return learningRate }
    cooldownLeft = cooldown
    badEpochs = 0
    let reduced = max(learningRate * factor, minimum)
    return learningRate - reduced > epsilon ? reduced : learningRate
  }

  /// Before the first value, `best` is the worst possible (±∞), as in PyTorch.
  private func isImprovement(_ value: Double) -> Bool {
    let best = best ?? (mode == .min ? .infinity : -.infinity)
    switch (mode, relativeThreshold) {
    case (.min, true): return value < best * (1 - threshold)
    case (.min, false): return value < best - threshold
    case (.max, true): return value > best * (1 + threshold)
    case (.max, false): return value > best + threshold
    }
  }
}

extension ReduceLROnPlateau {
  /// These settings with nothing observed yet: equal for two instances with the same settings,
  /// whatever each has observed.
  package var settings: ReduceLROnPlateau {
    var copy = self
    (copy.best, copy.badEpochs, copy.cooldownLeft) = (nil, 0, 0)
    return copy
  }

  /// Whether the observed state is one stepping can reach within `epochs` epochs.
  package func hasValidState(epochs: Int) -> Bool {
    (0...epochs).contains(badEpochs) && (0...cooldown).contains(cooldownLeft) && (best.map(\.isFinite) ?? true)
  }
}
