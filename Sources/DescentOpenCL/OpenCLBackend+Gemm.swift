import Descent

/// The tile sizes `kernels/gemm.cl`'s `gemm` is built with on one device (its `-D` options).
public struct GemmTiles: Codable, Equatable, Sendable, CustomStringConvertible {
  public let tileM, tileN, tileK, workPerThreadM, workPerThreadN: Int

  /// Work-items per group: `(tileN/wptN) × (tileM/wptM)`.
  var workGroupSize: Int { (tileN / workPerThreadN) * (tileM / workPerThreadM) }
  var localSize: [Int] { [tileN / workPerThreadN, tileM / workPerThreadM] }
  var localMemoryBytes: Int { 4 * tileK * (tileM + 1 + tileN + 1) }

  var buildOptions: String {
    "-DTILE_M=\(tileM) -DTILE_N=\(tileN) -DTILE_K=\(tileK) -DWPT_M=\(workPerThreadM) -DWPT_N=\(workPerThreadN)"
  }

  public var description: String { "\(tileM)x\(tileN)x\(tileK), \(workPerThreadM)x\(workPerThreadN) per work-item" }

  /// From largest to smallest; the first that fits the device is used.
  static let candidates = [
    GemmTiles(tileM: 64, tileN: 64, tileK: 16, workPerThreadM: 4, workPerThreadN: 4),
    GemmTiles(tileM: 32, tileN: 32, tileK: 16, workPerThreadM: 4, workPerThreadN: 4),
    GemmTiles(tileM: 16, tileN: 16, tileK: 8, workPerThreadM: 4, workPerThreadN: 4),
  ]

  /// The largest candidate whose work-group and local memory fit the device's limits.
  static func choose(for device: OpenCLDevice) -> GemmTiles {
    candidates.first {
      $0.workGroupSize <= device.maxWorkGroupSize && UInt64($0.localMemoryBytes) <= device.localMemoryBytes
    } ?? candidates[candidates.count - 1]
  }
}

extension OpenCLBackend {
  public func gemm(_ shape: GemmShape, _ a: DeviceBuffer, _ b: DeviceBuffer, into c: DeviceBuffer) throws {
    try shape.validate(a, b, c)
    let (a, b, c) = (try cl(a, "gemm"), try cl(b, "gemm"), try cl(c, "gemm"))
    guard shape.m > 0, shape.n > 0 else { return }
    let choice = locked { gemmChoice }
    if device.kind == .cpu { return try wideGemm(shape, a, b, c, rowsPerItem: choice.wideRows) }
    let tiles = choice.tiles
    let kernel = try self.kernel("gemm", options: tiles.buildOptions)
    guard kernel.maxWorkGroupSize >= tiles.workGroupSize else {
      throw OpenCLError.call(
        "gemm with tiles \(tiles) (needs \(tiles.workGroupSize) work-items, kernel allows \(kernel.maxWorkGroupSize))",
        status: -54, device: name)
    }
    let groups = [(shape.n + tiles.tileN - 1) / tiles.tileN, (shape.m + tiles.tileM - 1) / tiles.tileM]
    try run(kernel, "gemm", global: zip(groups, tiles.localSize).map(*), local: tiles.localSize, [
      .int(shape.m), .int(shape.n), .int(shape.k), .int(shape.transposeA ? 1 : 0),
      .int(shape.transposeB ? 1 : 0), .float(shape.alpha), .float(shape.beta),
      .buffer(a), .buffer(b), .buffer(c),
    ])
  }

  /// Work-items per group along a row for the copying kernels: 64, or fewer for a short row or a
  /// kernel that allows fewer. Groups of 16 left PoCL with tens of thousands of tiny groups (the
  /// transpose before 128×256×128 ABᵀ: 40 → 70 GFLOP/s with 64; 1024³'s packing: 155 → 187).
  private static func lineSize(_ length: Int, _ kernel: Kernel) -> Int {
    max(1, min(64, length, kernel.maxWorkGroupSize))
  }

  /// `gemm_wide` for CPU devices, where PoCL keeps each work-item's float16 accumulators in
  /// registers. For products of 100 MFLOP or more op(A) is packed into `rowsPerItem`-row panels
  /// first; a transposed B is transposed; both into scratch buffers under the lock so no other op
  /// reuses them meanwhile. `rowsPerItem` is 12 unless tuned: it measured best on PoCL 3.1 on a
  /// Zen 4 CPU (time over the benchmark shapes: 4 rows 32.0 ms, 6: 22.8, 8: 16.9, 12: 14.6, 16: 25.5).
  /// One work-item per group, so PoCL does not also vectorise across work-items.
  private func wideGemm(_ shape: GemmShape, _ a: OpenCLBuffer, _ b: OpenCLBuffer, _ c: OpenCLBuffer,
                        rowsPerItem: Int) throws {
    let global = [(shape.m + rowsPerItem - 1) / rowsPerItem, (shape.n + 15) / 16]
    // Packing A pays for itself only on large products (it removes L1 aliasing of A's rows).
    let packA = shape.flops >= 1e8 && shape.k > 0
    let options = "-DWIDE_M=\(rowsPerItem)" + (packA ? " -DPACKED_A" : "")
    try locked {
      var left = a
      if packA {
        let panelRows = (shape.m + rowsPerItem - 1) / rowsPerItem * rowsPerItem
        left = try scratchBuffer(panelRows * shape.k)
        let pack = try self.kernel("pack_a_panels", options: options)
        try run(pack, "pack_a_panels", global: [shape.k, panelRows], local: [Self.lineSize(shape.k, pack), 1],
                [.int(shape.m), .int(shape.k), .int(shape.transposeA ? 1 : 0), .buffer(a), .buffer(left)])
      }
      var right = b
      if shape.transposeB, shape.k > 0 {
        right = try scratchBuffer(shape.k * shape.n, slot: 1)
        let transpose = try self.kernel("transpose")
        try run(transpose, "transpose", global: [shape.k, shape.n], local: [Self.lineSize(shape.k, transpose), 1],
                [.int(shape.n), .int(shape.k), .buffer(b), .buffer(right)])
      }
      let (aRow, aColumn) = shape.transposeA ? (1, shape.m) : (shape.k, 1)
      try run(try self.kernel("gemm_wide", options: options), "gemm_wide", global: global, local: [1, 1], [
        .int(shape.m), .int(shape.n), .int(shape.k), .int(aRow), .int(aColumn), .float(shape.alpha),
        .float(shape.beta), .buffer(left), .buffer(right), .buffer(c),
      ])
    }
  }
}
