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

  @Test func regressionHistoriesPlotTheirMetric() {
    #expect(HistoryPlot.svg(Self.history(regression: true)).contains("mae per epoch"))
  }
}
