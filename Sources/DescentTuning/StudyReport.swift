import Foundation

/// A study's trials as a ranked table, CSV and JSON.
public struct StudyReport {
  public let trials: [TrialRecord]
  public let direction: Direction
  /// Parameter names in column order.
  public let parameters: [String]

  public init(trials: [TrialRecord], direction: Direction, parameters: [String]? = nil) {
    self.trials = trials
    self.direction = direction
    self.parameters = parameters ?? Set(trials.flatMap(\.parameters.keys)).sorted()
  }

  /// COMPLETE trials best first (ties by number), then PAUSED, PRUNED, FAILED, RUNNING
  /// and WAITING ones by number.
  public var ranked: [TrialRecord] {
    let complete = trials.filter { $0.state == .complete && $0.value != nil }
      .sorted { direction.isBetter($0.value!, than: $1.value!) || ($0.value == $1.value && $0.number < $1.number) }
    return complete
      + [TrialState.paused, .pruned, .failed, .running, .waiting].flatMap { state in
        trials.filter { $0.state == state }
      }
  }

  /// The best trial (nil until one is COMPLETE).
  public var best: TrialRecord? { Study.best(trials, direction) }

  /// Up to `limit` ranked rows, aligned: rank, trial, state, value (± fold deviation), device,
  /// seconds, then each parameter.
  public func table(limit: Int = 20) -> String {
    let header = ["rank", "trial", "state", "value", "±folds", "device", "seconds"] + parameters
    var rows = [header]
    for (rank, trial) in ranked.prefix(limit).enumerated() {
      rows.append(
        [
          trial.state == .complete ? "\(rank + 1)" : "-", "\(trial.number)", trial.state.rawValue,
          trial.value.map { String(format: "%.4f", $0) } ?? "-",
          trial.foldStandardDeviation.map { String(format: "%.4f", $0) } ?? "-", trial.device,
          trial.seconds.map { String(format: "%.1f", $0) } ?? "-",
        ]
          + parameters.map { trial.parameters[$0]?.short ?? "-" })
    }
    let widths = header.indices.map { column in rows.map { $0[column].count }.max()! }
    var text =
      rows.map { row in
        row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
          .trimmingCharacters(in: .whitespaces)
      }.joined(separator: "\n") + "\n"
    if ranked.count > limit { text += "(\(ranked.count - limit) more)\n" }
    let counts = TrialState.allCases.map { state in
      "\(trials.filter { $0.state == state }.count) \(state.rawValue.lowercased())"
    }
    return text + "\(trials.count) trials: \(counts.joined(separator: ", "))\n"
  }

  /// One row per trial by number: number, state, value, fold mean's deviation, fold values
  /// (`;`-separated), device, start, seconds, each parameter, the error.
  public var csv: String {
    let header =
      ["number", "state", "value", "fold_std", "fold_values", "device", "started", "seconds"] + parameters + ["error"]
    let formatter = ISO8601DateFormatter()
    let rows = trials.map { trial in
      [
        "\(trial.number)", trial.state.rawValue, trial.value.map { "\($0)" } ?? "",
        trial.foldStandardDeviation.map { "\($0)" } ?? "",
        trial.foldValues.map { "\($0)" }.joined(separator: ";"), trial.device, formatter.string(from: trial.started),
        trial.seconds.map { String(format: "%.3f", $0) } ?? "",
      ]
        + parameters.map { trial.parameters[$0]?.description ?? "" } + [trial.error ?? ""]
    }
    return ([header] + rows).map { $0.map(Self.csvField).joined(separator: ",") }.joined(separator: "\n") + "\n"
  }

  static func csvField(_ text: String) -> String {
    text.contains(where: { ",\"\n\r".contains($0) }) ? "\"\(text.replacingOccurrences(of: "\"", with: "\"\""))\"" : text
  }

  /// Every trial with every field (NaN as the string "nan").
  public func json() throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.dateEncodingStrategy = .iso8601
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
      positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    struct Export: Encodable {
      let direction: Direction
      let best: Int?
      let trials: [TrialRecord]
    }
    return String(
      decoding: try encoder.encode(Export(direction: direction, best: best?.number, trials: trials)), as: UTF8.self)
      + "\n"
  }
}
