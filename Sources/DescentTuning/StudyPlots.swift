import Foundation

/// SVG charts of a study, the ones Optuna's `visualization` module draws: the optimization
/// history, a slice plot per parameter, and the intermediate values of every trial.
public enum StudyPlots {
  /// Every finished trial's value by number, and the best so far as a step line.
  public static func history(_ trials: [TrialRecord], direction: Direction) -> String {
    let done = trials.filter { $0.state == .complete && ($0.value?.isFinite ?? false) }
    var best: Double?, bestLine: [(Double, Double)] = []
    for trial in done {
      if best == nil || direction.isBetter(trial.value!, than: best!) { best = trial.value }
      bestLine.append((Double(trial.number), best!))
    }
    let chart = Chart(
      title: "optimization history", xLabel: "trial", yLabel: "objective value",
      xs: trials.map { Double($0.number) }, ys: done.map { $0.value! })
    return chart.svg(width: 640, height: 400) { plot in
      plot.points(done.map { (Double($0.number), $0.value!) }, color: "#1f77b4")
      plot.line(bestLine, color: "#d62728", step: true)
      plot.legend([("objective value", "#1f77b4"), ("best so far", "#d62728")])
    }
  }

  /// One panel per parameter: the objective against the parameter's value (log axis for log
  /// domains; categories spread evenly), colored from early trials (light) to late (dark).
  public static func slice(_ trials: [TrialRecord], space: SearchSpace) -> String {
    let done = trials.filter { $0.state == .complete && ($0.value?.isFinite ?? false) }
    let (panelWidth, height) = (300.0, 300.0)
    var body = ""
    for (index, parameter) in space.parameters.enumerated() {
      var log = false, labels: [ParameterValue] = []
      switch parameter.domain {
      case let .float(_, _, isLog, _), let .int(_, _, isLog, _): log = isLog
      case let .categorical(choices): labels = choices
      }
      let points: [(Double, Double, Int)] = done.compactMap { trial in
        guard let value = trial.parameters[parameter.name] else { return nil }
        let x = labels.isEmpty ? value.number! : Double(labels.firstIndex(of: value) ?? 0)
        return (x, trial.value!, trial.number)
      }
      let chart = Chart(
        title: parameter.name, xLabel: parameter.name, yLabel: index == 0 ? "objective value" : "",
        xs: labels.isEmpty ? points.map(\.0) : [-0.5, Double(labels.count) - 0.5], ys: points.map(\.1),
        logX: log, categories: labels.map(\.description))
      let last = Double(max(1, trials.count - 1))
      body += chart.panel(left: Double(index) * panelWidth, width: panelWidth, height: height) { plot in
        for (x, y, number) in points {
          let shade = Int(200 - 170 * min(max(Double(number) / last, 0), 1))
          plot.points([(x, y)], color: "rgb(\(shade),\(shade),255)")
        }
      }
    }
    let width = Int(panelWidth * Double(max(1, space.parameters.count)))
    return Chart.document(width: width, height: Int(height), body: body)
  }

  /// Each trial's reported values by step; pruned trials end with a cross where they were cut.
  public static func intermediate(_ trials: [TrialRecord]) -> String {
    let curves = trials.filter { !$0.intermediate.isEmpty }
    let steps = curves.flatMap { $0.intermediate.keys.map(Double.init) }
    let values = curves.flatMap { $0.intermediate.values.filter(\.isFinite) }
    let chart = Chart(
      title: "intermediate values", xLabel: "step (epoch)", yLabel: "reported value",
      xs: steps.isEmpty ? [1] : steps, ys: values)
    return chart.svg(width: 640, height: 400) { plot in
      for trial in curves {
        let line = trial.intermediate.keys.sorted().compactMap { step in
          trial.intermediate[step].flatMap { $0.isFinite ? (Double(step), $0) : nil }
        }
        let color =
          switch trial.state {
          case .complete: "#1f77b4"
          case .pruned: "#d62728"
          case .paused: "#ff7f0e"
          default: "#999999"
          }
        plot.line(line, color: color, step: false)
        if trial.stoppedEarly, let end = line.last { plot.cross(end, color: color) }
      }
      plot.legend([
        ("complete", "#1f77b4"), ("pruned (× where cut)", "#d62728"), ("paused (× at its checkpoint)", "#ff7f0e"),
        ("failed or running", "#999999"),
      ])
    }
  }
}

