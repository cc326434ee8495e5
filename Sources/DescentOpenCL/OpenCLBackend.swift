import COpenCL
import Descent
import Foundation

/// Runs every op as an OpenCL kernel from `kernels/` on one device, queued in order on the device's
/// command queue (one per device and process, shared by its backends): ops return once queued, and
/// only ``download(_:)`` and ``synchronize()`` wait — for everything queued before, by any backend
/// on the device.
///
/// Nothing here is specific to one driver: work-group sizes and GEMM tiles come from device queries,
/// and every kernel guards sizes that are not multiples of its tiles. Every failing OpenCL call
/// throws ``OpenCLError`` naming the call, the status and the device.
public final class OpenCLBackend: Backend, @unchecked Sendable {
  // @unchecked: the queue, kernels and scratch buffer are used under `lock` (recursive, so an op
  // that queues several kernels can hold it across them), and OpenCL objects may be shared.
  public let device: OpenCLDevice
  public let name: String
  let shared: SharedContext
  var queue: cl_command_queue { shared.queue }
  /// Which family of kernel variants this backend picks from (the device's own unless overridden).
  public let profile: KernelProfile
  /// The kernels and launch sizes in use: the GEMM variant from the tuning cache when
  /// `descent-benchmarks --tune` measured this device and profile, else chosen from its limits.
  /// Read and written under the lock.
  var choices: KernelChoices
  /// The GEMM variant in use (tests count the launches it makes).
  package var gemmVariant: GemmVariant { locked { choices.gemm } }
  private var kernels: [String: Kernel] = [:]
  private var scratch: [Int: OpenCLBuffer] = [:]
  private let lock = NSRecursiveLock()
  /// Kernels queued so far (every `clEnqueueNDRangeKernel`): how tests and benchmarks count the
  /// launches of a training step.
  package var launches: Int { locked { launchCount } }
  private var launchCount = 0
  /// The kernels built so far, by name: each is built on its op's first call, just before its
  /// first launch. How tests check that a set of cases reaches every kernel.
  package var builtKernels: Set<String> { locked { Set(kernels.values.map(\.name)) } }
  /// Every kernel `kernels/` defines.
  package static var kernelNames: Set<String> { Set(SharedContext.kernelFiles.keys) }

  /// A backend on the device `selector` names; by default the `DESCENT_DEVICE` environment
  /// variable's choice, else the first GPU, else the first device.
  public convenience init(_ selector: DeviceSelector = .fromEnvironment()) throws {
    try self.init(device: OpenCLDevice.select(selector))
  }

  /// A backend on `device`, on its shared context and queue, choosing kernels as `profile` says (by
  /// default `DESCENT_KERNEL_PROFILE`'s profile, else the device's own; see ``KernelProfile``).
  /// - Throws: ``OpenCLError/invalidProfile(_:)`` for an unknown `DESCENT_KERNEL_PROFILE`;
  ///   ``OpenCLError/call(_:status:device:)`` if the context or queue cannot be created.
  public convenience init(device: OpenCLDevice, profile: KernelProfile? = nil) throws {
    let profile = try profile ?? KernelProfile.fromEnvironment(for: device)
    var choices = KernelChoices.defaults(for: device, profile: profile)
    if let tuned = GemmTuningCache.load(for: device, profile: profile) { choices.gemm = tuned }
    try self.init(device: device, profile: profile, choices: choices)
  }

  /// A backend on `device` that launches exactly as `choices` says, for running every kernel
  /// variant on every device (tests, `scripts/gpu-run.sh`); `profile` only names the family.
  /// - Throws: ``OpenCLError/unfitVariant(_:device:reason:)`` if `choices.gemm` cannot run on
  ///   `device`, ``OpenCLError/call(_:status:device:)`` if the context or queue cannot be created.
  public init(device: OpenCLDevice, profile: KernelProfile, choices: KernelChoices) throws {
    if case let .tiled(tiles) = choices.gemm, let reason = tiles.unfitReason(on: device) {
      throw OpenCLError.unfitVariant(choices.gemm.description, device: device.description, reason: reason)
    }
    self.device = device
    self.profile = profile
    self.choices = choices
    // The name tells a profile other than the device's own, and choices other than the profile's.
    var suffix = profile == KernelProfile(nativeTo: device) ? "" : " (\(profile.rawValue) kernels)"
    if choices != KernelChoices.defaults(for: device, profile: profile) { suffix += " [\(choices)]" }
    name = "opencl:\(device.platform):\(device.name)\(suffix)"
    shared = try SharedContext.forDevice(device)
  }

  deinit {
    for kernel in kernels.values { clReleaseKernel(kernel.handle) }
  }

  // MARK: Memory

  public func allocate(_ count: Int) throws -> DeviceBuffer {
    try OpenCLBuffer(count: count, backend: self)
  }

