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
}
