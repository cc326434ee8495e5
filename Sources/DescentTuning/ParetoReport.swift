import Foundation

/// A study of several objectives: its Pareto front as a table, CSV, JSON and an SVG scatter plot,
/// and the hypervolume after each generation of results.
public struct ParetoReport {
  public let trials: [TrialRecord]
  public let names: [String]
  public let directions: [Direction]
  /// Parameter names in column order.
  public let parameters: [String]
  /// The front (``Pareto/front(_:directions:)``), by number.
  public let front: [TrialRecord]

  public init(trials: [TrialRecord], names: [String], directions: [Direction], parameters: [String]) {
    (self.trials, self.names, self.directions, self.parameters) = (trials, names, directions, parameters)
    front = Pareto.front(trials, directions: directions)
  }

  /// The hypervolume's reference point, in minimized terms (``Pareto/reference(_:objectives:)``
  /// of the complete trials).
  public var reference: [Double] {
    Pareto.reference(trials.compactMap { Pareto.minimized($0, directions) }, objectives: directions.count)
  }

  /// The front's hypervolume (in minimized terms, from ``reference``) after each `generation`
  /// complete trials in the order they finished, and after the last.
  public func hypervolumes(generation: Int) -> [Double] {
    let reference = self.reference
    let done = TrialRecord.inFinishOrder(trials.filter { Pareto.minimized($0, directions) != nil })
    let ends = Array(stride(from: generation, to: done.count, by: generation)) + (done.isEmpty ? [] : [done.count])
    return ends.map { end in
      let feasible = Array(done.prefix(end)).filter(\.isFeasible)
      let points = Pareto.front(feasible, directions: directions).compactMap { Pareto.minimized($0, directions) }
      return Pareto.hypervolume(points, reference: reference)
    }
  }

  /// The front, one row per trial: number, each objective, whether it keeps the constraints,
  /// then each parameter.
  public var table: String {
    let header = ["trial"] + names + ["feasible"] + parameters
    let rows =
      [header]
      + front.map { trial in
        ["\(trial.number)"] + trial.values.map { String(format: "%.6g", $0) } + [trial.isFeasible ? "yes" : "no"]
          + parameters.map { trial.parameters[$0]?.short ?? "-" }
      }
    let widths = header.indices.map { column in rows.map { $0[column].count }.max()! }
    let text = rows.map { row in
      row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
        .trimmingCharacters(in: .whitespaces)
    }
    return "Pareto front (\(front.count) of \(trials.count) trials):\n" + text.joined(separator: "\n") + "\n"
  }

  /// The front's rows: number, each objective, each constraint's value, each parameter.
  public var csv: String {
    let constraints = front.map(\.constraints.count).max() ?? 0
    let header = ["number"] + names + (0..<constraints).map { "constraint_\($0 + 1)" } + parameters
    let rows = front.map { trial in
      ["\(trial.number)"] + trial.values.map { "\($0)" } + trial.constraints.map { "\($0)" }
        + parameters.map { trial.parameters[$0]?.description ?? "" }
    }
    return ([header] + rows).map { $0.map(StudyReport.csvField).joined(separator: ",") }.joined(separator: "\n") + "\n"
  }

  /// The objectives, the front's trials and the hypervolume after each `generation` results.
  public func json(generation: Int) throws -> String {
    struct Export: Encodable {
      let objectives: [String]
      let directions: [Direction]
      let front: [TrialRecord]
      let reference: [Double]
      let hypervolumes: [Double]
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.dateEncodingStrategy = .iso8601
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
      positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    let export = Export(
      objectives: names, directions: directions, front: front, reference: reference,
      hypervolumes: hypervolumes(generation: generation))
    return String(decoding: try encoder.encode(export), as: UTF8.self) + "\n"
  }

  /// The first two objectives of every complete trial (blue; infeasible ones grey) with the front
  /// (red) joined in order of the first objective.
  public var svg: String {
    let done = trials.filter { $0.state == .complete && $0.values.count >= 2 && $0.values.allSatisfy(\.isFinite) }
    let point = { (trial: TrialRecord) in (trial.values[0], trial.values[1]) }
    let chart = Chart(
      title: "Pareto front", xLabel: names[0], yLabel: names[1], xs: done.map { $0.values[0] },
      ys: done.map { $0.values[1] })
    let line = front.filter { $0.values.count >= 2 }.map(point).sorted { $0.0 < $1.0 }
    return chart.svg(width: 640, height: 400) { plot in
      plot.points(done.filter { !$0.isFeasible }.map(point), color: "#bbbbbb")
      plot.points(done.filter(\.isFeasible).map(point), color: "#1f77b4")
      plot.line(line, color: "#d62728", step: false)
      plot.points(line, color: "#d62728")
      plot.legend([("trial", "#1f77b4"), ("infeasible", "#bbbbbb"), ("Pareto front", "#d62728")])
    }
  }
}
