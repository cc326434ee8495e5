import Foundation

/// Optimizer updates (twins of `kernels/optim.cl`); the formulas are on ``UpdateRule``. Scalars come
/// from ``UpdateRule/scalars(step:)`` so both backends round the bias corrections identically.
extension CPUBackend {
  public func update(_ rule: UpdateRule, parameter: DeviceBuffer, gradient: DeviceBuffer,
                     state: [DeviceBuffer], step: Int) throws {
    let op = rule.kernelName
    try Check.updateArguments(rule, parameter: parameter, gradient: gradient, state: state, step: step)
    let p = try cpu(parameter, op).pointer, g = try cpu(gradient, op).pointer
    let s = try state.map { try cpu($0, op).pointer }
    let k = rule.scalars(step: step)
    let count = parameter.count
    Parallel.chunks(count, minimumChunk: 1 << 14) { range in
      switch rule {
      case .sgd: OptimMath.sgd(range, p, g, s.first, k)
      case .adaGrad: OptimMath.adagrad(range, p, g, s[0], k)
      case let .rmsProp(_, _, _, _, momentum, centered):
        let average = centered ? s[1] : nil
        let buffer = momentum > 0 ? s[centered ? 2 : 1] : nil
        OptimMath.rmsprop(range, p, g, s[0], average, buffer, k)
      case .adam, .adamW: OptimMath.adam(range, p, g, s[0], s[1], s.count > 2 ? s[2] : nil, k)
      }
    }
  }
}

/// The update loops, in the kernels' order of operations. `k` holds ``UpdateRule/scalars(step:)``.
enum OptimMath {
  typealias Pointer = UnsafeMutablePointer<Float>

  /// k = [lr, momentum, dampening, nesterov, weightDecay, firstStep]
  static func sgd(_ range: Range<Int>, _ p: Pointer, _ g: Pointer, _ b: Pointer?, _ k: [Float]) {
    let (lr, momentum, dampening, nesterov, decay, first) = (k[0], k[1], k[2], k[3] != 0, k[4], k[5] != 0)
    for i in range {
      var grad = g[i]
      if decay != 0 { grad = grad + decay * p[i] }
      if let b, momentum != 0 {
        b[i] = first ? grad : momentum * b[i] + (1 - dampening) * grad
        grad = nesterov ? grad + momentum * b[i] : b[i]
      }
      p[i] = p[i] - lr * grad
    }
  }

  /// k = [lr_t, weightDecay, epsilon]
  static func adagrad(_ range: Range<Int>, _ p: Pointer, _ g: Pointer, _ sum: Pointer, _ k: [Float]) {
    let (lr, decay, epsilon) = (k[0], k[1], k[2])
    for i in range {
      var grad = g[i]
      if decay != 0 { grad = grad + decay * p[i] }
      sum[i] = sum[i] + grad * grad
      p[i] = p[i] - lr * (grad / (sum[i].squareRoot() + epsilon))
    }
  }

  /// k = [lr, alpha, epsilon, weightDecay, momentum, centered]
  static func rmsprop(_ range: Range<Int>, _ p: Pointer, _ g: Pointer, _ v: Pointer, _ average: Pointer?,
                      _ buffer: Pointer?, _ k: [Float]) {
    let (lr, alpha, epsilon, decay, momentum) = (k[0], k[1], k[2], k[3], k[4])
    for i in range {
      var grad = g[i]
      if decay != 0 { grad = grad + decay * p[i] }
      v[i] = alpha * v[i] + (1 - alpha) * (grad * grad)
      var denominator = v[i]
      if let average {
        average[i] = alpha * average[i] + (1 - alpha) * grad
        denominator = denominator - average[i] * average[i]
      }
      denominator = denominator.squareRoot() + epsilon
      if let buffer {
        buffer[i] = momentum * buffer[i] + grad / denominator
        p[i] = p[i] - lr * buffer[i]
      } else {
        p[i] = p[i] - lr * (grad / denominator)
      }
    }
  }

  /// k = [beta1, beta2, lr/(1−β₁ᵗ), √(1−β₂ᵗ), epsilon, weightDecay (L2), decayFactor, amsgrad]
  static func adam(_ range: Range<Int>, _ p: Pointer, _ g: Pointer, _ m: Pointer, _ v: Pointer,
                   _ vMax: Pointer?, _ k: [Float]) {
    let (beta1, beta2, stepSize, correction2, epsilon) = (k[0], k[1], k[2], k[3], k[4])
    let (decay, decayFactor) = (k[5], k[6])
    for i in range {
      var grad = g[i]
      if decayFactor != 1 { p[i] = p[i] * decayFactor }
      if decay != 0 { grad = grad + decay * p[i] }
      m[i] = beta1 * m[i] + (1 - beta1) * grad
      v[i] = beta2 * v[i] + (1 - beta2) * (grad * grad)
      var second = v[i]
      if let vMax {
        vMax[i] = max(vMax[i], v[i])
        second = vMax[i]
      }
      p[i] = p[i] - stepSize * (m[i] / (second.squareRoot() / correction2 + epsilon))
    }
  }
}
