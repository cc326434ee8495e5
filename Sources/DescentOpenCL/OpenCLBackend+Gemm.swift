import Descent

/// The tile sizes `kernels/gemm.cl` is built with on one device (its `-D` options).
struct GemmTiles: Equatable, CustomStringConvertible {
  let tileM, tileN, tileK, workPerThreadM, workPerThreadN: Int

  /// Work-items per group: `(tileN/wptN) × (tileM/wptM)`.
  var workGroupSize: Int { (tileN / workPerThreadN) * (tileM / workPerThreadM) }
  var localSize: [Int] { [tileN / workPerThreadN, tileM / workPerThreadM] }
  var localMemoryBytes: Int { 4 * tileK * (tileM + 1 + tileN + 1) }

  var buildOptions: String {
    "-DTILE_M=\(tileM) -DTILE_N=\(tileN) -DTILE_K=\(tileK) -DWPT_M=\(workPerThreadM) -DWPT_N=\(workPerThreadN)"
  }

  var description: String { "\(tileM)x\(tileN)x\(tileK), \(workPerThreadM)x\(workPerThreadN) per work-item" }

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
    let tiles = gemmTiles
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
}
