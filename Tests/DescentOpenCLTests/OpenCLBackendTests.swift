import Descent
import COpenCL
@testable import DescentOpenCL
import Foundation
import Synchronization
import Testing

let devices = (try? OpenCLDevice.all()) ?? []
let skipReason: String = {
  do { return try OpenCLDevice.all().isEmpty ? "no OpenCL device" : "" } catch { return "\(error)" }
}()

/// The OpenCL backend's own contract: device discovery and choice, errors, kernels, memory.
@Suite(.enabled(if: !devices.isEmpty, "OpenCL skipped: \(skipReason)"))
struct OpenCLBackendTests {
  @Test func devicesDescribeThemselves() throws {
    for device in devices {
      #expect(!device.name.isEmpty && !device.platform.isEmpty && device.version.hasPrefix("OpenCL"))
      #expect(device.computeUnits > 0 && device.maxWorkGroupSize > 0 && device.localMemoryBytes > 0)
    }
  }

  @Test func selectorsChooseByIndexNameAndDefault() throws {
    let first = devices[0]
    #expect(try OpenCLDevice.select(.index(0)) == first)
    #expect(try OpenCLDevice.select(.name(String(first.name.prefix(6)).uppercased())) == first)
    let automatic = try OpenCLDevice.select(.automatic)
    #expect(automatic == (devices.first { $0.kind == .gpu } ?? first))
    #expect(DeviceSelector("1") == .index(1))
    #expect(DeviceSelector(" pocl ") == .name("pocl"))
    #expect(DeviceSelector("") == .automatic)
    #expect(DeviceSelector("auto") == .automatic)
  }

  @Test func unknownDevicesAreReportedWithTheList() throws {
    let error = #expect(throws: OpenCLError.self) { try OpenCLDevice.select(.name("no-such-device-xyz")) }
    let description = try #require(error).description
    #expect(description.hasPrefix("no OpenCL device matches \"no-such-device-xyz\" (available: 0: "))
    #expect(throws: OpenCLError.self) { try OpenCLDevice.select(.index(devices.count)) }
  }

