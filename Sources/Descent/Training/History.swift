import Foundation

/// What one epoch of ``Trainer/fit(_:validation:epochs:batchSize:shuffle:augmentation:callbacks:progress:)`` measured.
public struct EpochRecord: Sendable, Hashable, Codable {
  /// Counting from 1.
  public var epoch: Int
  /// The mean training loss per row (penalties included), with dropout on, as Keras reports it.
  public var loss: Double
  /// Training metrics by name, over the epoch's training-mode outputs.
  public var metrics: [String: Double]
  public var validationLoss: Double?
  public var validationMetrics: [String: Double]
  /// The learning rate the epoch's last step used.
  public var learningRate: Double
  /// Wall-clock seconds for the epoch's training steps and validation.
  public var seconds: Double

  /// The value `EarlyStopping(monitor:)` names: `"loss"`, `"validation loss"`, a metric
  /// (`"accuracy"`) or a validation metric (`"validation accuracy"`).
  public func value(named name: String) -> Double? {
    switch name {
    case "loss": loss
    case "validation loss": validationLoss
    default:
      name.hasPrefix("validation ") ? validationMetrics[String(name.dropFirst("validation ".count))] : metrics[name]
    }
  }
}

/// Every epoch's record, as CSV or JSON.
public struct History: Sendable, Hashable, Codable {
  public var epochs: [EpochRecord] = []

  public init(epochs: [EpochRecord] = []) {
    self.epochs = epochs
  }

  /// One header line, then a line per epoch: epoch, loss, metrics, validation loss and metrics,
  /// learning rate, seconds. Missing values are empty fields.
  public var csv: String {
    let names = Array(Set(epochs.flatMap { $0.metrics.keys })).sorted()
    let validationNames = Array(Set(epochs.flatMap { $0.validationMetrics.keys })).sorted()
    var lines = [
      (["epoch", "loss"] + names + ["validation loss"] + validationNames.map { "validation \($0)" }
        + ["learning rate", "seconds"]).joined(separator: ",")
    ]
    func field(_ value: Double?) -> String { value.map { "\($0)" } ?? "" }
    for record in epochs {
      var fields = ["\(record.epoch)", field(record.loss)] + names.map { field(record.metrics[$0]) }
      fields += [field(record.validationLoss)] + validationNames.map { field(record.validationMetrics[$0]) }
      fields += [field(record.learningRate), String(format: "%.3f", record.seconds)]
      lines.append(fields.joined(separator: ","))
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// Pretty-printed JSON of ``epochs``; NaN and infinities as the strings "NaN", "Infinity",
  /// "-Infinity".
  public func json() throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    // JSON has no NaN or infinity: they are written as the strings Python's json module and
    // JavaScript print for them, so a diverged run's history is still written.
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
      positiveInfinity: "Infinity",
      negativeInfinity: "-Infinity", nan: "NaN")
    return String(decoding: try encoder.encode(self), as: UTF8.self)
  }
}
