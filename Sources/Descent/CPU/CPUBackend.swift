import Foundation

/// The pure-Swift backend: runs every op on the calling thread's cores as soon as it is called, so
/// ``synchronize()`` has nothing to wait for. Loops are split across cores with Dispatch and written
/// for the compiler's SIMD vectorisation; GEMM is cache-blocked with packing, by the kernels of the best ``CPULevel``
/// the CPU has (`CPUBackend+Gemm.swift`).
///
/// Each op's Swift code is the twin of the OpenCL kernel of the same name in `kernels/`.
public final class CPUBackend: Backend {
  /// `"cpu"`, or `"cpu (N threads)"` for a backend limited to fewer than every core.
  public let name: String
  /// The most cores one op runs on.
  public var threads: Int { parallel.threads }
  let parallel: Parallel

  /// The instruction-set level of its kernels: ``CPULevel/chosen``, unless a test asked for
  /// another.
  public let level: CPULevel

  /// A backend whose ops use up to `threads` cores (clamped to 1...cores; default: every core).
  /// Give each of several backends that train at once a share, so they do not fight over cores.
  public convenience init(threads: Int? = nil) {
    self.init(threads: threads, level: .chosen)
  }

  /// A backend running `level`'s kernels, which the CPU must have (``CPULevel/supported``): for
  /// the suites that check every level.
  package init(threads: Int? = nil, level: CPULevel) {
    precondition(CPULevel.supported.contains(level), "this CPU lacks \(level.instructions)")
    self.level = level
    parallel = threads.map { Parallel.limited(to: $0) } ?? .all
    name =
      parallel.threads < Parallel.cores ? "cpu (\(parallel.threads) thread\(parallel.threads == 1 ? "" : "s"))" : "cpu"
  }

  deinit {
    if let pool = parallel.pool, pool !== WorkerPool.shared { WorkerPool.giveBack(pool) }
  }

  public func allocate(_ count: Int) throws -> DeviceBuffer {
    try Check.nonNegative("allocate", "count", count)
    return try CPUBuffer(count: count)
  }

  public func allocateParts(_ counts: [Int]) throws -> (whole: DeviceBuffer, parts: [DeviceBuffer]) {
    // 16 floats: every part starts on a cache line, as `allocate`'s buffers do.
    let layout = try PartsLayout(counts, alignment: 16, device: name)
    let whole = try CPUBuffer(count: layout.total)
    whole.pointer.initialize(repeating: 0, count: layout.total)
    let parts = zip(layout.offsets, counts).map { CPUBuffer(partOf: whole, offset: $0, count: $1) }
    return (whole, parts)
  }

  public func upload(_ values: [Float], to buffer: DeviceBuffer) throws {
    let target = try cpu(buffer, "upload")
    guard values.count == target.count else {
      throw BackendError.shapeMismatch(
        op: "upload", detail: "\(values.count) values for a buffer of \(target.count)")
    }
    values.withUnsafeBufferPointer { source in
      target.pointer.update(from: source.baseAddress!, count: values.count)
    }
  }

  public func uploadRows(_ rows: [Int], of values: [Float], width: Int, to buffer: DeviceBuffer) throws {
    try Check.rows(rows, of: values, width: width, into: buffer)
    let target = try cpu(buffer, "uploadRows").pointer
    values.withUnsafeBufferPointer { source in
      let source = source.baseAddress!
      // Rows of a shuffled batch sit anywhere in the data set, mostly in memory rather than the
      // caches: each core copies four rows at once, so four streams of misses overlap.
      parallel.rowChunks(rows.count, width: width) { range in
        var index = range.lowerBound
        while index + 4 <= range.upperBound {
          Self.copyRows(
            source + rows[index] * width, source + rows[index + 1] * width, source + rows[index + 2] * width,
            source + rows[index + 3] * width, to: target + index * width, width: width)
          index += 4
        }
        for index in index..<range.upperBound {
          (target + index * width).update(from: source + rows[index] * width, count: width)
        }
      }
    }
  }

