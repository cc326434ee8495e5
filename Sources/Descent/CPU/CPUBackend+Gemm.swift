/// `C = alpha·op(A)·op(B) + beta·C` (twin of `gemm` in `kernels/gemm.cl`) by the kernels of the
/// backend's ``CPULevel`` (Sources/CPUKernels/GemmKernel.swift: Goto's blocking, register-tile
/// micro-kernels), then what the ``GemmFusion`` adds: the bias, derivative and activation row by
/// row while each row of C is still in cache, the column sums of op(B) in a pass of their own.
extension CPUBackend {
  public func gemm(
    _ shape: GemmShape, _ a: DeviceBuffer, _ b: DeviceBuffer, into c: DeviceBuffer,
    fusing fusion: GemmFusion
  ) throws {
    try shape.validate(a, b, c)
    try fusion.validate(shape, c: c)
    let (a, b, c) = (try cpu(a, "gemm").pointer, try cpu(b, "gemm").pointer, try cpu(c, "gemm").pointer)
    let bias = try fusion.bias.map { try cpu($0, "gemm").pointer }
    let activation = try fusion.activation.map { ($0.function, try cpu($0.output, "gemm").pointer) }
    let bSums = try fusion.bSums.map { try cpu($0, "gemm").pointer }
    let derivative = try fusion.derivative.map { ($0.function, try cpu($0.preActivation, "gemm").pointer) }
    let parallel = parallel
    try level.kernels.gemm(
      m: shape.m, n: shape.n, k: shape.k, transposeA: shape.transposeA, transposeB: shape.transposeB,
      alpha: shape.alpha, beta: shape.beta, a: a, b: b, c: c, threads: parallel.threads,
      forEach: { parallel.forEach($0, $1) }, allocate: CPUBuffer.alignedFloats)
    if bias != nil || activation != nil || derivative != nil {
      let (columns, kernels) = (shape.n, level.kernels)
      let light = activation == nil && derivative == nil
      parallel.rowChunks(shape.m, width: columns, minimumElements: light ? 1 << 15 : 1 << 13) { rowRange in
        for row in rowRange {
          let z = c + row * columns
          if let bias { for column in 0..<columns { z[column] += bias[column] } }
          if let (g, preActivation) = derivative {
            multiplyByDerivative(g, of: preActivation, c, into: c, row * columns..<(row + 1) * columns)
          }
          if let (f, output) = activation {
            let y = output + row * columns
            if !kernels.activate(f.name, z, into: y, count: columns) { ActivationMath.apply(f, z, into: y, columns) }
          }
        }
      }
    }
    if let bSums { sumColumns(of: b, shape, into: bSums) }
  }

  /// `sums[j] = Σ_p op(B)[p, j]`: each core sums a band of columns over every depth.
  private func sumColumns(of b: UnsafeMutablePointer<Float>, _ shape: GemmShape, into sums: UnsafeMutablePointer<Float>)
  {
    let (n, k) = (shape.n, shape.k)
    parallel.chunks(n, minimumChunk: max(16, (1 << 15) / max(1, k))) { band in
      let out = sums + band.lowerBound
      if shape.transposeB {  // B is n×k: each column of op(B) is a row of B
        for j in band {
          var sum: Float = 0
          for p in 0..<k { sum += b[j * k + p] }
          sums[j] = sum
        }
        return
      }
      out.update(repeating: 0, count: band.count)
      for p in 0..<k {
        let source = b + p * n + band.lowerBound
        for column in 0..<band.count { out[column] += source[column] }
      }
    }
  }
}
