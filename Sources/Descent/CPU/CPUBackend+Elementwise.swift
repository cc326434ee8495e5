import Foundation

/// Elementwise, activation and softmax ops (twins of `kernels/elementwise.cl` and `kernels/activation.cl`).
extension CPUBackend {
  public func axpby(
    alpha: Float, _ x: DeviceBuffer, beta: Float, _ y: DeviceBuffer,
    into z: DeviceBuffer
  ) throws {
    try Check.sameCount("axpby", [("x", x), ("y", y), ("z", z)])
    let (x, y, z) = (try cpu(x, "axpby").pointer, try cpu(y, "axpby").pointer, try cpu(z, "axpby"))
    let out = z.pointer
    parallel.chunks(z.count) { range in
      if beta == 0 {
        for i in range { out[i] = alpha * x[i] }
      } else {
        for i in range { out[i] = alpha * x[i] + beta * y[i] }
      }
    }
  }

  public func multiply(_ x: DeviceBuffer, _ y: DeviceBuffer, into z: DeviceBuffer) throws {
    try Check.sameCount("multiply", [("x", x), ("y", y), ("z", z)])
    let (x, y, z) = (try cpu(x, "multiply").pointer, try cpu(y, "multiply").pointer, try cpu(z, "multiply"))
    let out = z.pointer
    parallel.chunks(z.count) { range in
      for i in range { out[i] = x[i] * y[i] }
    }
  }

  public func clip(_ x: DeviceBuffer, low: Float, high: Float, into y: DeviceBuffer) throws {
    try Check.sameCount("clip", [("x", x), ("y", y)])
    let (x, y) = (try cpu(x, "clip").pointer, try cpu(y, "clip"))
    let out = y.pointer
    parallel.chunks(y.count) { range in
      for i in range { out[i] = min(max(x[i], low), high) }
    }
  }

  public func penaltyGradient(l1: Float, l2: Float, parameter p: DeviceBuffer, gradient g: DeviceBuffer) throws {
    try Check.sameCount("penalty_gradient", [("parameter", p), ("gradient", g)])
    let count = g.count
    let (p, g) = (try cpu(p, "penalty_gradient").pointer, try cpu(g, "penalty_gradient").pointer)
    parallel.chunks(count) { range in
      for i in range {
        let w = p[i]
        let sign: Float = w > 0 ? 1 : (w < 0 ? -1 : 0)
        g[i] = g[i] + (l1 * sign + 2 * l2 * w)
      }
    }
  }

  public func clipToNorm(_ x: DeviceBuffer, maxNorm: Float, squaredNorm: DeviceBuffer) throws {
    try Check.count("clip_to_norm", "squaredNorm", squaredNorm, 1, "a squared norm")
    let (x, norm) = (try cpu(x, "clip_to_norm"), try cpu(squaredNorm, "clip_to_norm").pointer)
    let factor = maxNorm / (norm[0].squareRoot() + 1e-6)
    guard factor < 1 else { return }
    let out = x.pointer
    parallel.chunks(x.count) { range in
      for i in range { out[i] = out[i] * factor }
    }
  }

  public func activate(_ f: Activation, _ x: DeviceBuffer, into y: DeviceBuffer) throws {
    try Check.sameCount("activate", [("x", x), ("y", y)])
    let (x, y) = (try cpu(x, "activate").pointer, try cpu(y, "activate"))
    let out = y.pointer, kernels = level.kernels
    parallel.chunks(y.count, minimumChunk: 1 << 13) { range in
      let (input, output) = (x + range.lowerBound, out + range.lowerBound)
      if !kernels.activate(f.name, input, into: output, count: range.count) {
        ActivationMath.apply(f, input, into: output, range.count)
      }
    }
  }

  public func activationBackward(
    _ f: Activation, input x: DeviceBuffer, outputGradient dy: DeviceBuffer,
    into dx: DeviceBuffer
  ) throws {
    let op = "activation_backward"
    try Check.sameCount(op, [("input", x), ("outputGradient", dy), ("inputGradient", dx)])
    let count = dx.count
    let (x, dy, dx) = (try cpu(x, op).pointer, try cpu(dy, op).pointer, try cpu(dx, op).pointer)
    parallel.chunks(count, minimumChunk: 1 << 13) { range in
      multiplyByDerivative(f, of: x, dy, into: dx, range)
    }
  }

  /// `out[i] = f′(x[i])·dy[i]` for `i` in `range` (`out` may be `dy`): the piecewise-linear cases
  /// in loops of their own, which the compiler vectorises; GELU and SiLU in the kernel level.
  func multiplyByDerivative(
    _ f: Activation, of x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
    _ range: Range<Int>
  ) {
    let start = range.lowerBound
    switch f {
    case .relu: for i in range { out[i] = (x[i] > 0 ? 1 : 0) * dy[i] }
    case let .leakyReLU(slope): for i in range { out[i] = (x[i] > 0 ? 1 : slope) * dy[i] }
    default:
      if !level.kernels.activationBackward(
        f.name, input: x + start, outputGradient: dy + start, into: out + start, count: range.count)
      {
        for i in range { out[i] = ActivationMath.derivative(f, x[i]) * dy[i] }
      }
    }
  }