/// Axes with round tick values (1, 2 or 5 × 10ᵏ apart; powers of ten on a log axis) and the
/// SVG drawing around them (the study plots here, `descent train`'s history.svg).
package struct Chart {
  let title: String, xLabel: String, yLabel: String
  let xTicks: [Double], yTicks: [Double]
  let xRange: ClosedRange<Double>, yRange: ClosedRange<Double>
  let logX: Bool
  let categories: [String]
  static let margin = (left: 62.0, right: 16.0, top: 48.0, bottom: 44.0)

  package init(
    title: String, xLabel: String, yLabel: String, xs: [Double], ys: [Double], logX: Bool = false,
    categories: [String] = []
  ) {
    (self.title, self.xLabel, self.yLabel, self.logX, self.categories) = (title, xLabel, yLabel, logX, categories)
    let ySpan = Self.niceRange(ys.filter(\.isFinite))
    (yRange, yTicks) = (ySpan.range, ySpan.ticks)
    if !categories.isEmpty {
      (xRange, xTicks) = (-0.5...Double(categories.count) - 0.5, categories.indices.map(Double.init))
    } else if logX {
      let logs = xs.filter { $0 > 0 }.map(log10)
      let low = (logs.min() ?? 0).rounded(.down), high = max((logs.max() ?? 1).rounded(.up), low + 1)
      (xRange, xTicks) = (low...high, stride(from: low, through: high, by: 1).map { $0 })
    } else {
      let xSpan = Self.niceRange(xs.filter(\.isFinite))
      (xRange, xTicks) = (xSpan.range, xSpan.ticks)
    }
  }

  /// A tick spacing of 1, 2 or 5 × 10ᵏ giving about five ticks, and the range rounded out to it.
  static func niceRange(_ values: [Double]) -> (range: ClosedRange<Double>, ticks: [Double]) {
    var low = values.min() ?? 0, high = values.max() ?? 1
    if high - low < 1e-12 { (low, high) = (low - max(abs(low) * 0.1, 0.5), high + max(abs(high) * 0.1, 0.5)) }
    let rough = (high - low) / 5, magnitude = pow(10, (log10(rough)).rounded(.down))
    let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= rough } ?? 10 * magnitude
    let start = (low / step).rounded(.down) * step, end = (high / step).rounded(.up) * step
    let count = Int(((end - start) / step).rounded())
    return (start...end, (0...count).map { start + Double($0) * step })
  }

  /// A tick's label: no more digits than the spacing needs (0.85, not 0.8500000001).
  static func label(_ value: Double, spacing: Double) -> String {
    let decimals = max(0, Int(-log10(spacing).rounded(.down)))
    return String(format: "%.\(decimals)f", abs(value) < spacing * 1e-6 ? 0 : value)
  }

  package static func document(width: Int, height: Int, body: String) -> String {
    """
    <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)">
    <rect width="100%" height="100%" fill="white"/>
    \(body)</svg>

    """
  }

  func svg(width: Double, height: Double, _ draw: (inout Plot) -> Void) -> String {
    Self.document(width: Int(width), height: Int(height), body: panel(left: 0, width: width, height: height, draw))
  }

  package func panel(left: Double, width: Double, height: Double, _ draw: (inout Plot) -> Void) -> String {
    let m = Self.margin
    let (x0, x1, y0, y1) = (left + m.left, left + width - m.right, height - m.bottom, m.top)
    let mapX: (Double) -> Double = { [xRange, logX] x in
      let v = logX ? log10(max(x, 1e-300)) : x
      return x0 + (v - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound) * (x1 - x0)
    }
    let mapY: (Double) -> Double = { [yRange] y in
      y0 - (y - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound) * (y0 - y1)
    }
    var out = "<g font-family=\"sans-serif\" font-size=\"11\">\n"
    out +=
      "<text x=\"\((x0 + x1) / 2)\" y=\"20\" text-anchor=\"middle\" font-size=\"13\">\(Self.escape(title))</text>\n"
    out += "<rect x=\"\(x0)\" y=\"\(y1)\" width=\"\(x1 - x0)\" height=\"\(y0 - y1)\" fill=\"none\" stroke=\"#999\"/>\n"
    let ySpacing = yTicks.count > 1 ? yTicks[1] - yTicks[0] : 1
    for tick in yTicks {
      out += "<line x1=\"\(x0)\" x2=\"\(x1)\" y1=\"\(mapY(tick))\" y2=\"\(mapY(tick))\" stroke=\"#eee\"/>\n"
      out +=
        "<text x=\"\(x0 - 4)\" y=\"\(mapY(tick) + 4)\" "
        + "text-anchor=\"end\">\(Self.label(tick, spacing: ySpacing))</text>\n"
    }
    let xSpacing = xTicks.count > 1 ? xTicks[1] - xTicks[0] : 1
    for (i, tick) in xTicks.enumerated() {
      let x = categories.isEmpty ? mapX(logX ? pow(10, tick) : tick) : mapX(tick)
      let text = !categories.isEmpty ? categories[i] : logX ? "1e\(Int(tick))" : Self.label(tick, spacing: xSpacing)
      out += "<text x=\"\(x)\" y=\"\(y0 + 15)\" text-anchor=\"middle\">\(Self.escape(text))</text>\n"
    }
    out += "<text x=\"\((x0 + x1) / 2)\" y=\"\(height - 8)\" text-anchor=\"middle\">\(Self.escape(xLabel))</text>\n"
    if !yLabel.isEmpty {
      out +=
        "<text transform=\"translate(\(left + 14) \((y0 + y1) / 2)) rotate(-90)\" "
        + "text-anchor=\"middle\">\(Self.escape(yLabel))</text>\n"
    }
    var plot = Plot(
      x: categories.isEmpty ? mapX : { x0 + ($0 - (-0.5)) / Double(categories.count) * (x1 - x0) }, y: mapY,
      legendX: x1, legendY: y1 - 8)
    draw(&plot)
    return out + plot.body + "</g>\n"
  }

  package static func escape(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(
      of: ">", with: "&gt;")
  }
}

