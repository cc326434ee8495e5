import Descent
import DescentTuning
import Foundation
import TestSupport
import Testing

/// Caruana's ensemble selection on cases worked by hand, and on random libraries of models: the
/// kept ensemble is never worse on the validation rows than the best single model, its weights are
/// the picks, and the same inputs give the same ensemble.
struct EnsembleSelectionTests {
  /// Two rows (true classes 0 and 1). A alone: (−ln 0.9 − ln 0.4)/2 = 0.51083, the best single
  /// model; A + B: (−ln 0.625 − ln 0.65)/2 = 0.45039 (with float32 inputs: 0.450393); A + B + A:
  /// 0.45056, worse, so the third pick is dropped.
  static let library: [[Float]] = [[0.9, 0.1, 0.6, 0.4], [0.35, 0.65, 0.1, 0.9], [0.5, 0.5, 0.5, 0.5]]

  @Test func picksByHand() throws {
    let result = try EnsembleSelection(picks: 3).select(predictions: Self.library, targets: [0, 1], width: 2)
    #expect(result.order == [0, 1] && result.weights == [0.5, 0.5, 0])
    #expect(result.losses.count == 2)
    #expect(abs(result.losses[0] - 0.510826) < 1e-6 && abs(result.losses[1] - 0.450393) < 1e-6, "\(result.losses)")
    #expect(abs(result.singleLosses[1] - 0.577591) < 1e-6 && abs(result.singleLosses[2] - log(2)) < 1e-9)
    let one = try EnsembleSelection(picks: 1).select(predictions: Self.library, targets: [0, 1], width: 2)
    #expect(one.order == [0] && one.weights == [1, 0, 0])
    // Regression: A predicts 0 and B 2 for a target of 1; each alone has MSE 1, together 0.
    let values = try EnsembleSelection(loss: .meanSquaredError).select(predictions: [[0], [2]], targets: [1], width: 1)
    #expect(values.order == [0, 1] && values.weights == [0.5, 0.5] && values.losses == [1, 0])
    // Equal models: the lower index, every time, at the first pick and at a later one.
    let twins = try EnsembleSelection(picks: 5, loss: .errorRate).select(
      predictions: [Self.library[0], Self.library[0]], targets: [0, 1], width: 2)
    #expect(twins.order == [0] && twins.weights == [1, 0])
    let later = try EnsembleSelection(picks: 2).select(
      predictions: [Self.library[0], Self.library[1], Self.library[1]], targets: [0, 1], width: 2)
    #expect(later.order == [0, 1] && later.weights == [0.5, 0.5, 0])
  }

  /// Random libraries: the ensemble's validation loss, recomputed here from its weights, is the
  /// last loss kept, no worse than the best single model's, and the smallest of the trajectory.
  @Test func neverWorseThanTheBestSingleModel() throws {
    var random = Mutator(seed: 0xCA7A)
    for loss in [EnsembleSelection.Loss.crossEntropy, .errorRate, .meanSquaredError] {
      for _ in 0..<30 {
        let (models, rows, width) = (1 + random.below(8), 1 + random.below(40), 2 + random.below(4))
        let targets: [Float] =
          loss == .meanSquaredError
          ? (0..<rows * width).map { _ in Float(random.below(100)) / 10 }
          : (0..<rows).map { _ in Float(random.below(width)) }
        let predictions: [[Float]] = (0..<models).map { _ in
          (0..<rows).flatMap { _ -> [Float] in
            let raw = (0..<width).map { _ in Float(1 + random.below(1000)) }
            return loss == .meanSquaredError ? raw.map { $0 / 100 } : raw.map { $0 / raw.reduce(0, +) }
          }
        }
        let result = try EnsembleSelection(picks: 10, loss: loss).select(
          predictions: predictions, targets: targets, width: width)
        #expect(abs(result.weights.reduce(0, +) - 1) < 1e-12)
        #expect(result.losses.last! <= result.singleLosses.min()! && result.losses.last! == result.losses.min()!)
        let average = (0..<rows * width).map { i in
          zip(result.weights, predictions).reduce(0.0) { $0 + $1.0 * Double($1.1[i]) }
        }
        let recomputed: Double
        switch loss {
        case .crossEntropy:
          recomputed =
            (0..<rows).reduce(0.0) { $0 - log(max(average[$1 * width + Int(targets[$1])], 1e-15)) }
            / Double(rows)
        case .errorRate:
          recomputed =
            Double(
              (0..<rows).count { row in
                let slice = average[(row * width)..<((row + 1) * width)]
                return slice.firstIndex(of: slice.max()!)! - row * width != Int(targets[row])
              }) / Double(rows)
        case .meanSquaredError:
          recomputed =
            zip(average, targets).reduce(0.0) { $0 + ($1.0 - Double($1.1)) * ($1.0 - Double($1.1)) }
            / Double(average.count)
        }
        #expect(abs(recomputed - result.losses.last!) < 1e-9, "\(loss): \(recomputed) vs \(result.losses)")
        let again = try EnsembleSelection(picks: 10, loss: loss).select(
          predictions: predictions, targets: targets, width: width)
        #expect(again == result)
      }
    }
  }

  @Test func refusesWhatCannotBeScored() throws {
    let selection = try EnsembleSelection()
    #expect(throws: ConfigurationError.outOfRange(parameter: "picks", value: "0", allowed: ">= 1")) {
      try EnsembleSelection(picks: 0)
    }
    #expect(throws: DataError.inconsistent("ensemble selection: no models to choose from")) {
      try selection.select(predictions: [], targets: [0], width: 2)
    }
    #expect(throws: DataError.inconsistent("ensemble selection: model 1 has 3 predictions, expected 2 rows × 2")) {
      try selection.select(predictions: [[0.5, 0.5, 0.5, 0.5], [1, 0, 1]], targets: [0, 1], width: 2)
    }
    #expect(throws: DataError.inconsistent("ensemble selection: model 0's prediction 2 is nan")) {
      try selection.select(predictions: [[0.5, 0.5, .nan, 0.5]], targets: [0, 1], width: 2)
    }
    #expect(
      throws: DataError.invalidTarget(
        source: "ensemble selection", row: 1, value: 2, allowed: "a class index below 2")
    ) {
      try selection.select(predictions: [[0.5, 0.5, 0.5, 0.5]], targets: [0, 2], width: 2)
    }
  }
}
