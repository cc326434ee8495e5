import Descent
import Foundation

/// A float64 twin of a small ``Sequential`` model, written from the layers' definitions, for
/// finite-difference gradient checks. Nothing here calls Descent's layers or backends.
struct ReferenceModel {
  enum Stage {
    case dense(units: Int, activation: Activation?, bias: Bool, regularizer: Regularizer?)
    case activation(Activation)
    case softmax
    case dropout(rate: Float)
  }

  let stages: [Stage]
  let inputFeatures: Int
  let loss: Loss
  /// The model's seed: dropout masks are recomputed from it with Philox, as the stream layout
  /// on ``Sequential/forward(_:rows:trainingStep:)`` documents (training step 0).
  let seed: UInt64

  /// The Descent layers this reference mirrors.
  func layers() throws -> [any Layer] {
    try stages.map { stage -> any Layer in
      switch stage {
      case let .dense(units, activation, bias, regularizer):
        try Dense(units, activation: activation, bias: bias, regularizer: regularizer)
      case let .activation(f): ActivationLayer(f)
      case .softmax: Softmax()
      case let .dropout(rate): try Dropout(rate)
      }
    }
  }

  /// The batch's mean loss plus the penalties, for `parameters` in ``Sequential/parameters`` order.
  func loss(parameters: [[Double]], inputs: [Double], targets: [Double], rows: Int) -> Double {
    var x = inputs, width = inputFeatures, next = 0, penalty = 0.0
    for (index, stage) in stages.enumerated() {
      switch stage {
      case let .dense(units, activation, bias, regularizer):
        let w = parameters[next], b = bias ? parameters[next + 1] : [Double](repeating: 0, count: units)
        next += bias ? 2 : 1
        var y = [Double](repeating: 0, count: rows * units)
        for r in 0..<rows {
          for j in 0..<units {
            var z = b[j]
            for i in 0..<width { z += x[r * width + i] * w[i * units + j] }
            y[r * units + j] = activation.map { Reference.activation($0, z) } ?? z
          }
        }
        if let regularizer {
          penalty += Double(regularizer.l1) * w.reduce(0) { $0 + abs($1) }
          penalty += Double(regularizer.l2) * w.reduce(0) { $0 + $1 * $1 }
        }
        (x, width) = (y, units)
      case let .activation(f):
        x = x.map { Reference.activation(f, $0) }
      case .softmax:
        x = (0..<rows).flatMap { Reference.softmax(x[$0 * width..<($0 + 1) * width]) }
      case let .dropout(rate):
        let key = RandomKey(seed: seed, stream: UInt64(index) << 40)
        x = x.indices.map { i in
          let u = Double(PortableMath.unitInterval(ParityCase.dropoutWord(i, key: key)))
          return u < Double(rate) ? 0 : x[i] / (1 - Double(rate))
        }
      }
    }
    return meanLoss(x, targets, rows: rows, columns: width) + penalty
  }

  private func meanLoss(_ p: [Double], _ t: [Double], rows: Int, columns: Int) -> Double {
    switch loss {
    case .meanSquaredError:
      return zip(p, t).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(p.count)
    case .binaryCrossEntropy:  // −t·log σ(x) − (1 − t)·log(1 − σ(x))
      return zip(p, t).reduce(0) { total, pair in
        let s = Reference.sigmoid(pair.0)
        return total - pair.1 * log(s) - (1 - pair.1) * log(1 - s)
      } / Double(p.count)
    case .softmaxCrossEntropy:
      return (0..<rows).reduce(0) { total, r in
        total - log(Reference.softmax(p[r * columns..<(r + 1) * columns])[Int(t[r])])
      } / Double(rows)
    }
  }
}
