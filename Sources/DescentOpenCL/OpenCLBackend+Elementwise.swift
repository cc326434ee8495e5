import Descent

/// Elementwise, bias, activation and softmax ops: kernels in `kernels/elementwise.cl` and `kernels/activation.cl`.
extension OpenCLBackend {
  public func axpby(
    alpha: Float, _ x: DeviceBuffer, beta: Float, _ y: DeviceBuffer,
    into z: DeviceBuffer
  ) throws {
    try Check.sameCount("axpby", [("x", x), ("y", y), ("z", z)])
    try run(
      "axpby", count: z.count,
      [
        .int(z.count), .float(alpha), .buffer(try cl(x, "axpby")), .float(beta), .buffer(try cl(y, "axpby")),
        .buffer(try cl(z, "axpby")),
      ])
  }

  public func multiply(_ x: DeviceBuffer, _ y: DeviceBuffer, into z: DeviceBuffer) throws {
    try Check.sameCount("multiply", [("x", x), ("y", y), ("z", z)])
    try run(
      "multiply", count: z.count,
      [
        .int(z.count), .buffer(try cl(x, "multiply")), .buffer(try cl(y, "multiply")), .buffer(try cl(z, "multiply")),
      ])
  }

  public func clip(_ x: DeviceBuffer, low: Float, high: Float, into y: DeviceBuffer) throws {
    let op = "clip"
    try Check.sameCount(op, [("x", x), ("y", y)])
    try run(
      op, count: y.count,
      [.int(y.count), .float(low), .float(high), .buffer(try cl(x, op)), .buffer(try cl(y, op))])
  }

  public func penaltyGradient(l1: Float, l2: Float, parameter p: DeviceBuffer, gradient g: DeviceBuffer) throws {
    let op = "penalty_gradient"
    try Check.sameCount(op, [("parameter", p), ("gradient", g)])
    try run(
      op, count: g.count,
      [.int(g.count), .float(l1), .float(l2), .buffer(try cl(p, op)), .buffer(try cl(g, op))])
  }

  public func clipToNorm(_ x: DeviceBuffer, maxNorm: Float, squaredNorm: DeviceBuffer) throws {
    let op = "clip_to_norm"
    try Check.count(op, "squaredNorm", squaredNorm, 1, "a squared norm")
    try run(
      op, count: x.count,
      [.int(x.count), .float(maxNorm), .buffer(try cl(squaredNorm, op)), .buffer(try cl(x, op))])
  }

  public func activate(_ f: Activation, _ x: DeviceBuffer, into y: DeviceBuffer) throws {
    let op = "activate"
    try Check.sameCount(op, [("x", x), ("y", y)])
    try run(
      op, count: y.count, options: Self.buildOptions(f),
      [
        .int(y.count), .float(f.slope), .buffer(try cl(x, op)), .buffer(try cl(y, op)),
      ])
  }

  public func activationBackward(
    _ f: Activation, input x: DeviceBuffer, outputGradient dy: DeviceBuffer,
    into dx: DeviceBuffer
  ) throws {
    let op = "activation_backward"
    try Check.sameCount(op, [("input", x), ("outputGradient", dy), ("inputGradient", dx)])
    try run(
      op, count: dx.count, options: Self.buildOptions(f),
      [
        .int(dx.count), .float(f.slope), .buffer(try cl(x, op)), .buffer(try cl(dy, op)), .buffer(try cl(dx, op)),
      ])
  }

  /// `kernels/activation.cl` is built once per activation, with the function fixed at compile time.
  static func buildOptions(_ f: Activation) -> String {
    "-DFORWARD=\(f.name)_forward -DDERIVATIVE=\(f.name)_derivative"
  }

  public func softmax(_ x: DeviceBuffer, rows: Int, columns: Int, into y: DeviceBuffer) throws {
    try Check.matrices("softmax", rows: rows, columns: columns, [("x", x), ("y", y)])
    try run(
      "softmax", count: rows,
      [.int(rows), .int(columns), .buffer(try cl(x, "softmax")), .buffer(try cl(y, "softmax"))])
  }

  public func softmaxBackward(
    output y: DeviceBuffer, outputGradient dy: DeviceBuffer, rows: Int, columns: Int,
    into dx: DeviceBuffer
  ) throws {
    let op = "softmax_backward"
    try Check.softmaxBackward(output: y, outputGradient: dy, inputGradient: dx, rows: rows, columns: columns)
    try run(
      op, count: rows,
      [
        .int(rows), .int(columns), .buffer(try cl(y, op)), .buffer(try cl(dy, op)), .buffer(try cl(dx, op)),
      ])
  }
}

/// Losses: kernels in `kernels/loss.cl`.
extension OpenCLBackend {
  public func softmaxCrossEntropy(
    logits: DeviceBuffer, labels: DeviceBuffer, rows: Int, classes: Int,
    gradientScale scale: Float, losses: DeviceBuffer,
    gradient: DeviceBuffer
  ) throws {
    let op = "softmax_cross_entropy"
    try Check.crossEntropy(
      logits: logits, labels: labels, losses: losses, gradient: gradient, rows: rows,
      classes: classes)
    guard rows > 0 else { return }
    let rowsPerItem = locked { choices.lossRowsPerItem }
    if rowsPerItem > 0 {
      let wide = "softmax_cross_entropy_wide"
      try run(
        try kernel(wide), wide, global: [(rows + rowsPerItem - 1) / rowsPerItem], local: [1],
        [
          .int(rows), .int(classes), .int(rowsPerItem), .float(scale), .buffer(try cl(logits, op)),
          .buffer(try cl(labels, op)), .buffer(try cl(losses, op)), .buffer(try cl(gradient, op)),
        ])
      return
    }
    let kernel = try self.kernel(op)
    let local = groupSize(kernel)
    try run(
      kernel, op, global: [rows], local: [local],
      [
        .int(rows), .int(classes), .float(scale), .buffer(try cl(logits, op)), .buffer(try cl(labels, op)),
        .buffer(try cl(losses, op)), .buffer(try cl(gradient, op)), .local(bytes: 4 * local),
      ])
  }

  public func pointwiseLoss(
    _ kind: PointwiseLoss, predictions: DeviceBuffer, targets: DeviceBuffer,
    gradientScale scale: Float, losses: DeviceBuffer, gradient: DeviceBuffer
  ) throws {
    let op = "pointwise_loss"
    try Check.sameCount(
      op,
      [
        ("predictions", predictions), ("targets", targets), ("losses", losses),
        ("gradient", gradient),
      ])
    try run(
      op, count: losses.count,
      [
        .int(losses.count), .int(Int(kind.kernelCode)), .float(scale), .buffer(try cl(predictions, op)),
        .buffer(try cl(targets, op)), .buffer(try cl(losses, op)), .buffer(try cl(gradient, op)),
      ])
  }
}