  /// A kernel that fails to compile reports the device compiler's log, not just a status.
  @Test func buildFailuresCarryTheBuildLog() throws {
    let backend = try OpenCLBackend(device: devices[0])
    let error = #expect(throws: OpenCLError.self) {
      _ = try backend.shared.program("gemm.cl", options: "-DWPT_M=(")
    }
    guard case let .build(file, device, log) = try #require(error) else {
      Issue.record("expected a build error, got \(String(describing: error))")
      return
    }
    #expect(file == "gemm.cl" && device == devices[0].description)
    #expect(!log.isEmpty, "the build log is empty")
  }

  /// The plugin embedded exactly the files in kernels/, and every kernel name resolves to one.
  @Test func embeddedKernelsMatchTheDisk() throws {
    let kernelsFolder = URL(fileURLWithPath: #filePath)
      .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("kernels")
    let onDisk = try FileManager.default.contentsOfDirectory(atPath: kernelsFolder.path)
      .filter { $0.hasSuffix(".cl") }.sorted()
    #expect(KernelSources.files.keys.sorted() == onDisk)
    for file in onDisk {
      let text = try String(contentsOf: kernelsFolder.appendingPathComponent(file), encoding: .utf8)
      #expect(KernelSources.files[file] == text + "\n" || KernelSources.files[file] == text, "\(file) is stale")
    }
    for name in [
      "gemm", "axpby", "softmax_cross_entropy", "reduce", "fill_random", "dropout", "sgd",
      "adagrad", "rmsprop", "adam",
    ] {
      #expect(SharedContext.kernelFiles[name] != nil, "\(name) has no kernel")
    }
  }

  /// Backends made on one device from several threads share one context and queue, and the kernel
  /// they all run from those threads at once is built once: `descent tune --workers N` and the
  /// parallel suites make a backend per worker (PoCL 5.0 aborted running one kernel from several).
  @Test func backendsOnOneDeviceShareOneContextAndItsPrograms() throws {
    for device in devices {
      let backends = Mutex<[OpenCLBackend]>([])
      let failures = Mutex<[String]>([])
      DispatchQueue.concurrentPerform(iterations: 4) { worker in
        do {
          let backend = try OpenCLBackend(device: device)
          let buffer = try backend.allocate(1000 + worker)
          try backend.fill(buffer, with: Float(worker))
          if try backend.download(buffer) != [Float](repeating: Float(worker), count: 1000 + worker) {
            failures.withLock { $0.append("worker \(worker) read back other values") }
          }
          backends.withLock { $0.append(backend) }
        } catch {
          failures.withLock { $0.append("worker \(worker): \(error)") }
        }
      }
      #expect(failures.withLock { $0 } == [], "\(device)")
      let shared = backends.withLock { $0.map(\.shared) }
      #expect(shared.count == 4 && shared.allSatisfy { $0 === shared[0] }, "\(device)")
      #expect(backends.withLock { $0.allSatisfy { $0.queue == shared.first?.queue } }, "\(device)")
      #expect(SharedContext.contextsCreated(on: device) == 1, "\(device)")
      #expect(shared[0].builds("elementwise.cl", options: "") == 1, "\(device)")
    }
  }

  /// Reductions share a scratch buffer; from many threads at once each still gets its own sum.
  @Test func concurrentReductionsDoNotMix() async throws {
    let backend = try OpenCLBackend(device: devices[0])
    try await withThrowingTaskGroup(of: Void.self) { group in
      for task in 1...16 {
        group.addTask {
          let count = 5000 + task  // Σ of `count` copies of `task` is exact in float
          let x = try backend.buffer([Float](repeating: Float(task), count: count))
          let y = try backend.allocate(1)
          for _ in 0..<20 {
            try backend.reduce(.sum, x, into: y)
            #expect(try backend.download(y) == [Float(task * count)])
          }
        }
      }
      try await group.waitForAll()
    }
  }

  /// A reduction launched as narrowly as possible (one work-item, one group) still adds every
  /// value: llvmpipe silently ends loops after 65 535 iterations, so the backend adds groups until
  /// no work-item adds more than 4096 values (without that, rusticl returned 65 535 here).
  @Test func longReductionsOnFewWorkItemsAddEveryValue() throws {
    for device in devices {
      var choices = KernelChoices.defaults(for: device, profile: .gpu)
      (choices.groupSize, choices.reductionGroups) = (1, 1)
      let backend = try OpenCLBackend(device: device, profile: .gpu, choices: choices)
      let count = 300_001  // Σ of ones is exact in float below 2²⁴
      let y = try backend.allocate(1)
      try backend.reduce(.sum, try backend.buffer([Float](repeating: 1, count: count)), into: y)
      #expect(try backend.download(y) == [Float(count)], "\(backend.name)")
    }
  }

  /// The peak-FLOP probe's result depends on all 128 multiply-add chains of a work-item (8
  /// accumulators × 16 lanes), so no compiler may drop some and report more than the hardware does.
  @Test func peakProbeComputesEveryChain() throws {
    for device in devices {
      let backend = try OpenCLBackend(device: device)
      let (iterations, scale, count) = (5, 0.5, 4)
      let out = try backend.allocate(count)
      try backend.run(
        try backend.kernel("probe_flops"), "probe_flops", global: [count], local: [1],
        [.int(iterations), .float(Float(scale)), .buffer(out as! OpenCLBuffer)])
      let values = try backend.download(out)
      for item in 0..<count {
        let seed = Double(Float(item) * 1e-9)
        var sum = 0.0
        for accumulator in 0..<8 {
          var a = seed + Double(accumulator)
          for _ in 0..<iterations { a = a * scale + scale }
          sum += 16 * a
        }
        // A handful of float32 roundings on values near 10: 1e-5 relative is 20 ulps.
        #expect(
          abs(Double(values[item]) - sum) <= 1e-5 * sum, "\(backend.name) item \(item): \(values[item]) vs \(sum)")
      }
    }
  }

  /// 10,000 allocate/upload/release cycles of 1 MiB: the driver deletes every buffer once its last
  /// reference goes. Counted by `clSetMemObjectDestructorCallback`, which the driver calls as it
  /// frees the memory: the process's resident size cannot show this (a GPU's leak stays in device
  /// memory, and the suites running alongside move it by 100 MiB on a 16-core machine).
  @Test func buffersAreReleased() throws {
    let backend = try OpenCLBackend(device: devices[0])
    let values = [Float](repeating: 1, count: 1 << 18)
    let deleted = DeletedBuffers()
    let context = Unmanaged.passRetained(deleted)
    let onDelete: @convention(c) (cl_mem?, UnsafeMutableRawPointer?) -> Void = { _, data in
      Unmanaged<DeletedBuffers>.fromOpaque(data!).takeUnretainedValue().add()
    }
    let cycles = 10_000
    for _ in 0..<cycles {
      let buffer = try backend.allocate(values.count)
      try backend.upload(values, to: buffer)
      #expect(
        clSetMemObjectDestructorCallback((buffer as! OpenCLBuffer).memory, onDelete, context.toOpaque()) == CL_SUCCESS)
    }
    try backend.synchronize()
    // Drivers may run the callbacks on their own threads, after the release returns.
    let deadline = Date().addingTimeInterval(10)
    while deleted.count < cycles && Date() < deadline { usleep(1000) }
    #expect(deleted.count == cycles, "\(cycles - deleted.count) of \(cycles) buffers were never deleted")
    if deleted.count == cycles { context.release() }  // else a late callback may still use it
  }

  final class DeletedBuffers: @unchecked Sendable {
    private let lock = NSLock()
    private var total = 0
    var count: Int { lock.withLock { total } }
    func add() { lock.withLock { total += 1 } }
  }
}

/// Error texts need no device.
@Suite struct OpenCLErrorTests {
  @Test func statusCodesHaveTheirNames() {
    #expect(OpenCLError.name(of: -5) == "CL_OUT_OF_RESOURCES")
    #expect(OpenCLError.name(of: -1001) == "CL_PLATFORM_NOT_FOUND_KHR")
    let error = OpenCLError.call("clEnqueueNDRangeKernel(gemm)", status: -54, device: "gpu0")
    #expect(error.description == "clEnqueueNDRangeKernel(gemm) failed with CL_INVALID_WORK_GROUP_SIZE (-54) on gpu0")
    #expect(OpenCLError.noPlatform(status: -1001).description.contains("apt-get install pocl-opencl-icd"))
  }
}
