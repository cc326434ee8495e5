import Foundation

/// Loss ops (twins of `kernels/loss.cl`).
extension CPUBackend {
  public func softmaxCrossEntropy(
    logits: DeviceBuffer, labels: DeviceBuffer, rows: Int, classes: Int,
    gradientScale scale: Float, losses: DeviceBuffer,
    gradient: DeviceBuffer
  ) throws {
    let op = "softmax_cross_entropy"
    try Check.crossEntropy(
      logits: logits, labels: labels, losses: losses, gradient: gradient, rows: rows,
      classes: classes)
    let x = try cpu(logits, op).pointer, labels = try cpu(labels, op).pointer
    let loss = try cpu(losses, op).pointer, grad = try cpu(gradient, op).pointer
    let kernels = level.kernels
    parallel.rowChunks(rows, width: classes) { rowRange in
      kernels.softmaxCrossEntropy(
        rows: rowRange, classes: classes, scale: scale, logits: x, labels: labels, losses: loss, gradient: grad)
    }
  }

  public func pointwiseLoss(
    _ kind: PointwiseLoss, predictions: DeviceBuffer, targets: DeviceBuffer,
    gradientScale scale: Float, losses: DeviceBuffer,
    gradient: DeviceBuffer
  ) throws {
    let op = "pointwise_loss"
    try Check.sameCount(
      op,
      [
        ("predictions", predictions), ("targets", targets), ("losses", losses),
        ("gradient", gradient),
      ])
    let p = try cpu(predictions, op).pointer, t = try cpu(targets, op).pointer
    let loss = try cpu(losses, op), grad = try cpu(gradient, op).pointer
    let out = loss.pointer
    parallel.chunks(loss.count, minimumChunk: 1 << 13) { range in
      switch kind {
      case .squaredError:
        for i in range {
          let d = p[i] - t[i]
          out[i] = d * d
          grad[i] = scale * (2 * d)
        }
      case .binaryCrossEntropyWithLogits:
        for i in range {
          let x = p[i]
          out[i] = max(x, 0) - x * t[i] + log1p(exp(-abs(x)))
          grad[i] = scale * (ActivationMath.sigmoid(x) - t[i])
        }
      case .absoluteError:
        for i in range {
          let d = p[i] - t[i]
          out[i] = abs(d)
          grad[i] = scale * (d > 0 ? 1 : (d < 0 ? -1 : 0))
        }
      }
    }
  }

  public func topKHits(
    logits: DeviceBuffer, labels: DeviceBuffer, rows: Int, classes: Int, k: Int,
    into hits: DeviceBuffer
  ) throws {
    let op = "top_k_hits"
    try Check.topK(logits: logits, labels: labels, hits: hits, rows: rows, classes: classes, k: k)
    let (x, labels, out) = (try cpu(logits, op).pointer, try cpu(labels, op).pointer, try cpu(hits, op).pointer)
    parallel.rowChunks(rows, width: classes) { rowRange in
      for row in rowRange {
        let label = labels[row]
        guard label >= 0, label < Float(classes), label == label.rounded(.towardZero) else {
          out[row] = 0
          continue
        }
        // A NaN anywhere in the row leaves its ranking undefined: never a hit (as top_k_hits).
        let target = x[row * classes + Int(label)]
        var higher = 0, nans = 0
        for c in 0..<classes {
          if x[row * classes + c] > target { higher += 1 }
          if x[row * classes + c].isNaN { nans += 1 }
        }
        out[row] = higher < k && nans == 0 ? 1 : 0
      }
    }
  }
}
