/// A quality measure reported per epoch next to the loss, computed on the device batch by batch.
public enum Metric: Sendable, Hashable, Codable, CustomStringConvertible {
  /// The fraction of rows whose label has the highest logit (ties with the label count as hits).
  case accuracy
  /// The fraction of rows whose label is among the `k` highest logits.
  case topKAccuracy(Int)
  /// `mean((p − t)²)` over every output.
  case meanSquaredError
  /// `mean(|p − t|)` over every output.
  case meanAbsoluteError

  /// The name used in histories, progress lines and `EarlyStopping(monitor:)`: `"accuracy"`,
  /// `"top-5 accuracy"`, `"mse"`, `"mae"`.
  public var description: String {
    switch self {
    case .accuracy: "accuracy"
    case let .topKAccuracy(k): "top-\(k) accuracy"
    case .meanSquaredError: "mse"
    case .meanAbsoluteError: "mae"
    }
  }

  /// Whether the metric reads class-index targets (the accuracies) or target vectors.
  var needsClassLabels: Bool {
    switch self {
    case .accuracy, .topKAccuracy: true
    case .meanSquaredError, .meanAbsoluteError: false
    }
  }

  /// Queues the batch's sum into `total[0] += Σ` and returns the number of terms it holds.
  func accumulate(
    outputs: DeviceBuffer, targets: DeviceBuffer, rows: Int, columns: Int, workspace: Workspace,
    into total: DeviceBuffer
  ) throws -> Int {
    let backend = workspace.backend
    let terms: Int
    switch self {
    case .accuracy, .topKAccuracy:
      let k = if case let .topKAccuracy(k) = self { k } else { 1 }
      try backend.topKHits(
        logits: outputs, labels: targets, rows: rows, classes: columns, k: k, alpha: 1, beta: 1, into: total)
      terms = rows
    case .meanSquaredError, .meanAbsoluteError:
      let (values, unused) = (
        try workspace.buffer("metric values", outputs.count),
        try workspace.buffer("metric gradient", outputs.count)
      )
      try backend.pointwiseLoss(
        self == .meanSquaredError ? .squaredError : .absoluteError, predictions: outputs,
        targets: targets, gradientScale: 0, losses: values, gradient: unused)
      try backend.reduce(.sum, values, alpha: 1, beta: 1, into: total)
      terms = outputs.count
    }
    return terms
  }
}

/// Running sums of the loss and metrics on the device, read once per epoch (or per progress update).
final class RunningTotals {
  let metrics: [Metric]
  private let backend: any Backend
  /// `[loss·rows, metric sums…]`, one device scalar each.
  private let sums: [DeviceBuffer]
  private(set) var rows = 0
  private var metricTerms: [Int]

  init(metrics: [Metric], backend: any Backend) throws {
    self.metrics = metrics
    self.backend = backend
    sums = try (0...metrics.count).map { _ in
      let buffer = try backend.allocate(1)
      try backend.fill(buffer, with: 0)
      return buffer
    }
    metricTerms = Array(repeating: 0, count: metrics.count)
  }

  var lossSum: DeviceBuffer { sums[0] }

  func addMetrics(outputs: DeviceBuffer, targets: DeviceBuffer, rows: Int, columns: Int, workspace: Workspace) throws {
    for (index, metric) in metrics.enumerated() {
      metricTerms[index] += try metric.accumulate(
        outputs: outputs, targets: targets, rows: rows, columns: columns,
        workspace: workspace, into: sums[index + 1])
    }
  }

  func addRows(_ count: Int) { rows += count }

  /// The mean loss per row and each metric's mean (waits for the device), without resetting.
  func means() throws -> (loss: Double, metrics: [String: Double]) {
    guard rows > 0 else { return (.nan, [:]) }
    let values = try sums.map { Double(try backend.download($0)[0]) }
    var metrics: [String: Double] = [:]
    for (index, metric) in self.metrics.enumerated() {
      metrics[metric.description] = values[index + 1] / Double(max(1, metricTerms[index]))
    }
    return (values[0] / Double(rows), metrics)
  }

  func reset() throws {
    for sum in sums { try backend.fill(sum, with: 0) }
    rows = 0
    metricTerms = Array(repeating: 0, count: metrics.count)
  }
}
