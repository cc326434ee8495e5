import COpenCL
import Descent
import Foundation
import Synchronization

/// The OpenCL context and in-order command queue of one device, shared by every ``OpenCLBackend``
/// on that device for the life of the process, with its programs: each `kernels/*.cl` file is built
/// at most once per set of build options, on first use.
final class SharedContext: @unchecked Sendable {
  // @unchecked: `context` and `queue` never change (OpenCL queues may be used from any thread) and
  // `programs` is only touched under `lock`.
  let device: OpenCLDevice
  let context: cl_context
  /// The one queue every backend on the device enqueues to, in order: backends on other threads
  /// (`descent tune --workers N`) take turns on the device instead of running kernels at once
  /// from several queues, which PoCL 5.0 did not survive (see ``forDevice(_:)``).
  let queue: cl_command_queue
  private var programs: [String: cl_program] = [:]
  private let lock = NSLock()

  private static let contexts = Mutex<[UInt: SharedContext]>([:])
  private static let creations = Mutex<[UInt: Int]>([:])
  private let buildCounts = Mutex<[String: Int]>([:])

  /// The context and queue for `device`, created on first use. One per device and process: PoCL 5.0
  /// aborted (`pocl_release_dlhandle_cache`) when several backends on one device ran one kernel
  /// from different threads, and every context builds its programs again.
  static func forDevice(_ device: OpenCLDevice) throws -> SharedContext {
    try contexts.withLock { contexts in
      if let existing = contexts[device.idBits] { return existing }
      let created = try SharedContext(device: device)
      contexts[device.idBits] = created
      return created
    }
  }

  /// How many OpenCL contexts (each with its queue) this process has created on `device`: how tests
  /// check that backends share one.
  package static func contextsCreated(on device: OpenCLDevice) -> Int {
    creations.withLock { $0[device.idBits] ?? 0 }
  }

  /// How many times this context has built `file` with `options` (`clBuildProgram` calls): once at
  /// most, however many backends and threads use it.
  package func builds(_ file: String, options: String) -> Int {
    buildCounts.withLock { $0[file + "|" + options] ?? 0 }
  }

  private init(device: OpenCLDevice) throws {
    self.device = device
    var status: cl_int = 0
    var id: cl_device_id? = device.id
    guard let context = clCreateContext(nil, 1, &id, nil, nil, &status), status == CL_SUCCESS else {
      throw OpenCLError.call("clCreateContext", status: status, device: device.description)
    }
    guard let queue = clCreateCommandQueue(context, device.id, 0, &status), status == CL_SUCCESS else {
      clReleaseContext(context)
      throw OpenCLError.call("clCreateCommandQueue", status: status, device: device.description)
    }
    self.context = context
    self.queue = queue
    Self.creations.withLock { $0[device.idBits, default: 0] += 1 }
  }

  /// The build options every kernel of a file needs: the names of the cases a kernel tells apart
  /// by code (``KernelCoded``).
  static let fileOptions: [String: String] = [
    "reduce.cl": ReduceOp.kernelDefines, "loss.cl": PointwiseLoss.kernelDefines,
  ]

  /// The file that every other kernel file is built after (its shared macros).
  static let prelude = "prelude.cl"

  /// `source` of `file` after ``prelude``, with a `#line` so a build log names `file`'s own lines.
  static func withPrelude(_ file: String, _ source: String) -> String {
    guard file != prelude, let shared = KernelSources.files[prelude] else { return source }
    return shared + "\n#line 1 \"\(file)\"\n" + source
  }

  /// Which file defines each kernel, read from the embedded sources (`__kernel void NAME(`).
  static let kernelFiles: [String: String] = {
    var files: [String: String] = [:]
    for (file, source) in KernelSources.files {
      for line in source.split(separator: "\n") {
        guard let range = line.range(of: "void ") else { continue }
        let isKernel = line.hasPrefix("__kernel") || line.hasPrefix("void ")
        guard isKernel else { continue }
        let name = line[range.upperBound...].prefix { $0.isLetter || $0.isNumber || $0 == "_" }
        if !name.isEmpty { files[String(name)] = file }
      }
    }
    return files
  }()

  /// The built program of `file` with `options`, building it on first use. A failed build throws
  /// ``OpenCLError/build(file:device:log:)`` with the device compiler's log.
  func program(_ file: String, options: String) throws -> cl_program {
    lock.lock()
    defer { lock.unlock() }
    let key = file + "|" + options
    if let program = programs[key] { return program }
    guard let source = KernelSources.files[file] else {
      throw OpenCLError.build(file: file, device: device.description, log: "no such embedded kernel file")
    }
    var status: cl_int = 0
    let program = Self.withPrelude(file, source).withCString { text -> cl_program? in
      var pointer: UnsafePointer<CChar>? = text
      return clCreateProgramWithSource(context, 1, &pointer, nil, &status)
    }
    guard let program, status == CL_SUCCESS else {
      throw OpenCLError.call("clCreateProgramWithSource(\(file))", status: status, device: device.description)
    }
    var id: cl_device_id? = device.id
    let built = clBuildProgram(program, 1, &id, options + (device.hasHardwareFMA ? " -DHARDWARE_FMA" : ""), nil, nil)
    buildCounts.withLock { $0[key, default: 0] += 1 }
    if built != CL_SUCCESS {
      let log =
        (try? infoString {
          clGetProgramBuildInfo(program, device.id, cl_program_build_info(CL_PROGRAM_BUILD_LOG), $0, $1, $2)
        }) ?? ""
      clReleaseProgram(program)
      if built == CL_BUILD_PROGRAM_FAILURE {
        throw OpenCLError.build(file: file, device: device.description, log: log)
      }
      throw OpenCLError.call("clBuildProgram(\(file) \(options))", status: built, device: device.description)
    }
    programs[key] = program
    return program
  }
}
