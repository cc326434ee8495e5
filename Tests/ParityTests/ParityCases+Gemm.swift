import Descent

extension ParityCase {
  /// Sizes around the tiles of both backends (CPU micro-tiles 6×16 and 8×32, depth slice 384,
  /// products of at most 16 columns and of one or two rows in their own kernels; OpenCL tiles of
  /// 16, 32 or 64 with depth 8 or 16), plus 1, 7, 33, 127 and 1000; every transpose combination.
  static let gemm: [ParityCase] = {
    let shapes: [(Int, Int, Int)] = [
      (1, 1, 1), (1, 7, 33), (7, 1, 127), (7, 33, 1), (33, 7, 127), (127, 33, 7), (6, 16, 256),
      (5, 15, 255), (7, 17, 257), (63, 65, 17), (64, 64, 64), (65, 63, 129), (97, 31, 300),
      (127, 127, 127), (1000, 10, 33), (10, 1000, 7), (128, 256, 784 / 4),
      (9, 3, 4),  // fewer than 16 floats of B in all: the narrow kernel copies every row of op(B)
      // One or two rows (the CPU's row kernel): blocks of 8 registers spread over the cores (784→256),
      // blocks then single registers then a cut register, the cut register alone, one column.
      (1, 256, 784), (2, 300, 257), (1, 10, 128), (2, 1, 801),
    ]
    var cases: [ParityCase] = []
    for (index, (m, n, k)) in shapes.enumerated() {
      for (transposeA, transposeB) in [(false, false), (true, false), (false, true), (true, true)] {
        cases.append(
          gemmCase(
            GemmShape(m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB),
            seed: UInt64(index)))
      }
    }
    // Every product the benchmarks time (the MLP's eight), as they are timed.
    for (index, product) in GemmShape.mlpProducts.enumerated() {
      cases.append(gemmCase(product.shape, seed: UInt64(200 + index)))
    }
    // alpha and beta: scaling, accumulating into C, and beta = 0 ignoring NaN already in C.
    cases.append(gemmCase(GemmShape(m: 33, n: 17, k: 65, alpha: -0.5, beta: 2), seed: 90))
    cases.append(gemmCase(GemmShape(m: 7, n: 129, k: 31, transposeA: true, alpha: 3, beta: -1), seed: 91))
    // Deeper than one CPU depth slice (384): beta is applied on the first slice only.
    cases.append(gemmCase(GemmShape(m: 13, n: 40, k: 801, transposeB: true, alpha: 0.5, beta: -2), seed: 94))
    // The same with B read in place (k×n, under 512 columns): each slice starts `depth` rows down.
    cases.append(gemmCase(GemmShape(m: 19, n: 70, k: 801, alpha: 0.5, beta: -2), seed: 97))
    // A k×m A with m ≥ 512, which the CPU reads in place under a narrow B (70 columns) and packs
    // whole under a wide one (520): a last panel of fewer rows (515 = 85·6 + 5 = 64·8 + 3), three
    // and two depth slices, B read in place then packed, accumulating.
    cases.append(gemmCase(GemmShape(m: 515, n: 70, k: 801, transposeA: true, alpha: 2, beta: 0.5), seed: 100))
    cases.append(gemmCase(GemmShape(m: 515, n: 520, k: 400, transposeA: true, transposeB: true, beta: -1), seed: 101))
    // At most 16 columns (the AVX-512 build's narrow kernels), deep, accumulating, both A layouts.
    cases.append(gemmCase(GemmShape(m: 37, n: 10, k: 500, transposeA: true, alpha: 2, beta: 0.5), seed: 95))
    cases.append(gemmCase(GemmShape(m: 37, n: 16, k: 501, transposeB: true, alpha: 2, beta: 0.5), seed: 96))
    // The row kernel's stores: both B layouts, accumulating.
    cases.append(gemmCase(GemmShape(m: 1, n: 270, k: 300, alpha: 2, beta: 0.5), seed: 98))
    cases.append(gemmCase(GemmShape(m: 2, n: 37, k: 129, transposeB: true, alpha: -1, beta: 3), seed: 99))
    cases.append(gemmCase(GemmShape(m: 20, n: 20, k: 0, beta: 0.5), seed: 92))
    cases.append(gemmCase(GemmShape(m: 65, n: 65, k: 65, alpha: 0, beta: 1), seed: 93))
    return cases
  }()

  private static func gemmCase(_ shape: GemmShape, seed: UInt64) -> ParityCase {
    let a = Inputs.uniform(shape.m * shape.k, seed: seed * 3)
    let b = Inputs.uniform(shape.k * shape.n, seed: seed * 3 + 1)
    let c = Inputs.uniform(shape.m * shape.n, seed: seed * 3 + 2)
    let label = shape.alpha == 1 && shape.beta == 0 ? "" : " alpha \(shape.alpha) beta \(shape.beta)"
    return ParityCase(name: "\(shape)\(label)") { backend in
      let (bufferA, bufferB) = (try backend.buffer(a), try backend.buffer(b))
      // C starts as NaN when beta = 0: BLAS semantics say it is not read.
      let bufferC = shape.beta == 0 ? try Inputs.output(backend, c.count) : try backend.buffer(c)
      try backend.gemm(shape, bufferA, bufferB, into: bufferC)
      return try backend.download(bufferC)
    } reference: {
      let (values, bounds) = Reference.gemm(
        m: shape.m, n: shape.n, k: shape.k, transposeA: shape.transposeA, transposeB: shape.transposeB,
        alpha: Double(shape.alpha), beta: Double(shape.beta), a: a.doubles, b: b.doubles, c: c.doubles)
      return Expected(values, bounds: bounds, why: "γ(k+2)·(|α|Σ|a·b| + |βc|): k fp32 products and sums, then α and β")
    }
  }
}
