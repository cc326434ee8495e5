import Descent
import DescentTuning
import Foundation

/// An SVG chart of a training history that any browser opens: the loss (left panel) and a metric
/// (accuracy, else the first by name: MAE for regression; right panel) per epoch, training and
/// validation, on axes with round tick values and a legend above the curves.
enum HistoryPlot {
  static func svg(_ history: History) -> String {
    let epochs = history.epochs
    let metric =
      epochs.first?.metrics.keys.sorted().first { $0 == "accuracy" } ?? epochs.first?.metrics.keys.sorted().first
    let series: [(title: String, training: [Double?], validation: [Double?])] =
      [
        ("loss", epochs.map { $0.loss }, epochs.map { $0.validationLoss })
      ]
      + (metric.map { name in [(name, epochs.map { $0.metrics[name] }, epochs.map { $0.validationMetrics[name] })] }
        ?? [])
    let (width, height) = (440.0, 320.0)
    var body = ""
    for (index, panel) in series.enumerated() {
      let numbers = epochs.map { Double($0.epoch) }
      let values = (panel.training + panel.validation).compactMap { $0 }.filter(\.isFinite)
      let chart = Chart(
        title: "\(panel.title) per epoch", xLabel: "epoch", yLabel: panel.title, xs: numbers, ys: values)
      body += chart.panel(left: Double(index) * width, width: width, height: height) { plot in
        var legend: [(String, String)] = []
        for (label, color, points) in [
          ("training", "#1f77b4", panel.training), ("validation", "#ff7f0e", panel.validation),
        ] {
          let finite = zip(numbers, points).compactMap { x, y in y.flatMap { $0.isFinite ? (x, $0) : nil } }
          guard !finite.isEmpty else { continue }
          plot.line(finite, color: color, step: false)
          if finite.count == 1 { plot.points(finite, color: color) }
          legend.append((label, color))
        }
        plot.legend(legend)
      }
    }
    return Chart.document(width: Int(width) * series.count, height: Int(height), body: body)
  }
}
