import Descent
import Foundation

/// Caruana et al.'s ensemble selection ("Ensemble Selection from Libraries of Models", ICML 2004),
/// as AutoGluon's `WeightedEnsemble` and auto-sklearn run it: from the models' predictions on the
/// same validation rows, start with the best single model, then add, with replacement, the model
/// whose addition gives the lowest validation loss of the averaged predictions, `picks` times in
/// all; keep the prefix of picks whose loss was lowest (so the ensemble is never worse on the
/// validation rows than the best single model). A model's weight is how often it was picked over
/// the picks kept. Ties go to the lower model index: the same inputs give the same ensemble.
public struct EnsembleSelection: Sendable {
  /// What the averaged predictions are scored by (lower is better).
  public enum Loss: String, Sendable, CaseIterable {
    /// Mean −log p(true class) of probability rows (classification; smooth, so picks rarely tie).
    case crossEntropy
    /// The fraction of rows whose largest probability is not the true class.
    case errorRate
    /// Mean squared error of value rows (regression).
    case meanSquaredError
  }

  /// Picks in all, the first included (AutoGluon's default: 25).
  public var picks: Int
  public var loss: Loss

  /// - Throws: ``ConfigurationError`` for fewer than one pick.
  public init(picks: Int = 25, loss: Loss = .crossEntropy) throws {
    try ConfigurationError.require(picks >= 1, "picks", picks, ">= 1")
    (self.picks, self.loss) = (picks, loss)
  }

  /// The selected ensemble.
  public struct Result: Sendable, Equatable {
    /// Each model's weight (picks kept / total picks kept); they sum to 1.
    public var weights: [Double]
    /// The models picked, in order (a model may appear more than once).
    public var order: [Int]
    /// The validation loss after each pick kept.
    public var losses: [Double]
    /// Each model's own validation loss.
    public var singleLosses: [Double]
  }

  /// Selects an ensemble of `predictions` (one array per model, row-major: `rows × width`
  /// probabilities for the classification losses, values for `meanSquaredError`) for `targets`
  /// (class indices, or `rows × width` values).
  /// - Throws: ``DataError`` for no models, predictions of another size than the targets imply, a
  ///   non-finite prediction, or a class index outside `0..<width`.
  public func select(predictions: [[Float]], targets: [Float], width: Int) throws -> Result {
    func fail(_ detail: String) -> DataError { .inconsistent("ensemble selection: \(detail)") }
    guard !predictions.isEmpty else { throw fail("no models to choose from") }
    guard width >= 1 else { throw fail("prediction width must be >= 1, got \(width)") }
    let rows = loss == .meanSquaredError ? targets.count / width : targets.count
    guard rows >= 1, loss != .meanSquaredError || targets.count % width == 0 else {
      throw fail("\(targets.count) targets do not make whole rows of \(width) values")
    }
    for (model, values) in predictions.enumerated() {
      guard values.count == rows * width else {
        throw fail("model \(model) has \(values.count) predictions, expected \(rows) rows × \(width)")
      }
      if let bad = values.firstIndex(where: { !$0.isFinite }) {
        throw fail("model \(model)'s prediction \(bad) is \(values[bad])")
      }
    }
    if loss != .meanSquaredError,
      let row = targets.firstIndex(where: { !($0 >= 0 && $0 < Float(width) && $0.rounded() == $0) })
    {
      throw DataError.invalidTarget(
        source: "ensemble selection", row: row, value: targets[row], allowed: "a class index below \(width)")
    }
    let singles = predictions.map { score($0.map(Double.init), count: 1, targets: targets, rows: rows, width: width) }
    let first = singles.indices.min { singles[$0] < singles[$1] }!
    var sum = predictions[first].map(Double.init)
    var order = [first], losses = [singles[first]]
    while order.count < picks {
      var best = 0, bestLoss = Double.infinity
      var candidate = sum
      for (model, values) in predictions.enumerated() {
        for i in candidate.indices { candidate[i] = sum[i] + Double(values[i]) }
        let value = score(candidate, count: order.count + 1, targets: targets, rows: rows, width: width)
        if value < bestLoss { (best, bestLoss) = (model, value) }
      }
      for i in sum.indices { sum[i] += Double(predictions[best][i]) }
      order.append(best)
      losses.append(bestLoss)
    }
    // Keep the picks up to the lowest loss (the first such, the smallest ensemble).
    let kept = losses.indices.min { losses[$0] < losses[$1] }! + 1
    order = Array(order.prefix(kept))
    var weights = [Double](repeating: 0, count: predictions.count)
    for model in order { weights[model] += 1 / Double(kept) }
    return Result(weights: weights, order: order, losses: Array(losses.prefix(kept)), singleLosses: singles)
  }

  /// The loss of `sum / count` against the targets.
  private func score(_ sum: [Double], count: Int, targets: [Float], rows: Int, width: Int) -> Double {
    let scale = 1 / Double(count)
    var total = 0.0
    switch loss {
    case .crossEntropy:
      // Probabilities clipped at 1e-15, as scikit-learn's log_loss clips them.
      for row in 0..<rows { total -= Foundation.log(max(sum[row * width + Int(targets[row])] * scale, 1e-15)) }
      return total / Double(rows)
    case .errorRate:
      for row in 0..<rows {
        let values = sum[(row * width)..<((row + 1) * width)]
        let predicted = values.indices.max { values[$0] < values[$1] }! - row * width
        if predicted != Int(targets[row]) { total += 1 }
      }
      return total / Double(rows)
    case .meanSquaredError:
      for i in sum.indices {
        let error = sum[i] * scale - Double(targets[i])
        total += error * error
      }
      return total / Double(sum.count)
    }
  }
}
