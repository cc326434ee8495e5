import Descent

/// Reductions (sums, top-k hit counts, row argmax), random fills and dropout: kernels in
/// `kernels/reduce.cl` and `kernels/rng.cl`.
extension OpenCLBackend {
  public func reduce(
    _ op: ReduceOp, _ x: DeviceBuffer, alpha: Float, beta: Float, into y: DeviceBuffer,
    addingTo runningTotal: (total: DeviceBuffer, scale: Float)?
  ) throws {
    try Check.count("reduce", "y", y, 1, "a reduction to one value")
    if let runningTotal { try Check.count("reduce", "running total", runningTotal.total, 1, "a running total") }
    let (x, y) = (try cl(x, "reduce"), try cl(y, "reduce"))
    let total = try runningTotal.map { (try cl($0.total, "reduce"), $0.scale) }
    try reduction(
      "reduce", terms: x.count, alpha: alpha, beta: beta, into: y, addingTo: total
    ) { local, alpha, beta, out, total in
      Self.reduceArguments(op, x, count: x.count, alpha: alpha, beta: beta, into: out, local: local, addingTo: total)
    }
  }

  /// The `reduce` kernel's arguments: `op` over the first `count` values of `x` (a scratch buffer
  /// of partial sums may be longer) into one value per group of `local`.
  private static func reduceArguments(
    _ op: ReduceOp, _ x: OpenCLBuffer, count: Int, alpha: Float, beta: Float, into out: OpenCLBuffer, local: Int,
    addingTo total: (OpenCLBuffer, Float)?
  ) -> [Argument] {
    [
      .int(count), .int(Int(op.kernelCode)), .float(alpha), .float(beta), .buffer(x), .buffer(out),
      .local(bytes: 4 * local), .int(total == nil ? 0 : 1), .float(total?.1 ?? 0), .buffer(total?.0 ?? out),
    ]
  }

  public func topKHits(
    logits: DeviceBuffer, labels: DeviceBuffer, rows: Int, classes: Int, k: Int, alpha: Float, beta: Float,
    into count: DeviceBuffer
  ) throws {
    let op = "top_k_hits"
    try Check.topK(logits: logits, labels: labels, count: count, rows: rows, classes: classes, k: k)
    let (logits, labels) = (try cl(logits, op), try cl(labels, op))
    try reduction(op, terms: rows, alpha: alpha, beta: beta, into: try cl(count, op), addingTo: nil) {
      local, alpha, beta, out, _ in
      [
        .int(rows), .int(classes), .int(k), .float(alpha), .float(beta), .buffer(logits), .buffer(labels),
        .buffer(out), .local(bytes: 4 * local),
      ]
    }
  }

  /// `y[0] = alpha·Σ + beta·y[0]` (then `total[0] += scale·y[0]`) by `name`'s kernel over `terms`
  /// terms, each work-item adding a grid-strided share (`finish_reduction` in `reduce.cl`).
  /// `arguments(local, alpha, beta, out, total)` lists `name`'s arguments for a launch writing one
  /// value per group of `local` work-items into `out`. A short input (up to 16 terms per work-item
  /// of one group: a batch's losses or hits) takes one launch; a long one runs `name` over many
  /// groups into partial sums (alpha 1, beta 0, no running total), then `reduce` over those.
  private func reduction(
    _ name: String, terms: Int, alpha: Float, beta: Float, into y: OpenCLBuffer,
    addingTo total: (OpenCLBuffer, Float)?,
    arguments: (_ local: Int, _ alpha: Float, _ beta: Float, _ out: OpenCLBuffer, _ total: (OpenCLBuffer, Float)?)
      -> [Argument]
  ) throws {
    let (kernel, sum) = (try self.kernel(name), try self.kernel("reduce"))
    // A power-of-two group (the tree in the kernel halves it), and enough groups to fill the
    // device; more for long inputs, so no work-item adds more than 4096 terms: llvmpipe
    // (rusticl) silently ends any loop after 65 535 iterations.
    func local(_ kernel: Kernel) -> Int {
      var local = 1
      while local * 2 <= groupSize(kernel) { local *= 2 }
      return local
    }
    let size = local(kernel)
    let items = (terms + size - 1) / size
    let groups = items <= 16 ? 1 : min(items, max(locked { choices.reductionGroups }, (items + 4095) / 4096))
    try locked {
      guard groups > 1 else {
        return try run(kernel, name, global: [size], local: [size], arguments(size, alpha, beta, y, total))
      }
      let partials = try scratchBuffer(groups)
      try run(kernel, name, global: [groups * size], local: [size], arguments(size, 1, 0, partials, nil))
      let last = local(sum)
      try run(
        sum, "reduce", global: [last], local: [last],
        Self.reduceArguments(
          .sum, partials, count: groups, alpha: alpha, beta: beta, into: y, local: last, addingTo: total))
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