  public func allocateParts(_ counts: [Int]) throws -> (whole: DeviceBuffer, parts: [DeviceBuffer]) {
    let floats = max(1, device.baseAddressAlignment / MemoryLayout<Float>.size)
    let layout = try PartsLayout(counts, alignment: floats, device: name)
    let whole = try OpenCLBuffer(count: layout.total, backend: self)
    try fill(whole, with: 0)
    let parts = try zip(layout.offsets, counts).map { offset, count in
      // OpenCL has no empty sub-buffer: an empty part is a buffer of its own.
      count == 0
        ? try OpenCLBuffer(count: 0, backend: self)
        : try OpenCLBuffer(partOf: whole, offset: offset, count: count, backend: self)
    }
    return (whole, parts)
  }

  public func upload(_ values: [Float], to buffer: DeviceBuffer) throws {
    let target = try cl(buffer, "upload")
    guard values.count == target.count else {
      throw BackendError.shapeMismatch(op: "upload", detail: "\(values.count) values for a buffer of \(target.count)")
    }
    guard !values.isEmpty else { return }
    try locked {
      try check(
        values.withUnsafeBytes {
          clEnqueueWriteBuffer(queue, target.memory, cl_bool(CL_TRUE), 0, $0.count, $0.baseAddress, 0, nil, nil)
        }, "clEnqueueWriteBuffer(\(values.count) floats)", device: name)
    }
  }

  public func download(_ buffer: DeviceBuffer) throws -> [Float] {
    let source = try cl(buffer, "download")
    try HostMemory.check(source.count)
    var values = [Float](repeating: 0, count: source.count)
    guard source.count > 0 else { return values }
    try locked {
      try check(
        values.withUnsafeMutableBytes {
          clEnqueueReadBuffer(queue, source.memory, cl_bool(CL_TRUE), 0, $0.count, $0.baseAddress, 0, nil, nil)
        }, "clEnqueueReadBuffer(\(source.count) floats)", device: name)
    }
    return values
  }

  public func synchronize() throws {
    try locked { try check(clFinish(queue), "clFinish", device: name) }
  }

  public func fill(_ buffer: DeviceBuffer, with value: Float) throws {
    let target = try cl(buffer, "fill")
    try run("fill", count: target.count, [.int(target.count), .float(value), .buffer(target)])
  }

  // MARK: Launching kernels

  /// A kernel argument, set with `clSetKernelArg` in order.
  enum Argument {
    case buffer(OpenCLBuffer)
    case int(Int)
    case float(Float)
    /// A 64-bit value passed as OpenCL `uint2` (low word first).
    case uint2(UInt64)
    /// Local memory of this many bytes.
    case local(bytes: Int)
  }

  struct Kernel {
    let name: String
    let handle: cl_kernel
    /// `CL_KERNEL_WORK_GROUP_SIZE`: the most work-items one group of this kernel may have here.
    let maxWorkGroupSize: Int
  }

  /// One work-item per element (`count` of them) in groups of ``groupSize(_:)``; `options` as
  /// for ``kernel(_:options:)``.
  func run(_ name: String, count: Int, options: String = "", _ arguments: [Argument]) throws {
    guard count > 0 else { return }
    let kernel = try self.kernel(name, options: options)
    let local = groupSize(kernel)
    try run(kernel, name, global: [count], local: [local], arguments)
  }

  /// The most work-items per group for `kernel`: the choices' group size, or the kernel's limit.
  func groupSize(_ kernel: Kernel) -> Int {
    max(1, min(locked { choices.groupSize }, kernel.maxWorkGroupSize))
  }

  /// Queues `kernel` with the global size rounded up to whole work-groups of `local`.
  func run(_ kernel: Kernel, _ name: String, global: [Int], local: [Int], _ arguments: [Argument]) throws {
    try locked {
      for (index, argument) in arguments.enumerated() {
        let status: cl_int
        switch argument {
        case let .buffer(buffer):
          var memory: cl_mem? = buffer.memory
          status = clSetKernelArg(kernel.handle, cl_uint(index), MemoryLayout<cl_mem?>.size, &memory)
        case let .int(value):
          var value = cl_int(value)
          status = clSetKernelArg(kernel.handle, cl_uint(index), MemoryLayout<cl_int>.size, &value)
        case let .float(value):
          var value = value
          status = clSetKernelArg(kernel.handle, cl_uint(index), MemoryLayout<Float>.size, &value)
        case let .uint2(value):
          var words = (UInt32(truncatingIfNeeded: value), UInt32(truncatingIfNeeded: value >> 32))
          status = clSetKernelArg(kernel.handle, cl_uint(index), 8, &words)
        case let .local(bytes):
          status = clSetKernelArg(kernel.handle, cl_uint(index), bytes, nil)
        }
        try check(status, "clSetKernelArg(\(name), \(index))", device: self.name)
      }
      var globalSize = zip(global, local).map { ($0 + $1 - 1) / $1 * $1 }
      var localSize = local
      try check(
        clEnqueueNDRangeKernel(queue, kernel.handle, cl_uint(global.count), nil, &globalSize, &localSize, 0, nil, nil),
        "clEnqueueNDRangeKernel(\(name), global \(globalSize), local \(localSize))", device: self.name)
      launchCount += 1
    }
  }

