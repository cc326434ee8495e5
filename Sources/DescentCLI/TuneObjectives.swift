import Descent
import DescentTuning
import Foundation

/// What `descent tune --objectives` optimizes and `--constraints` bounds: a trial's measurements
/// after its last epoch, each with the direction it is optimized in.
enum TuneMetric: String, CaseIterable, Sendable {
  /// Validation accuracy, the mean over folds (maximized).
  case accuracy
  /// Validation loss after the last epoch, the mean over folds.
  case loss
  /// The model's weights and biases.
  case parameters
  /// Milliseconds for one row through `predict` on the trial's backend: the median of 50 calls
  /// after 5 warm-ups (measured while other workers train, so with several it is noisier).
  case latency
  /// The model file's bytes (safetensors, as `descent train` writes it).
  case sizeBytes = "size-bytes"

  var direction: Direction { self == .accuracy ? .maximize : .minimize }

  /// `accuracy,parameters` as metrics, or what was expected.
  static func parse(_ names: [String]) -> [TuneMetric]? {
    let metrics = names.map { TuneMetric(rawValue: $0) }
    guard !metrics.isEmpty, metrics.allSatisfy({ $0 != nil }), Set(names).count == names.count else { return nil }
    return metrics.map { $0! }
  }

  static let expected = "distinct names from " + allCases.map(\.rawValue).joined(separator: ", ")

  /// The metrics in `wanted` for a trial whose folds trained `models` with `trainers`, scoring
  /// `accuracy`; `row` is one validation row for the latency.
  static func measure(
    _ wanted: Set<TuneMetric>, accuracy: Double, models: [Sequential], trainers: [Trainer], row: [Float]
  ) throws -> [TuneMetric: Double] {
    var measured: [TuneMetric: Double] = [.accuracy: accuracy]
    guard let model = models.first else { return measured }
    if wanted.contains(.loss) {
      let losses = trainers.compactMap { $0.history.epochs.last?.value(named: "validation loss") }
      measured[.loss] = losses.isEmpty ? .nan : losses.reduce(0, +) / Double(losses.count)
    }
    if wanted.contains(.parameters) { measured[.parameters] = Double(model.parameterCount) }
    if wanted.contains(.sizeBytes) { measured[.sizeBytes] = Double(try model.encoded().count) }
    if wanted.contains(.latency) {
      for _ in 0..<5 { _ = try model.predict(row, rows: 1) }
      let times = try (0..<50).map { _ in
        let start = DispatchTime.now().uptimeNanoseconds
        _ = try model.predict(row, rows: 1)
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
      }.sorted()
      measured[.latency] = (times[24] + times[25]) / 2
    }
    return measured
  }
}

/// A bound on a metric (`parameters<=200000`, `accuracy>=0.85`); its value is how far a trial is
/// past it (≤ 0: within).
struct TuneConstraint: Sendable, CustomStringConvertible {
  let metric: TuneMetric
  let atMost: Bool
  let bound: Double

  /// `METRIC<=NUMBER` or `METRIC>=NUMBER`, else nil.
  init?(_ text: String) {
    for (symbol, atMost) in [("<=", true), (">=", false)] {
      guard let range = text.range(of: symbol) else { continue }
      guard let metric = TuneMetric(rawValue: String(text[..<range.lowerBound])),
        let bound = Double(text[range.upperBound...]), bound.isFinite
      else { return nil }
      (self.metric, self.atMost, self.bound) = (metric, atMost, bound)
      return
    }
    return nil
  }

  static let expected =
    "METRIC<=NUMBER or METRIC>=NUMBER, METRIC one of "
    + TuneMetric.allCases.map(\.rawValue).joined(separator: ", ")

  var description: String { "\(metric.rawValue)\(atMost ? "<=" : ">=")" + String(format: "%g", bound) }

  func value(_ measured: [TuneMetric: Double]) -> Double {
    let value = measured[metric] ?? .nan
    return atMost ? value - bound : bound - value
  }
}