/// Marks drawn inside a chart's axes, and its legend above them.
package struct Plot {
  let x: (Double) -> Double, y: (Double) -> Double
  let legendX: Double, legendY: Double
  var body = ""

  package mutating func points(_ points: [(Double, Double)], color: String) {
    for (px, py) in points { body += "<circle cx=\"\(x(px))\" cy=\"\(y(py))\" r=\"3\" fill=\"\(color)\"/>\n" }
  }

  package mutating func line(_ points: [(Double, Double)], color: String, step: Bool) {
    guard !points.isEmpty else { return }
    var coordinates: [String] = []
    for (index, (px, py)) in points.enumerated() {
      if step, index > 0 { coordinates.append("\(x(px)),\(y(points[index - 1].1))") }
      coordinates.append("\(x(px)),\(y(py))")
    }
    body +=
      "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\" "
      + "points=\"\(coordinates.joined(separator: " "))\"/>\n"
  }

  mutating func cross(_ point: (Double, Double), color: String) {
    let (cx, cy) = (x(point.0), y(point.1))
    body +=
      "<path d=\"M\(cx - 4),\(cy - 4)L\(cx + 4),\(cy + 4)M\(cx - 4),\(cy + 4)L\(cx + 4),\(cy - 4)\" "
      + "stroke=\"\(color)\" stroke-width=\"2\"/>\n"
  }

  /// The entries in a row above the axes' top right corner, off every curve: a color swatch and
  /// a label each, laid out right to left (about 6.5 px per character at 11 px).
  package mutating func legend(_ entries: [(String, String)]) {
    var right = legendX
    for (label, color) in entries.reversed() {
      body += "<text x=\"\(right)\" y=\"\(legendY)\" text-anchor=\"end\">\(Chart.escape(label))</text>\n"
      right -= 6.5 * Double(label.count) + 4
      body += "<rect x=\"\(right - 10)\" y=\"\(legendY - 9)\" width=\"10\" height=\"10\" fill=\"\(color)\"/>\n"
      right -= 24
    }
  }
}
