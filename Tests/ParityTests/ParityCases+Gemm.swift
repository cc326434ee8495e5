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
    return cases + activationSweep + fusedGemm + fusedOnEveryVariant
  }()

  /// Each activation fused into a product with a bias and op(B)'s column sums, and each
  /// activation's derivative, on shapes and transposes in turn.
  static let activationSweep: [ParityCase] = {
    let transposes = [(false, false), (true, false), (false, true), (true, true)]
    let shapes: [(Int, Int, Int)] = [
      (1, 1, 1), (7, 33, 127), (65, 63, 129), (127, 33, 7), (2, 300, 257), (37, 10, 500), (1000, 10, 33),
      (13, 40, 801),
    ]
    var cases: [ParityCase] = []
    for (index, f) in Activation.allCases.enumerated() {
      let (m, n, k) = shapes[index % shapes.count], (transposeA, transposeB) = transposes[index % 4]
      let shape = GemmShape(m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB)
      cases.append(fusedCase(shape, bias: true, activation: f, sums: true, seed: UInt64(300 + index)))
      let (m2, n2, k2) = shapes[(index + 3) % shapes.count], (transposeA2, transposeB2) = transposes[(index + 1) % 4]
      let other = GemmShape(m: m2, n: n2, k: k2, transposeA: transposeA2, transposeB: transposeB2)
      cases.append(
        fusedCase(other, bias: false, activation: nil, sums: false, derivative: f, seed: UInt64(400 + index)))
    }
    return cases
  }()

  /// The products that fuse parts in some combinations (``activationSweep``, ``fusedGemm``): the
  /// CPU and the default OpenCL backends of a device that runs every suite run them. Each
  /// combination is a kernel build of its own on every GEMM variant (~0.7 s on PoCL, several on
  /// rusticl's single thread), and the parts are the same code in every variant (`gemm.cl`'s
  /// store), so every variant runs ``fusedOnEveryVariant`` instead.
  static let someFusionsNames = Set((activationSweep + fusedGemm).map(\.name))

  /// Every part at once, on every variant of a device that runs every suite (on the default
  /// variants of a further CPU device: `Parity.openCLEveryGemmVariant`): a bias, tanh and op(B)'s column sums
  /// as a layer's forward product (depth 129: a transposed B read in place by `gemm_wide`), and a
  /// bias, tanh's derivative and the sums (depth 300: a transposed B packed), on every transpose,
  /// accumulating, on 37×35 (a partial block of rows and of columns for every tile and row count).
  static let fusedOnEveryVariantNames = Set(fusedOnEveryVariant.map(\.name))

  static let fusedOnEveryVariant: [ParityCase] = [(false, false), (true, false), (false, true), (true, true)]
    .enumerated().flatMap { index, transposes in
      let (transposeA, transposeB) = transposes
      return [
        fusedCase(
          GemmShape(m: 37, n: 35, k: 129, transposeA: transposeA, transposeB: transposeB, alpha: 2, beta: 0.5),
          bias: true, activation: .tanh, sums: true, seed: UInt64(350 + 2 * index)),
        fusedCase(
          GemmShape(m: 37, n: 35, k: 300, transposeA: transposeA, transposeB: transposeB, alpha: -0.5, beta: 2),
          bias: true, activation: nil, sums: true, derivative: .tanh, seed: UInt64(351 + 2 * index)),
      ]
    }

  /// Products with what a dense layer fuses into them (``GemmFusion``): each part alone on every
  /// transpose, accumulating; the MLP's three products as a layer runs them; all parts at once;
  /// no depth.
  static let fusedGemm: [ParityCase] = {
    let transposes = [(false, false), (true, false), (false, true), (true, true)]
    var cases: [ParityCase] = []
    for (index, (transposeA, transposeB)) in transposes.enumerated() {
      let seed = UInt64(320 + 3 * index)
      cases.append(
        fusedCase(
          GemmShape(m: 33, n: 17, k: 65, transposeA: transposeA, transposeB: transposeB, alpha: -0.5, beta: 2),
          bias: true, activation: nil, sums: false, seed: seed))
      cases.append(
        fusedCase(
          GemmShape(m: 65, n: 63, k: 129, transposeA: transposeA, transposeB: transposeB, alpha: 2, beta: 0.5),
          bias: false, activation: .tanh, sums: false, seed: seed + 1))
      cases.append(
        fusedCase(
          GemmShape(m: 63, n: 65, k: 17, transposeA: transposeA, transposeB: transposeB, alpha: 0.5, beta: -1),
          bias: false, activation: nil, sums: true, seed: seed + 2))
    }
    cases.append(fusedCase(GemmShape(m: 128, n: 256, k: 196), bias: true, activation: .relu, sums: false, seed: 340))
    cases.append(
      fusedCase(
        GemmShape(m: 256, n: 128, k: 128, transposeA: true), bias: false, activation: nil, sums: true, seed: 341))
    cases.append(
      fusedCase(
        GemmShape(m: 128, n: 256, k: 128, transposeB: true), bias: false, activation: nil, sums: false,
        derivative: .relu, seed: 343))
    cases.append(
      fusedCase(
        GemmShape(m: 33, n: 17, k: 65, alpha: -0.5, beta: 2), bias: true, activation: nil, sums: true,
        derivative: .tanh, seed: 344))
    cases.append(
      fusedCase(GemmShape(m: 20, n: 20, k: 0, beta: 0.5), bias: true, activation: .relu, sums: true, seed: 342))
    return cases
  }()

  /// `shape` with the parts of a ``GemmFusion`` that are asked for: returns C, then the activation's
  /// output, then the sums. The derivative's pre-activation lies in [-4, 4], where every
  /// derivative varies.
  private static func fusedCase(
    _ shape: GemmShape, bias useBias: Bool, activation: Activation?, sums useSums: Bool,
    derivative: Activation? = nil, seed: UInt64
  ) -> ParityCase {
    let a = Inputs.uniform(shape.m * shape.k, seed: seed * 3)
    let b = Inputs.uniform(shape.k * shape.n, seed: seed * 3 + 1)
    let c = Inputs.uniform(shape.m * shape.n, seed: seed * 3 + 2)
    let bias = Inputs.uniform(shape.n, seed: seed * 3 + 3)
    let preActivation = Inputs.uniform(shape.m * shape.n, seed: seed * 3 + 4, in: -4...4)
    let parts = [
      useBias ? "bias" : nil, derivative.map { "\($0)′" }, activation.map { "\($0)" }, useSums ? "sums" : nil,
    ].compactMap { $0 }
    let label = shape.alpha == 1 && shape.beta == 0 ? "" : " alpha \(shape.alpha) beta \(shape.beta)"
    return ParityCase(name: "\(shape)\(label) \(parts.joined(separator: " "))") { backend in
      let bufferC = shape.beta == 0 ? try Inputs.output(backend, c.count) : try backend.buffer(c)
      let output = try activation.map { ($0, try Inputs.output(backend, c.count)) }
      let sums = useSums ? try Inputs.output(backend, shape.n) : nil
      let fusion = GemmFusion(
        bias: useBias ? try backend.buffer(bias) : nil, activation: output, bSums: sums,
        derivative: try derivative.map { ($0, try backend.buffer(preActivation)) })
      try backend.gemm(shape, try backend.buffer(a), try backend.buffer(b), into: bufferC, fusing: fusion)
      return try backend.download(bufferC) + (output.map { try backend.download($0.1) } ?? [])
        + (sums.map { try backend.download($0) } ?? [])
    } reference: {
      var (values, bounds) = Reference.gemm(
        m: shape.m, n: shape.n, k: shape.k, transposeA: shape.transposeA, transposeB: shape.transposeB,
        alpha: Double(shape.alpha), beta: Double(shape.beta), a: a.doubles, b: b.doubles, c: c.doubles)
      if useBias {
        for i in values.indices {
          values[i] += Double(bias[i % shape.n])
          bounds[i] += u * abs(values[i])
        }
      }
      var why = "γ(k+2)·(|α|Σ|a·b| + |βc|) as the product, plus u·|C| for the bias's one rounded addition"
      if let derivative {
        // As activation_backward's bound (its dy is this v), plus the product's own error times
        // |g′| (≤ 1.2).
        for i in values.indices {
          let (v, x) = (values[i], Double(preActivation[i]))
          values[i] = Reference.derivative(derivative, x) * v
          bounds[i] = 1.2 * bounds[i] + 16 * 0x1p-23 * abs(v) * (1 + abs(x)) + 16 * 0x1p-23 * abs(values[i])
        }
        why += "; then g′: 1.2 × that, plus activation_backward's 16 ulp of |v|·(1+|x|) and of |result|"
      }
      var expected = Expected(values, bounds: bounds, why: why)
      if let activation {
        // |f′| ≤ 1.2 for every activation (GELU's largest, 1.13), so C's error moves f(C) by at
        // most 1.2 times it; then f's own error at C.
        let outputs = values.map { Reference.activation(activation, $0) }
        expected =
          expected
          + Expected(
            outputs,
            bounds: outputs.indices.map {
              1.2 * bounds[$0] + Reference.activationBound(activation, outputs[$0], values[$0])
            }, why: "1.2 × C's bound, then " + activationWhy)
      }
      if useSums {
        let column = { (j: Int) in
          (0..<shape.k).map { Double(shape.transposeB ? b[j * shape.k + $0] : b[$0 * shape.n + j]) }
        }
        expected =
          expected
          + Expected(
            (0..<shape.n).map { column($0).reduce(0, +) },
            bounds: (0..<shape.n).map { gamma(shape.k) * column($0).reduce(0) { $0 + abs($1) } },
            why: "γ(k)·Σ|b|: a sum of k fp32 terms")
      }
      return expected
    }
  }

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
