import COpenCL
import Descent
import Foundation

/// CLBlast's SGEMM (Debian's `libclblast1`) on one OpenCL device, as a peer of the OpenCL
/// backend's GEMM: the same shapes, timed the same way, on its own context and queue.
///
/// The library is loaded at run time (`dlopen`), so neither the build nor the test suite needs it;
/// without it the header says why the rows are missing. CLBlast runs with the parameters it ships
/// for the device, unless `CLBlastOverrideParameters` was given tuned ones (see ``tuned``).
struct CLBlastPeer {
  /// `CLBlastSgemm` from `clblast_c.h`: layout and transposes are C enums (ints), sizes `size_t`.
  private typealias Sgemm = @convention(c) (
    Int32, Int32, Int32, Int, Int, Int, Float, cl_mem?, Int, Int, cl_mem?, Int, Int, Float, cl_mem?, Int, Int,
    UnsafeMutablePointer<cl_command_queue?>?, UnsafeMutablePointer<cl_event?>?
  ) -> Int32
  /// `CLBlastOverrideParameters(device, kernel, precision, count, names, values)`.
  private typealias Override = @convention(c) (
    cl_device_id?, UnsafePointer<CChar>?, Int32, Int, UnsafeMutablePointer<UnsafePointer<CChar>?>?,
    UnsafePointer<Int>?
  ) -> Int32

  private static let rowMajor: Int32 = 101, transposeNo: Int32 = 111, transposeYes: Int32 = 112

  private let sgemm: Sgemm
  private let override: Override
  private let device: cl_device_id
  private let context: cl_context
  private var queue: cl_command_queue?

  /// CLBlast on the `index`-th OpenCL device, counted as `OpenCLDevice.all()` counts (platforms
  /// in order, each platform's devices in order). Throws a reason when it cannot run.
  init(deviceIndex index: Int) throws {
    guard let library = dlopen("libclblast.so.1", RTLD_NOW) else {
      throw Peers.PeerError(reason: "libclblast.so.1 not found (apt-get install libclblast1)")
    }
    guard let sgemm = dlsym(library, "CLBlastSgemm"), let override = dlsym(library, "CLBlastOverrideParameters") else {
      throw Peers.PeerError(reason: "libclblast.so.1 has no CLBlastSgemm")
    }
    self.sgemm = unsafeBitCast(sgemm, to: Sgemm.self)
    self.override = unsafeBitCast(override, to: Override.self)
    guard let device = Self.deviceIDs().dropFirst(index).first else {
      throw Peers.PeerError(reason: "no OpenCL device \(index)")
    }
    self.device = device
    var status: cl_int = 0
    var devices: [cl_device_id?] = [device]
    guard let context = clCreateContext(nil, 1, &devices, nil, nil, &status), status == CL_SUCCESS else {
      throw Peers.PeerError(reason: "clCreateContext failed (\(status))")
    }
    self.context = context
    guard let queue = clCreateCommandQueue(context, device, 0, &status), status == CL_SUCCESS else {
      throw Peers.PeerError(reason: "clCreateCommandQueue failed (\(status))")
    }
    self.queue = queue
  }

  /// Hands CLBlast tuned `Xgemm` parameters (names and values as its tuner prints them, e.g.
  /// `["GEMMK": 0, "MWG": 64, …]`), as `CLBlastOverrideParameters` does for a tuner's result.
  func tuned(_ parameters: [String: Int]) throws {
    let names = parameters.keys.sorted()
    let values = names.map { parameters[$0]! }
    let copies = names.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    var pointers = copies.map { UnsafePointer($0) }
    let status = override(device, "Xgemm", 32, names.count, &pointers, values)
    guard status == 0 else { throw Peers.PeerError(reason: "CLBlastOverrideParameters(Xgemm) returned \(status)") }
  }

  /// GFLOP/s of `C = op(A)·op(B)` for `shape` (row-major, as the backends store matrices).
  mutating func gemm(_ shape: GemmShape) throws -> Timing {
    let buffers = try [shape.m * shape.k, shape.k * shape.n, shape.m * shape.n].enumerated().map { index, count in
      var values = (0..<count).map { Float(($0 * 7 + index * 13) % 19) / 19 - 0.5 }
      var status: cl_int = 0
      let memory = clCreateBuffer(context, cl_mem_flags(CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR),
                                  count * MemoryLayout<Float>.size, &values, &status)
      guard let memory, status == CL_SUCCESS else { throw Peers.PeerError(reason: "clCreateBuffer failed (\(status))") }
      return memory
    }
    defer { buffers.forEach { clReleaseMemObject($0) } }
    let lda = shape.transposeA ? shape.m : shape.k, ldb = shape.transposeB ? shape.k : shape.n
    return try Timing.measure(budget: shape.flops > 4e9 ? 4 : 1.5) {
      let status = sgemm(Self.rowMajor, shape.transposeA ? Self.transposeYes : Self.transposeNo,
                         shape.transposeB ? Self.transposeYes : Self.transposeNo, shape.m, shape.n, shape.k,
                         shape.alpha, buffers[0], 0, lda, buffers[1], 0, ldb, shape.beta, buffers[2], 0, shape.n,
                         &queue, nil)
      guard status == 0 else { throw Peers.PeerError(reason: "CLBlastSgemm returned \(status)") }
      clFinish(queue)
    }
  }

  /// Every device of every platform, in `OpenCLDevice.all()`'s order.
  private static func deviceIDs() -> [cl_device_id] {
    var platformCount: cl_uint = 0
    guard clGetPlatformIDs(0, nil, &platformCount) == CL_SUCCESS, platformCount > 0 else { return [] }
    var platforms = [cl_platform_id?](repeating: nil, count: Int(platformCount))
    clGetPlatformIDs(platformCount, &platforms, nil)
    return platforms.flatMap { platform -> [cl_device_id] in
      var count: cl_uint = 0
      guard clGetDeviceIDs(platform, cl_device_type(CL_DEVICE_TYPE_ALL), 0, nil, &count) == CL_SUCCESS else { return [] }
      var ids = [cl_device_id?](repeating: nil, count: Int(count))
      clGetDeviceIDs(platform, cl_device_type(CL_DEVICE_TYPE_ALL), count, &ids, nil)
      return ids.compactMap { $0 }
    }
  }
}
