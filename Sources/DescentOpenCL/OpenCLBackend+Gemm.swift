import Descent

extension OpenCLBackend {
  public func gemm(
    _ shape: GemmShape, _ a: DeviceBuffer, _ b: DeviceBuffer, into c: DeviceBuffer,
    fusing fusion: GemmFusion
  ) throws {
    try shape.validate(a, b, c)
    try fusion.validate(shape, c: c)
    let (a, b, c) = (try cl(a, "gemm"), try cl(b, "gemm"), try cl(c, "gemm"))
    let fused = FusedArguments(
      options: Self.fusionOptions(
        bias: fusion.bias != nil, activation: fusion.activation?.function, bSums: fusion.bSums != nil,
        derivative: fusion.derivative?.function),
      slope: (fusion.activation?.function ?? fusion.derivative?.function)?.slope ?? 0,
      bias: try fusion.bias.map { try cl($0, "gemm") } ?? c,
      activated: try fusion.activation.map { try cl($0.output, "gemm") } ?? c,
      bSums: try fusion.bSums.map { try cl($0, "gemm") } ?? c,
      preActivation: try fusion.derivative.map { try cl($0.preActivation, "gemm") } ?? c)
    guard shape.m > 0, shape.n > 0 else { return }
    switch locked({ choices.gemm }) {
    case let .wide(rows): try wideGemm(shape, a, b, c, rowsPerItem: rows, fused: fused)
    case let .tiled(tiles): try tiledGemm(shape, a, b, c, tiles: tiles, fused: fused)
    }
  }

  /// A ``GemmFusion`` as the kernels take it: `-D` options, then the slope and four buffers (C
  /// in place of those not used).
  struct FusedArguments {
    let options: String
    let slope: Float
    let bias, activated, bSums, preActivation: OpenCLBuffer

    var arguments: [Argument] {
      [.float(slope), .buffer(bias), .buffer(activated), .buffer(bSums), .buffer(preActivation)]
    }

    /// `base` followed by the fusion's options.
    func options(after base: String) -> String { [base, options].filter { !$0.isEmpty }.joined(separator: " ") }
  }

  /// `kernels/gemm.cl`'s options for what a ``GemmFusion`` adds (none for the plain product).
  static func fusionOptions(bias: Bool, activation: Activation?, bSums: Bool, derivative: Activation?) -> String {
    [
      bias ? "-DBIAS" : nil, activation.map { "-DACTIVATION=\($0.name)_forward" }, bSums ? "-DSUM_B" : nil,
      derivative.map { "-DDERIVATIVE=\($0.name)_derivative" },
    ].compactMap { $0 }.joined(separator: " ")
  }

  /// `gemm`, the local-memory tiled kernel for GPUs: one group per `tileM`×`tileN` block of C.
  private func tiledGemm(
    _ shape: GemmShape, _ a: OpenCLBuffer, _ b: OpenCLBuffer, _ c: OpenCLBuffer,
    tiles: GemmTiles, fused: FusedArguments
  ) throws {
    let kernel = try self.kernel("gemm", options: fused.options(after: tiles.buildOptions))
    // The kernel is built with reqd_work_group_size, so it runs in groups of exactly that size:
    // whether they fit was decided from the device's limits when the variant was chosen.
    // CL_KERNEL_WORK_GROUP_SIZE is not consulted: rusticl (Mesa 22.3) reports 32 for every kernel,
    // yet runs these 256-item groups correctly. A driver that truly cannot fails the launch, and
    // the error names the call, the sizes and the status.
    let groups = [(shape.n + tiles.tileN - 1) / tiles.tileN, (shape.m + tiles.tileM - 1) / tiles.tileM]
    try run(
      kernel, "gemm", global: zip(groups, tiles.localSize).map(*), local: tiles.localSize,
      [
        .int(shape.m), .int(shape.n), .int(shape.k), .int(shape.transposeA ? 1 : 0),
        .int(shape.transposeB ? 1 : 0), .float(shape.alpha), .float(shape.beta),
        .buffer(a), .buffer(b), .buffer(c),
      ] + fused.arguments)
  }

  /// `gemm_wide`'s and the packing kernels' build options.
  static func wideOptions(rows: Int, packedA: Bool, packedB: Bool, transposedB: Bool) -> String {
    "-DWIDE_M=\(rows)" + (packedA ? " -DPACKED_A" : "") + (packedB ? " -DPACKED_B" : "")
      + (transposedB ? " -DTRANSPOSED_B" : "")
  }

  /// Every fusion (GELU's forward calls `erf` and `exp`, Mish's derivative `log1p` and `tanh`), in
  /// the two builds that hold them all: the portability check's.
  static let everyFusion = [
    fusionOptions(bias: true, activation: .gelu, bSums: true, derivative: nil),
    fusionOptions(bias: false, activation: nil, bSums: false, derivative: .mish),
  ]

