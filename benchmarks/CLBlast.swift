import COpenCL
import Descent
import DescentOpenCL
import Foundation

/// CLBlast's SGEMM (Debian's `libclblast1`) on one OpenCL device, as a peer of the OpenCL
/// backend's GEMM: the same shapes, timed the same way, on its own context and queue.
///
/// The library is loaded at run time (`dlopen`), so neither the build nor the test suite needs it;
/// without it the header says why the rows are missing. CLBlast runs with the parameters it ships
/// for the device, or with those its own tuner found (``tune(device:into:)``,
/// ``useParameters(_:)``).
struct CLBlastPeer {
  /// `CLBlastSgemm` from `clblast_c.h`: layout and transposes are C enums (ints), sizes `size_t`.
  private typealias Sgemm =
    @convention(c) (
      Int32, Int32, Int32, Int, Int, Int, Float, cl_mem?, Int, Int, cl_mem?, Int, Int, Float, cl_mem?, Int, Int,
      UnsafeMutablePointer<cl_command_queue?>?, UnsafeMutablePointer<cl_event?>?
    ) -> Int32
  /// `CLBlastOverrideParameters(device, kernel, precision, count, names, values)`.
  private typealias Override =
    @convention(c) (
      cl_device_id?, UnsafePointer<CChar>?, Int32, Int, UnsafeMutablePointer<UnsafePointer<CChar>?>?,
      UnsafePointer<Int>?
    ) -> Int32

  private static let rowMajor: Int32 = 101, transposeNo: Int32 = 111, transposeYes: Int32 = 112

  private let sgemm: Sgemm
  private let override: Override
  private let device: cl_device_id
  private let context: cl_context
  private let queue: cl_command_queue

  /// CLBlast on `device`. Throws a reason when it cannot run.
  init(device: OpenCLDevice) throws {
    guard let library = dlopen("libclblast.so.1", RTLD_NOW) else {
      throw Peers.PeerError(reason: "libclblast.so.1 not found (apt-get install libclblast1)")
    }
    guard let sgemm = dlsym(library, "CLBlastSgemm"), let override = dlsym(library, "CLBlastOverrideParameters") else {
      throw Peers.PeerError(reason: "libclblast.so.1 has no CLBlastSgemm")
    }
    self.sgemm = unsafeBitCast(sgemm, to: Sgemm.self)
    self.override = unsafeBitCast(override, to: Override.self)
    self.device = device.id
    var status: cl_int = 0
    var devices: [cl_device_id?] = [device.id]
    guard let context = clCreateContext(nil, 1, &devices, nil, nil, &status), status == CL_SUCCESS else {
      throw Peers.PeerError(reason: "clCreateContext failed (\(status))")
    }
    self.context = context
    guard let queue = clCreateCommandQueue(context, device.id, 0, &status), status == CL_SUCCESS else {
      throw Peers.PeerError(reason: "clCreateCommandQueue failed (\(status))")
    }
    self.queue = queue
  }

  /// Hands CLBlast tuned `Xgemm` parameters (names and values as its tuner writes them, e.g.
  /// `["GEMMK": 0, "MWG": 64, …]`) through `CLBlastOverrideParameters`.
  func useParameters(_ parameters: [String: Int]) throws {
    let names = parameters.keys.sorted()
    let values = names.map { parameters[$0]! }
    let copies = names.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    var pointers = copies.map { UnsafePointer($0) }
    let status = override(device, "Xgemm", 32, names.count, &pointers, values)
    guard status == 0 else { throw Peers.PeerError(reason: "CLBlastOverrideParameters(Xgemm) returned \(status)") }
  }

