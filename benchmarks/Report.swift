import Foundation

/// Prints the table and writes the JSON file.
struct Report: Codable {
  var header: [String: String]
  var probes: [String: [String: Double]]
  var rows: [Row]

  func printTable() {
    for key in header.keys.sorted() { print("\(key): \(header[key]!)") }
    for (backend, values) in probes.sorted(by: { $0.key < $1.key }) {
      print(
        "probe \(backend): "
          + String(
            format: "peak %.1f GFLOP/s, triad bandwidth %.1f GB/s",
            (values["flops"] ?? 0) / 1e9, (values["bandwidth"] ?? 0) / 1e9))
    }
    let columns = ["group", "case", "backend", "median", "best", "unit", "% peak", "note"]
    var lines = [columns]
    for row in rows {
      lines.append([
        row.group, row.name, Self.shortName(row.backend), Self.format(row.value), Self.format(row.best), row.unit,
        row.percentOfPeak.map { String(format: "%.0f%%", $0) } ?? "", row.note,
      ])
    }
    let widths = columns.indices.map { column in lines.map { $0[column].count }.max() ?? 0 }
    for (index, line) in lines.enumerated() {
      print(
        line.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
          .joined(separator: "  "))
      if index == 0 { print(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")) }
    }
  }

  /// `opencl:<platform>:<device>` as `opencl:<device>` (and `clblast:…` alike), cut to 28
  /// characters, for the table.
  static func shortName(_ backend: String) -> String {
    let parts = backend.split(separator: ":")
    guard parts.count >= 3, ["opencl", "clblast"].contains(parts[0]) else { return backend }
    return String("\(parts[0]):\(parts.last!)".prefix(28))
  }

  static func format(_ value: Double) -> String {
    value >= 100
      ? String(format: "%.0f", value) : value >= 10 ? String(format: "%.1f", value) : String(format: "%.3g", value)
  }

  func write(to path: String) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
  }
}