  /// Every kernel file with every set of build options the backend may build it with (the device
  /// adds `-DHARDWARE_FMA` where it has hardware FMA): what the portability check compiles.
  static var everyBuild: [(file: String, options: String)] {
    let plain = KernelSources.files.keys.sorted().filter { $0 != "activation.cl" }
      .map { (file: $0, options: SharedContext.fileOptions[$0] ?? "") }
    let activations = Activation.allCases.map { (file: "activation.cl", options: buildOptions($0)) }
    let variants = GemmVariant.every.map { variant -> [String] in
      switch variant {
      case let .tiled(tiles): [tiles.buildOptions]
      case let .wide(rows):
        [(false, false, false), (false, false, true), (false, true, false), (true, true, false)].map {
          wideOptions(rows: rows, packedA: $0, packedB: $1, transposedB: $2)
        }
      }
    }
    // The fusions touch only the store and B's reads, alike in every variant of a kernel: each
    // once with the first variant of each kernel (its every way of reading B).
    let firsts = [variants.first { $0[0].hasPrefix("-DTILE") }, variants.first { $0[0].hasPrefix("-DWIDE") }]
    let fused = firsts.compactMap { $0 }.flatMap { $0 }.flatMap { options in everyFusion.map { "\(options) \($0)" } }
    let gemms = (variants.flatMap { $0 } + fused).map { (file: "gemm.cl", options: $0) }
    return plain + activations + gemms
  }

  /// Work-items per group along a row for the copying kernels: 64, or fewer for a short row or a
  /// kernel that allows fewer. Groups of 16 left PoCL with tens of thousands of tiny groups (the
  /// copy of Bᵀ before 128×256×128 ABᵀ: 40 → 70 GFLOP/s with 64; 1024³'s packing: 155 → 187).
  private static func lineSize(_ length: Int, _ kernel: Kernel) -> Int {
    max(1, min(64, length, kernel.maxWorkGroupSize))
  }

  /// `gemm_wide` for CPU devices, where PoCL keeps each work-item's float16 accumulators in
  /// registers (the tiled kernel measured 3.8 GFLOP/s there, against 55–78). For products of
  /// `choices.packFlops` (100 MFLOP) or more op(A) is packed into `rowsPerItem`-row panels and op(B)
  /// into 16-column strips first, into scratch buffers under the lock so no other op reuses them
  /// meanwhile; smaller products read both in place, a transposed B too up to 256 deep
  /// (`-DTRANSPOSED_B`). `rowsPerItem` is 12 unless tuned: it measured best on PoCL 3.1 on a Zen 4 CPU
  /// (time over the benchmark shapes: 4 rows 32.0 ms, 6: 22.8, 8: 16.9, 12: 14.6, 16: 25.5).
  /// One work-item per group, so PoCL does not also vectorise across work-items.
  private func wideGemm(
    _ shape: GemmShape, _ a: OpenCLBuffer, _ b: OpenCLBuffer, _ c: OpenCLBuffer,
    rowsPerItem: Int, fused: FusedArguments
  ) throws {
    let global = [(shape.m + rowsPerItem - 1) / rowsPerItem, (shape.n + 15) / 16]
    // Packing pays for itself only on large products (it removes L1 aliasing of A's rows and of
    // B's strips).
    let pack = shape.flops >= locked({ choices.packFlops }) && shape.k > 0
    // A transposed B's strip is 16 rows of B, k floats apart: in place up to 256 (16 KiB, half an
    // L1) as the MLP's narrow input gradients (no slower than packed, one launch fewer); deeper,
    // rows 2 KiB or more apart share a few cache sets, so the strips are packed (784-1024-512-10
    // on PoCL, Zen 3: epoch 6.3–6.9 s packed, 7.3–8.3 in place).
    let packB = pack || (shape.transposeB && shape.k > 256)
    let options = Self.wideOptions(
      rows: rowsPerItem, packedA: pack, packedB: packB, transposedB: shape.transposeB && !packB)
    try locked {
      var (left, right) = (a, b)
      if pack {
        let panelRows = (shape.m + rowsPerItem - 1) / rowsPerItem * rowsPerItem
        left = try scratchBuffer(panelRows * shape.k)
        let packA = try self.kernel("pack_a_panels", options: options)
        try run(
          packA, "pack_a_panels", global: [shape.k, panelRows], local: [Self.lineSize(shape.k, packA), 1],
          [.int(shape.m), .int(shape.k), .int(shape.transposeA ? 1 : 0), .buffer(a), .buffer(left)])
      }
      if packB {
        let strips = (shape.n + 15) / 16
        right = try scratchBuffer(strips * 16 * shape.k, slot: 1)
        try run(
          try self.kernel("pack_b_panels", options: options), "pack_b_panels", global: [strips], local: [1],
          [.int(shape.n), .int(shape.k), .int(shape.transposeB ? 1 : 0), .buffer(b), .buffer(right)])
      }
      let (aRow, aColumn) = shape.transposeA ? (1, shape.m) : (shape.k, 1)
      try run(
        try self.kernel("gemm_wide", options: fused.options(after: options)), "gemm_wide",
        global: global, local: [1, 1],
        [
          .int(shape.m), .int(shape.n), .int(shape.k), .int(aRow), .int(aColumn), .float(shape.alpha),
          .float(shape.beta), .buffer(left), .buffer(right), .buffer(c),
        ] + fused.arguments)
    }
  }
}
