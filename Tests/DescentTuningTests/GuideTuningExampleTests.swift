import DescentTuning
import Foundation
import Testing

/// docs/GUIDE.md's tuning example, as written there but for the store's path (a temporary folder;
/// changing the working directory would move every other test's relative paths).
struct GuideTuningExampleTests {
  @Test func theGuidesExampleFindsTheMinimum() throws {
    let folder = try TestStudies.folder()
    let study = try Study(
      storage: try SQLiteStorage(path: folder + "/study.sqlite"), direction: .minimize,
      sampler: TPESampler(seed: 1), pruner: try MedianPruner())
    try study.optimize(trials: 40) { trial, _ in
      let x = try trial.suggestFloat("x", -10, 10)
      let kind = try trial.suggestCategorical("kind", ["square", "abs"])
      let scale = kind == "square" ? try trial.suggestFloat("scale", 0.1, 10, log: true) : 1
      return kind == "square" ? scale * (x - 2) * (x - 2) : abs(x - 2) + 1
    }
    let best = try study.bestTrial()!
    #expect(best.parameters["kind"] == .string("square"))
    #expect(abs(best.parameters["x"]!.number! - 2) < 1, "\(best.parameters)")
  }

  /// The guide's block is this file's code: each of its lines, in order (indentation aside), but
  /// the imports, the store's path and the closing print.
  @Test func theGuideShowsThisCode() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    let guide = try String(contentsOf: root.appendingPathComponent("docs/GUIDE.md"), encoding: .utf8)
    let marker = try #require(guide.range(of: "This code runs as a test\n(`Tests/DescentTuningTests/"))
    let before = guide[..<marker.lowerBound]
    let start = try #require(before.range(of: "```swift\n", options: .backwards)).upperBound
    let block = before[start...]
    let code = block[..<(try #require(block.range(of: "```"))).lowerBound]
    let mine = try String(contentsOfFile: #filePath, encoding: .utf8).split(separator: "\n")
      .map { $0.trimmingCharacters(in: .whitespaces) }
    var position = mine.startIndex
    for line in code.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) })
    where !line.hasPrefix("import ") && !line.contains("SQLiteStorage(path:") && !line.hasPrefix("print(") {
      guard let found = mine[position...].firstIndex(of: line) else {
        Issue.record("the guide's line is not in the test (in this order): \(line)")
        return
      }
      position = found + 1
    }
  }
}
