import DescentTuning
import Foundation
import Testing

/// The README's tuning example, as written there but for the store's path (a temporary folder;
/// changing the working directory would move every other test's relative paths).
struct ReadmeTuningTests {
  @Test func theReadmeExampleFindsTheMinimum() throws {
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
}
