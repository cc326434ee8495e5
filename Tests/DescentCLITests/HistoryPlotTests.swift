@testable import Descent
@testable import DescentCLI
import Foundation
import Testing

/// history.svg: round tick values, and a legend above the plot area where no curve can run.
struct HistoryPlotTests {
  static func history(regression: Bool = false) -> History {
    History(
      epochs: (1...7).map { epoch in
        let loss = 2.3 / Double(epoch) + 0.013
        let metric = regression ? ["mse": loss / 3, "mae": loss / 2] : ["accuracy": 0.61 + 0.037 * Double(epoch)]
        return EpochRecord(
          epoch: epoch, loss: loss, metrics: metric, validationLoss: loss * 1.1,
          validationMetrics: metric.mapValues { $0 * 0.97 }, learningRate: 1e-3, seconds: 1)
      })
  }

  /// The numbers drawn as text, by the y coordinate they sit at.
  static func texts(_ svg: String) -> [(y: Double, text: String)] {
    svg.split(separator: "\n").compactMap { line in
      guard line.hasPrefix("<text x="), let yStart = line.range(of: "y=\""), let close = line.range(of: "\">"),
        let end = line.range(of: "</text>")
      else { return nil }
      let y = Double(line[yStart.upperBound...].prefix { $0 != "\"" })!
      return (y, String(line[close.upperBound..<end.lowerBound]))
    }
  }

  @Test func ticksAreRoundAndTheLegendSitsAboveTheCurves() throws {
    let svg = HistoryPlot.svg(Self.history())
    let numbers = Self.texts(svg).compactMap { Double($0.text) }
    // Every tick label is a multiple of its 1, 2 or 5 × 10ᵏ spacing: at most 2 decimals here.
    let labels = Self.texts(svg).map(\.text).filter { Double($0) != nil }
    #expect(labels.allSatisfy { !$0.contains(".") || $0.split(separator: ".")[1].count <= 2 }, "\(labels)")
    #expect(numbers.contains(0.5) && numbers.contains(1.0), "loss ticks 0.5 apart: \(labels)")
    // The plot area's top edge is y = 48 (Chart's margin): the legend must sit above it.
    for entry in Self.texts(svg) where ["training", "validation"].contains(entry.text) {
      #expect(entry.y < 48, "legend entry \(entry.text) at y = \(entry.y) is inside the plot")
    }
    #expect(svg.contains("accuracy per epoch") && svg.contains("loss per epoch"))
  }

  /// The curves read back from the SVG as values, through each panel's own y tick labels: panel
  /// (0 left, 1 right) → series color → (epoch, value) points.
  static func curves(_ svg: String, panelWidth: Double = 440) -> [Int: [String: [(Double, Double)]]] {
    var ticks: [Int: [(y: Double, value: Double)]] = [:]
    var lines: [Int: [String: [(Double, Double)]]] = [:]
    func attribute(_ name: String, _ line: Substring) -> String? {
      guard let start = line.range(of: " \(name)=\"") else { return nil }
      return String(line[start.upperBound...].prefix { $0 != "\"" })
    }
    for line in svg.split(separator: "\n") {
      if line.hasPrefix("<text x="), line.contains("text-anchor=\"end\""),
        let x = attribute("x", line).flatMap(Double.init),
        let y = attribute("y", line).flatMap(Double.init), let close = line.range(of: "\">"),
        let value = Double(line[close.upperBound...].prefix { $0 != "<" })
      {
        ticks[Int(x / panelWidth), default: []].append((y - 4, value))  // labels sit 4 px below their tick
      }
      if line.hasPrefix("<polyline"), let color = attribute("stroke", line), let points = attribute("points", line) {
        let xy = points.split(separator: " ").map { $0.split(separator: ",").map { Double($0)! } }
        lines[Int(xy[0][0] / panelWidth), default: [:]][color] = xy.map { ($0[0], $0[1]) }
      }
    }
    return lines.mapValues { series in
      series.mapValues { points in
        // y = a·value + b from the first and last tick of the panel the points are in.
        let panel = ticks[Int(points[0].0 / panelWidth)]!, (low, high) = (panel.first!, panel.last!)
        let slope = (high.y - low.y) / (high.value - low.value)
        return points.enumerated().map { (Double($0.offset + 1), low.value + ($0.element.1 - low.y) / slope) }
      }
    }
  }

  /// Both panels draw their own series: the loss left, the metric right (accuracy; for regression
  /// the first metric by name, MAE), training in blue and validation in orange, at every epoch —
  /// read back through the axes to 1e-9. Fails for a panel drawing the wrong series or the other
  /// panel's, for swapped colors, and for a scale that does not match the tick labels.
  @Test(arguments: [false, true])
  func eachPanelDrawsItsSeriesOnItsAxes(regression: Bool) throws {
    let history = Self.history(regression: regression)
    let svg = HistoryPlot.svg(history)
    let metric = regression ? "mae" : "accuracy"
    #expect(svg.contains("loss per epoch") && svg.contains("\(metric) per epoch"))
    let curves = Self.curves(svg)
    let expected: [(panel: Int, color: String, values: [Double])] = [
      (0, "#1f77b4", history.epochs.map(\.loss)), (0, "#ff7f0e", history.epochs.map { $0.validationLoss! }),
      (1, "#1f77b4", history.epochs.map { $0.metrics[metric]! }),
      (1, "#ff7f0e", history.epochs.map { $0.validationMetrics[metric]! }),
    ]
    for (panel, color, values) in expected {
      let drawn = try #require(curves[panel]?[color], "panel \(panel) has no \(color) curve")
      #expect(drawn.count == values.count, "panel \(panel) \(color): \(drawn.count) points")
      for ((epoch, got), want) in zip(drawn, values) {
        #expect(
          abs(got - want) <= 1e-9 * max(1, abs(want)), "panel \(panel) \(color) epoch \(epoch): \(got) vs \(want)")
      }
    }
  }
}
