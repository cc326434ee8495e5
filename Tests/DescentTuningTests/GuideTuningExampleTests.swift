import DescentTuning
import Foundation
import TestSupport
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
    let code = try DocumentedCode(
      "docs/GUIDE.md", before: "This code runs as a test\n(`Tests/DescentTuningTests/",
      skipping: { $0.hasPrefix("import ") || $0.contains("SQLiteStorage(path:") || $0.hasPrefix("print(") })
    let missing = try code.firstLineMissing(from: #filePath)
    #expect(missing == nil, "the guide's line is not in the test (in this order): \(missing ?? "")")
  }
}