  /// The best `Xgemm` parameters in a file CLBlast's tuner wrote (`best_parameters`, as
  /// "GEMMK=0 KREG=1 …"), without `PRECISION`, which is not a kernel parameter.
  static func parameters(fromTunerFile path: String) throws -> [String: Int] {
    guard let data = FileManager.default.contents(atPath: path),
      let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      let best = json["best_parameters"] as? String
    else {
      throw Peers.PeerError(reason: "no CLBlast tuning in \(path)")
    }
    var parameters: [String: Int] = [:]
    for pair in best.split(separator: " ") {
      let parts = pair.split(separator: "=")
      guard parts.count == 2, let value = Int(parts[1]) else {
        throw Peers.PeerError(reason: "\(path): cannot read best_parameters entry '\(pair)'")
      }
      if parts[0] != "PRECISION" { parameters[String(parts[0])] = value }
    }
    return parameters
  }

  /// Runs CLBlast's own tuner (`clblast_tuner_xgemm`, Debian's clblast-utils) on `device` at
  /// 256³ and keeps its result in `path`. Only the tuner's first stage runs, the main `Xgemm`
  /// kernel over its fixed set of 578 parameter combinations (about 5 minutes on PoCL on 2 cores);
  /// the later stages search millions of combinations at random and are stopped.
  static func tune(device: OpenCLDevice, into path: String) throws {
    let tuner = "/usr/bin/clblast_tuner_xgemm"
    guard FileManager.default.isExecutableFile(atPath: tuner) else {
      throw Peers.PeerError(reason: "\(tuner) not found (apt-get install clblast-utils)")
    }
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("clblast-tuning-\(getpid())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tuner)
    process.arguments = [
      "-platform", "\(device.platformIndex)", "-device", "\(device.indexInPlatform)",
      "-precision", "32", "-m", "256", "-n", "256", "-k", "256", "-runs", "1",
    ]
    process.currentDirectoryURL = folder
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    let result = folder.appendingPathComponent("clblast_xgemm_1_32.json").path
    while process.isRunning && !FileManager.default.fileExists(atPath: result) { usleep(200_000) }
    usleep(500_000)  // the tuner writes the file in one go; let it finish
    if process.isRunning { process.terminate() }
    process.waitUntilExit()
    guard FileManager.default.fileExists(atPath: result) else {
      throw Peers.PeerError(reason: "clblast_tuner_xgemm wrote no result (exit \(process.terminationStatus))")
    }
    try FileManager.default.createDirectory(
      at: URL(fileURLWithPath: path).deletingLastPathComponent(),
      withIntermediateDirectories: true)
    try? FileManager.default.removeItem(atPath: path)
    try FileManager.default.copyItem(atPath: result, toPath: path)
  }

  /// GFLOP/s of `C = op(A)·op(B)` for `shape` (row-major, as the backends store matrices).
  func gemm(_ shape: GemmShape) throws -> Timing {
    let buffers = try [shape.m * shape.k, shape.k * shape.n, shape.m * shape.n].enumerated().map { index, count in
      var values = (0..<count).map { Float(($0 * 7 + index * 13) % 19) / 19 - 0.5 }
      var status: cl_int = 0
      let memory = clCreateBuffer(
        context, cl_mem_flags(CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR),
        count * MemoryLayout<Float>.size, &values, &status)
      guard let memory, status == CL_SUCCESS else { throw Peers.PeerError(reason: "clCreateBuffer failed (\(status))") }
      return memory
    }
    defer { buffers.forEach { clReleaseMemObject($0) } }
    let lda = shape.transposeA ? shape.m : shape.k, ldb = shape.transposeB ? shape.k : shape.n
    var queue: cl_command_queue? = self.queue
    return try Timing.measure(
      budget: Cases.gemmBudget(shape),
      {
        let status = sgemm(
          Self.rowMajor, shape.transposeA ? Self.transposeYes : Self.transposeNo,
          shape.transposeB ? Self.transposeYes : Self.transposeNo, shape.m, shape.n, shape.k,
          shape.alpha, buffers[0], 0, lda, buffers[1], 0, ldb, shape.beta, buffers[2], 0, shape.n,
          &queue, nil)
        guard status == 0 else { throw Peers.PeerError(reason: "CLBlastSgemm returned \(status)") }
      }, finish: { clFinish(queue) })
  }
}
