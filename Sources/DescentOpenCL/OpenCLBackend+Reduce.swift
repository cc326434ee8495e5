import Descent

/// Reductions, random fills and dropout: kernels in `kernels/reduce.cl` and `kernels/rng.cl`.
extension OpenCLBackend {
  public func reduce(_ op: ReduceOp, _ x: DeviceBuffer, alpha: Float, beta: Float, into y: DeviceBuffer) throws {
    try Check.count("reduce", "y", y, 1, "a reduction to one value")
    let (x, y) = (try cl(x, "reduce"), try cl(y, "reduce"))
    let kernel = try self.kernel("reduce")
    // A power-of-two group (the tree in the kernel halves it), and enough groups to fill the
    // device; more for long buffers, so no work-item adds more than 4096 values: llvmpipe
    // (rusticl) silently ends any loop after 65 535 iterations. A short buffer (up to 16 values
    // per work-item of one group: a batch's losses or hits) takes one launch, not two.
    var local = 1
    while local * 2 <= groupSize(kernel) { local *= 2 }
    let items = (x.count + local - 1) / local
    let groups = items <= 16 ? 1 : min(items, max(locked { choices.reductionGroups }, (items + 4095) / 4096))
    func pass(
      _ count: Int, _ op: ReduceOp, _ alpha: Float, _ beta: Float, _ from: OpenCLBuffer, _ to: OpenCLBuffer, groups: Int
    ) throws {
      try run(
        kernel, "reduce", global: [groups * local], local: [local],
        [
          .int(count), .int(Int(op.kernelCode)), .float(alpha), .float(beta), .buffer(from), .buffer(to),
          .local(bytes: 4 * local),
        ])
    }
    try locked {
      guard groups > 1 else { return try pass(x.count, op, alpha, beta, x, y, groups: 1) }
      let partials = try scratchBuffer(groups)
      try pass(x.count, op, 1, 0, x, partials, groups: groups)
      try pass(groups, .sum, alpha, beta, partials, y, groups: 1)
    }
  }

  public func rowArgmax(_ x: DeviceBuffer, rows: Int, columns: Int, into y: DeviceBuffer) throws {
    try Check.count("row_argmax", "x", x, rows * columns, "\(rows)x\(columns)")
    try Check.count("row_argmax", "y", y, rows, "\(rows) rows")
    try run(
      "row_argmax", count: rows,
      [.int(rows), .int(columns), .buffer(try cl(x, "row_argmax")), .buffer(try cl(y, "row_argmax"))])
  }

  public func fillRandom(_ buffer: DeviceBuffer, _ distribution: Distribution, key: RandomKey) throws {
    let out = try cl(buffer, "fill_random")
    let (kind, a, b): (Int, Float, Float) =
      switch distribution {
      case let .uniform(low, high): (0, low, high)
      case let .normal(mean, standardDeviation): (1, mean, standardDeviation)
      }
    try run(
      "fill_random", count: out.count,
      [
        .int(out.count), .int(kind), .float(a), .float(b), .uint2(key.seed), .uint2(key.stream), .buffer(out),
      ])
  }

  public func dropout(
    _ x: DeviceBuffer, rate: Float, key: RandomKey, into y: DeviceBuffer,
    mask: DeviceBuffer
  ) throws {
    try Check.dropoutRate(rate)
    try Check.sameCount("dropout", [("x", x), ("y", y), ("mask", mask)])
    try run(
      "dropout", count: y.count,
      [
        .int(y.count), .float(rate), .float(1 / (1 - rate)), .uint2(key.seed), .uint2(key.stream),
        .buffer(try cl(x, "dropout")), .buffer(try cl(y, "dropout")), .buffer(try cl(mask, "dropout")),
      ])
  }
}
