/// Reductions: sums, top-k hit counts and row argmax (twins of `kernels/reduce.cl`).
extension CPUBackend {
  public func reduce(
    _ op: ReduceOp, _ x: DeviceBuffer, alpha: Float, beta: Float, into y: DeviceBuffer,
    addingTo runningTotal: (total: DeviceBuffer, scale: Float)?
  ) throws {
    try Check.count("reduce", "y", y, 1, "a reduction to one value")
    if let runningTotal { try Check.count("reduce", "running total", runningTotal.total, 1, "a running total") }
    let running = try runningTotal.map { (try cpu($0.total, "reduce").pointer, $0.scale) }
    let (x, out) = (try cpu(x, "reduce"), try cpu(y, "reduce").pointer)
    let source = x.pointer
    // Each core sums its chunk in 16 SIMD lanes (a tree across lanes keeps the error growth low),
    // then the few partial sums are added in order.
    let parts = max(1, min(parallel.threads, x.count / (1 << 15)))
    var partials = [Float](repeating: 0, count: parts)
    partials.withUnsafeMutableBufferPointer { partials in
      parallel.forEach(parts) { part in
        let end = (part + 1) * x.count / parts
        var lanes = SIMD16<Float>()
        var i = part * x.count / parts
        let raw = UnsafeRawPointer(source)
        while i + 16 <= end {
          let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
          switch op {
          case .sum: lanes += v
          case .sumOfSquares: lanes += v * v
          case .sumOfAbsolutes: lanes += v.replacing(with: -v, where: v .< 0)
          }
          i += 16
        }
        var total = lanes.sum()
        while i < end {
          total += op == .sum ? source[i] : op == .sumOfSquares ? source[i] * source[i] : abs(source[i])
          i += 1
        }
        partials[part] = total
      }
    }
    let sum = partials.reduce(0, +)
    out[0] = beta == 0 ? alpha * sum : alpha * sum + beta * out[0]
    if let (total, scale) = running { total[0] += scale * out[0] }
  }

  public func topKHits(
    logits: DeviceBuffer, labels: DeviceBuffer, rows: Int, classes: Int, k: Int, alpha: Float, beta: Float,
    into count: DeviceBuffer
  ) throws {
    let op = "top_k_hits"
    try Check.topK(logits: logits, labels: labels, count: count, rows: rows, classes: classes, k: k)
    let (x, labels, out) = (try cpu(logits, op).pointer, try cpu(labels, op).pointer, try cpu(count, op).pointer)
    // Counted in order as integers (exact), so any split into parts would give the same sum.
    var hits = 0
    for row in 0..<rows {
      let label = labels[row]
      guard label >= 0, label < Float(classes), label == label.rounded(.towardZero) else { continue }
      // A NaN anywhere in the row leaves its ranking undefined: never a hit (as top_k_hits).
      let target = x[row * classes + Int(label)]
      var higher = 0, nans = 0
      for c in 0..<classes {
        if x[row * classes + c] > target { higher += 1 }
        if x[row * classes + c].isNaN { nans += 1 }
      }
      if higher < k && nans == 0 { hits += 1 }
    }
    out[0] = beta == 0 ? alpha * Float(hits) : alpha * Float(hits) + beta * out[0]
  }

  public func rowArgmax(_ x: DeviceBuffer, rows: Int, columns: Int, into y: DeviceBuffer) throws {
    try Check.count("row_argmax", "x", x, rows * columns, "\(rows)x\(columns)")
    try Check.count("row_argmax", "y", y, rows, "\(rows) rows")
    let (x, y) = (try cpu(x, "row_argmax").pointer, try cpu(y, "row_argmax").pointer)
    parallel.rowChunks(rows, width: columns, minimumElements: 1 << 15) { rowRange in
      for row in rowRange {
        let input = x + row * columns
        var best = 0
        for c in 1..<max(1, columns) where input[c] > input[best] { best = c }
        y[row] = Float(best)
      }
    }
  }
}

/// Random fills and dropout (twins of `kernels/rng.cl`).
extension CPUBackend {
  public func fillRandom(_ buffer: DeviceBuffer, _ distribution: Distribution, key: RandomKey) throws {
    let out = try cpu(buffer, "fill_random")
    let pointer = out.pointer
    parallel.chunks(out.count, minimumChunk: 1 << 12) { range in
      for i in range {
        pointer[i] = PortableMath.sample(distribution, Philox.block(index: UInt64(i), key: key))
      }
    }
  }

  public func dropout(
    _ x: DeviceBuffer, rate: Float, key: RandomKey, into y: DeviceBuffer,
    mask: DeviceBuffer
  ) throws {
    try Check.dropoutRate(rate)
    try Check.sameCount("dropout", [("x", x), ("y", y), ("mask", mask)])
    let (x, y, mask) = (try cpu(x, "dropout").pointer, try cpu(y, "dropout"), try cpu(mask, "dropout").pointer)
    let out = y.pointer, keep = 1 / (1 - rate), kernels = level.kernels
    parallel.chunks(y.count, minimumChunk: 1 << 12) { range in
      kernels.dropout(range, rate: rate, keep: keep, seed: key.seed, stream: key.stream, x: x, y: out, mask: mask)
    }
  }
}