  /// Copies the rows at `s0`…`s3` to four consecutive rows at `target`, interleaved.
  private static func copyRows(
    _ s0: UnsafePointer<Float>, _ s1: UnsafePointer<Float>, _ s2: UnsafePointer<Float>,
    _ s3: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, width: Int
  ) {
    let (t0, t1, t2, t3) = (target, target + width, target + 2 * width, target + 3 * width)
    var column = 0
    while column + Lanes.width <= width {
      let values = (Lanes.load(s0, column), Lanes.load(s1, column), Lanes.load(s2, column), Lanes.load(s3, column))
      Lanes.store(values.0, t0, column)
      Lanes.store(values.1, t1, column)
      Lanes.store(values.2, t2, column)
      Lanes.store(values.3, t3, column)
      column += Lanes.width
    }
    for column in column..<width {
      (t0[column], t1[column], t2[column], t3[column]) = (s0[column], s1[column], s2[column], s3[column])
    }
  }

  public func download(_ buffer: DeviceBuffer) throws -> [Float] {
    let source = try cpu(buffer, "download")
    try HostMemory.check(source.count)
    return Array(UnsafeBufferPointer(start: source.pointer, count: source.count))
  }

  public func synchronize() throws {}

  public func fill(_ buffer: DeviceBuffer, with value: Float) throws {
    let target = try cpu(buffer, "fill")
    parallel.chunks(target.count) { range in
      (target.pointer + range.lowerBound).update(repeating: value, count: range.count)
    }
  }

  /// The CPU buffer behind `buffer`, or an error naming `op` if another backend made it.
  func cpu(_ buffer: DeviceBuffer, _ op: String) throws -> CPUBuffer {
    guard let buffer = buffer as? CPUBuffer else {
      throw BackendError.foreignBuffer(op: op, backend: name)
    }
    return buffer
  }
}

/// Floats in host memory, 64-byte aligned so SIMD loads of packed panels are aligned.
final class CPUBuffer: DeviceBuffer, @unchecked Sendable {
  // @unchecked: the pointer never changes; ops on one backend are not run concurrently on the same
  // buffer unless the caller does so, as with any array of floats shared between threads.
  let count: Int
  let pointer: UnsafeMutablePointer<Float>
  /// The buffer this one is a part of (``CPUBackend/allocateParts(_:)``), which owns the memory.
  private let owner: CPUBuffer?

  /// Allocates `count` floats, 64-byte aligned. More than the machine's physical memory, or a
  /// request the allocator refuses, is ``BackendError/outOfMemory(bytes:device:reason:)`` rather
  /// than a trap (Linux overcommits: a larger buffer would be killed when first touched).
  init(count: Int) throws {
    self.count = count
    pointer = try Self.alignedFloats(count)
    owner = nil
  }

  /// `count` uninitialised floats at a 64-byte boundary (free with `free`), or
  /// ``BackendError/outOfMemory(bytes:device:reason:)``: buffers and the kernels' scratch space
  /// (GEMM packing) are sized from input, so none may trap on a refused allocation.
  static func alignedFloats(_ count: Int) throws -> UnsafeMutablePointer<Float> {
    let physical = physicalMemoryBytes
    guard count >= 0, count <= physical / MemoryLayout<Float>.stride else {
      let bytes = count.multipliedReportingOverflow(by: MemoryLayout<Float>.stride)
      throw BackendError.outOfMemory(
        bytes: bytes.overflow ? Int.max : bytes.partialValue, device: "cpu",
        reason: "more than the machine's \(physical >> 20) MiB of memory")
    }
    var memory: UnsafeMutableRawPointer?
    let bytes = max(1, count) * MemoryLayout<Float>.stride
    guard posix_memalign(&memory, 64, bytes) == 0, let memory else {
      throw BackendError.outOfMemory(bytes: bytes, device: "cpu", reason: "the allocator refused")
    }
    return memory.bindMemory(to: Float.self, capacity: max(1, count))
  }

  /// The `count` floats of `whole` from `offset` on.
  init(partOf whole: CPUBuffer, offset: Int, count: Int) {
    precondition(
      offset >= 0 && count >= 0 && offset + count <= whole.count, "part \(offset)+\(count) of \(whole.count)")
    self.count = count
    pointer = whole.pointer + offset
    owner = whole
  }

  deinit { if owner == nil { free(pointer) } }

  /// The machine's physical memory, read once.
  private static let physicalMemoryBytes = Int(sysconf(Int32(_SC_PHYS_PAGES))) * Int(sysconf(Int32(_SC_PAGESIZE)))
}
