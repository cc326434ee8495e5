import Descent
@testable import DescentOpenCL
import Foundation
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
    for name in ["gemm", "axpby", "softmax_cross_entropy", "reduce_partial", "fill_random", "dropout", "sgd",
                 "adagrad", "rmsprop", "adam", "adamw"] {
      #expect(SharedContext.kernelFiles[name] != nil, "\(name) has no kernel")
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

  /// 10,000 allocate/upload/release cycles of 1 MiB must not grow the process: buffers are freed
  /// when their last reference goes.
  @Test func buffersAreReleased() throws {
    let backend = try OpenCLBackend(device: devices[0])
    let values = [Float](repeating: 1, count: 1 << 18)
    func cycle() throws {
      let buffer = try backend.allocate(values.count)
      try backend.upload(values, to: buffer)
    }
    for _ in 0..<100 { try cycle() }
    try backend.synchronize()
    let before = residentBytes()
    for _ in 0..<10_000 { try cycle() }
    try backend.synchronize()
    let growth = residentBytes() - before
    // A leak would keep 10,000 MiB; allow 64 MiB for allocator and driver noise.
    #expect(growth < 64 << 20, "resident memory grew by \(growth >> 20) MiB")
  }

  /// The resident set size from /proc/self/statm, in bytes.
  func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let pages = text.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
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
