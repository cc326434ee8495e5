import Descent
import Foundation

/// An SVG chart of a training history: loss (left panel) and accuracy (right panel) per epoch,
/// training and validation, that any browser opens.
enum HistoryPlot {
  static func svg(_ history: History) -> String {
    let epochs = history.epochs
    let panels: [(title: String, series: [(String, String, [Double?])])] = [
      ("loss", [("training", "#1f77b4", epochs.map { $0.loss }), ("validation", "#ff7f0e", epochs.map { $0.validationLoss })]),
      ("accuracy", [("training", "#1f77b4", epochs.map { $0.metrics["accuracy"] }),
                    ("validation", "#ff7f0e", epochs.map { $0.validationMetrics["accuracy"] })]),
    ]
    let (width, height, margin) = (420.0, 300.0, 50.0)
    var body = ""
    for (index, panel) in panels.enumerated() {
      let left = Double(index) * (width + 20)
      let values = panel.series.flatMap { $0.2.compactMap { $0 } }.filter(\.isFinite)
      let low = values.min() ?? 0, high = max(values.max() ?? 1, low + 1e-9)
      let count = max(1, epochs.count - 1)
      func x(_ i: Int) -> Double { left + margin + Double(i) / Double(count) * (width - 2 * margin) }
      func y(_ v: Double) -> Double { height - margin - (v - low) / (high - low) * (height - 2 * margin) }
      body += "<g font-family=\"sans-serif\" font-size=\"12\">\n"
      body += "<text x=\"\(left + width / 2)\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">\(panel.title) per epoch</text>\n"
      body += "<rect x=\"\(left + margin)\" y=\"\(margin)\" width=\"\(width - 2 * margin)\" height=\"\(height - 2 * margin)\" fill=\"none\" stroke=\"#999\"/>\n"
      for tick in 0...4 {
        let value = low + (high - low) * Double(tick) / 4
        body += "<text x=\"\(left + margin - 4)\" y=\"\(y(value) + 4)\" text-anchor=\"end\">\(String(format: "%.3g", value))</text>\n"
      }
      for (i, record) in epochs.enumerated() where epochs.count <= 20 || i % (epochs.count / 10) == 0 {
        body += "<text x=\"\(x(i))\" y=\"\(height - margin + 16)\" text-anchor=\"middle\">\(record.epoch)</text>\n"
      }
      body += "<text x=\"\(left + width / 2)\" y=\"\(height - 10)\" text-anchor=\"middle\">epoch</text>\n"
      for (row, (label, color, series)) in panel.series.enumerated() {
        let points = series.enumerated().compactMap { i, v in v.flatMap { $0.isFinite ? "\(x(i)),\(y($0))" : nil } }
        guard !points.isEmpty else { continue }
        body += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(points.joined(separator: " "))\"/>\n"
        body += "<text x=\"\(left + width - margin - 4)\" y=\"\(margin + 16 + 16 * Double(row))\" text-anchor=\"end\" fill=\"\(color)\">\(label)</text>\n"
      }
      body += "</g>\n"
    }
    return """
      <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(2 * width + 20))" height="\(Int(height))" viewBox="0 0 \(Int(2 * width + 20)) \(Int(height))">
      <rect width="100%" height="100%" fill="white"/>
      \(body)</svg>

      """
  }
}