  public func softmax(_ x: DeviceBuffer, rows: Int, columns: Int, into y: DeviceBuffer) throws {
    try Check.matrices("softmax", rows: rows, columns: columns, [("x", x), ("y", y)])
    let (x, y) = (try cpu(x, "softmax").pointer, try cpu(y, "softmax").pointer)
    parallel.rowChunks(rows, width: columns) { rowRange in
      for row in rowRange {
        let output = y + row * columns
        let (_, total) = ActivationMath.exponentials(x + row * columns, columns, into: output)
        for c in 0..<columns { output[c] = output[c] / total }
      }
    }
  }
}

extension CPUBackend {
  public func softmaxBackward(
    output y: DeviceBuffer, outputGradient dy: DeviceBuffer, rows: Int, columns: Int,
    into dx: DeviceBuffer
  ) throws {
    let op = "softmax_backward"
    try Check.softmaxBackward(output: y, outputGradient: dy, inputGradient: dx, rows: rows, columns: columns)
    let (y, dy, dx) = (try cpu(y, op).pointer, try cpu(dy, op).pointer, try cpu(dx, op).pointer)
    parallel.rowChunks(rows, width: columns) { rowRange in
      for row in rowRange {
        let offset = row * columns
        var dot: Float = 0
        for c in 0..<columns { dot += dy[offset + c] * y[offset + c] }
        for c in 0..<columns { dx[offset + c] = y[offset + c] * (dy[offset + c] - dot) }
      }
    }
  }
}

/// The activation functions, one per name, as `kernels/activation.cl` writes them.
enum ActivationMath {
  @inline(__always) static func relu(_ x: Float) -> Float { x > 0 ? x : 0 }
  @inline(__always) static func leakyReLU(_ x: Float, _ slope: Float) -> Float { x > 0 ? x : slope * x }
  @inline(__always) static func sigmoid(_ x: Float) -> Float { 1 / (1 + exp(-x)) }
  @inline(__always) static func gelu(_ x: Float) -> Float { 0.5 * x * (1 + erf(x * 0.70710678118654752)) }

  /// `output[i] = f(input[i])` for `count` values, one loop per function so each vectorises.
  @inline(__always)
  static func apply(
    _ f: Activation, _ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>,
    _ count: Int
  ) {
    switch f {
    case .relu: for i in 0..<count { output[i] = relu(input[i]) }
    case let .leakyReLU(slope): for i in 0..<count { output[i] = leakyReLU(input[i], slope) }
    case .sigmoid: for i in 0..<count { output[i] = sigmoid(input[i]) }
    case .tanh: for i in 0..<count { output[i] = Foundation.tanh(input[i]) }
    case .gelu: for i in 0..<count { output[i] = gelu(input[i]) }
    case .silu: for i in 0..<count { output[i] = input[i] * sigmoid(input[i]) }
    case .mish: for i in 0..<count { output[i] = input[i] * tanh(log1p(exp(input[i]))) }
    }
  }

  /// `output[c] = exp(input[c] − max)` for one row, returning the maximum and the sum: the shared
  /// first half of softmax and softmax cross-entropy.
  @inline(__always)
  static func exponentials(
    _ input: UnsafePointer<Float>, _ columns: Int,
    into output: UnsafeMutablePointer<Float>
  ) -> (largest: Float, total: Float) {
    var largest = -Float.infinity
    for c in 0..<columns { largest = max(largest, input[c]) }
    var total: Float = 0
    for c in 0..<columns {
      output[c] = exp(input[c] - largest)
      total += output[c]
    }
    return (largest, total)
  }

  /// `f′(x)`.
  @inline(__always) static func derivative(_ f: Activation, _ x: Float) -> Float {
    switch f {
    case .relu: return x > 0 ? 1 : 0
    case let .leakyReLU(slope): return x > 0 ? 1 : slope
    case .sigmoid:
      let s = sigmoid(x)
      return s * (1 - s)
    case .tanh:
      let t = tanh(x)
      return 1 - t * t
    case .gelu:  // Φ(x) + x·φ(x)
      return 0.5 * (1 + erf(x * 0.70710678118654752)) + x * 0.39894228040143268 * exp(-0.5 * x * x)
    case .silu:  // σ(x)·(1 + x·(1 − σ(x)))
      let s = sigmoid(x)
      return s * (1 + x * (1 - s))
    case .mish:  // tanh(sp) + x·(1 − tanh²(sp))·σ(x)
      let t = tanh(log1p(exp(x)))
      return t + x * (1 - t * t) * sigmoid(x)
    }
  }
}