  /// The kernel `name` from the file that defines it, built with `options`, created once.
  func kernel(_ name: String, options: String = "") throws -> Kernel {
    try locked {
      let key = options.isEmpty ? name : "\(name) \(options)"
      if let kernel = kernels[key] { return kernel }
      guard let file = SharedContext.kernelFiles[name] else {
        throw OpenCLError.call("clCreateKernel(\(name))", status: CL_INVALID_KERNEL_NAME, device: self.name)
      }
      let program = try shared.program(
        file,
        options: [SharedContext.fileOptions[file], options].compactMap { $0 }
          .filter { !$0.isEmpty }.joined(separator: " "))
      var status: cl_int = 0
      guard let handle = clCreateKernel(program, name, &status), status == CL_SUCCESS else {
        throw OpenCLError.call("clCreateKernel(\(name))", status: status, device: self.name)
      }
      var size = 0
      try check(
        clGetKernelWorkGroupInfo(
          handle, device.id, cl_kernel_work_group_info(CL_KERNEL_WORK_GROUP_SIZE),
          MemoryLayout<Int>.size, &size, nil),
        "clGetKernelWorkGroupInfo(\(name))", device: self.name)
      let kernel = Kernel(name: name, handle: handle, maxWorkGroupSize: max(1, size))
      kernels[key] = kernel
      return kernel
    }
  }

  /// A device buffer of at least `count` floats kept for intermediate results (reductions' partial
  /// sums, GEMM's packed operands); `slot` tells apart two needed at once. Call it under
  /// ``locked(_:)`` and queue the kernels that use it there too, so two ops never share it.
  func scratchBuffer(_ count: Int, slot: Int = 0) throws -> OpenCLBuffer {
    if let buffer = scratch[slot], buffer.count >= count { return buffer }
    let buffer = try OpenCLBuffer(count: count, backend: self)
    scratch[slot] = buffer
    return buffer
  }

  /// The OpenCL buffer behind `buffer`, or an error naming `op` if another backend's context made it.
  func cl(_ buffer: DeviceBuffer, _ op: String) throws -> OpenCLBuffer {
    guard let buffer = buffer as? OpenCLBuffer, buffer.context === shared else {
      throw BackendError.foreignBuffer(op: op, backend: name)
    }
    return buffer
  }

  /// Runs `body` holding the backend's lock, so no other thread's kernels interleave with its own.
  func locked<T>(_ body: () throws -> T) rethrows -> T {
    lock.lock()
    defer { lock.unlock() }
    return try body()
  }
}

/// A `cl_mem` of `count` floats, released when the last reference goes.
final class OpenCLBuffer: DeviceBuffer, @unchecked Sendable {
  // @unchecked: the handle never changes; OpenCL memory objects may be shared between threads.
  let count: Int
  let memory: cl_mem
  /// Keeps the context alive while the buffer is, and tells which backends may use it.
  let context: SharedContext
  /// The buffer this one is a sub-buffer of (``OpenCLBackend/allocateParts(_:)``).
  private let owner: OpenCLBuffer?

  init(count: Int, backend: OpenCLBackend) throws {
    try Check.nonNegative("allocate", "count", count)
    var status: cl_int = 0
    // OpenCL forbids empty buffers; an empty Descent buffer still owns one float.
    let bytes = max(1, count) * MemoryLayout<Float>.size
    guard let memory = clCreateBuffer(backend.shared.context, cl_mem_flags(CL_MEM_READ_WRITE), bytes, nil, &status),
      status == CL_SUCCESS
    else {
      throw OpenCLError.call("clCreateBuffer(\(bytes) bytes)", status: status, device: backend.name)
    }
    self.count = count
    self.memory = memory
    context = backend.shared
    owner = nil
  }

  /// The sub-buffer of `count` floats (at least one) of `whole` from `offset`, which must be a
  /// multiple of the device's base address alignment.
  init(partOf whole: OpenCLBuffer, offset: Int, count: Int, backend: OpenCLBackend) throws {
    var region = cl_buffer_region(
      origin: offset * MemoryLayout<Float>.size, size: count * MemoryLayout<Float>.size)
    var status: cl_int = 0
    guard
      let memory = clCreateSubBuffer(
        whole.memory, cl_mem_flags(CL_MEM_READ_WRITE), cl_buffer_create_type(CL_BUFFER_CREATE_TYPE_REGION),
        &region, &status), status == CL_SUCCESS
    else {
      throw OpenCLError.call(
        "clCreateSubBuffer(origin \(region.origin), \(region.size) bytes of \(whole.count) floats)",
        status: status, device: backend.name)
    }
    self.count = count
    self.memory = memory
    context = whole.context
    owner = whole
  }

  deinit { clReleaseMemObject(memory) }
}
