import CommandFlags
import Descent
import DescentOpenCL
import Foundation

/// `descent check`: one GEMM on every backend, compared with a float64 product, with its time.
struct CheckCommand {
  var size = 257

  static let flags = FlagTable<CheckCommand>(
    "check",
    [
      .value("size", "257", "the GEMM's m, n and k", \.size, expected: "a whole number from 1 to 4096") {
        (1...4096).contains($0)
      }
    ])

  init(_ options: [String]) throws { try Self.flags.parse(options, into: &self) }

  func run() throws -> Int32 {
    var backends: [any Backend] = [CPUBackend()]
    do {
      for device in try OpenCLDevice.all() { backends.append(try OpenCLBackend(device: device)) }
    } catch {
      print("opencl: \(error)")
    }
    let n = size
    var key = RandomKey(seed: 1)
    let a = (0..<n * n).map { _ in Self.sample(&key) }
    let b = (0..<n * n).map { _ in Self.sample(&key) }
    // float64 reference and the error bound of a k-term float32 dot product: k·ε·Σ|a||b|.
    var worstRatio = 0.0
    var failed = false
    for backend in backends {
      let shape = GemmShape(m: n, n: n, k: n)
      let (bufferA, bufferB, bufferC) = (try backend.buffer(a), try backend.buffer(b), try backend.allocate(n * n))
      try backend.gemm(shape, bufferA, bufferB, into: bufferC)  // warm-up: builds kernels
      try backend.synchronize()
      let start = DispatchTime.now()
      try backend.gemm(shape, bufferA, bufferB, into: bufferC)
      try backend.synchronize()
      let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
      let c = try backend.download(bufferC)
      worstRatio = 0
      var backendFailed = false  // this backend's verdict; `failed` keeps any backend's for the exit code
      for i in stride(from: 0, to: n, by: max(1, n / 16)) {
        for j in 0..<n {
          var exact = 0.0, magnitude = 0.0
          for p in 0..<n {
            exact += Double(a[i * n + p]) * Double(b[p * n + j])
            magnitude += abs(Double(a[i * n + p]) * Double(b[p * n + j]))
          }
          let bound = Double(n) * Double(Float.ulpOfOne) * magnitude
          worstRatio = max(worstRatio, abs(Double(c[i * n + j]) - exact) / bound)
          if !(abs(Double(c[i * n + j]) - exact) <= bound) { backendFailed = true }
        }
      }
      let gflops = shape.flops / seconds / 1e9
      print(
        String(
          format: "%@: gemm %dx%dx%d in %.3f ms (%.1f GFLOP/s), max error %.3f of the bound %@",
          backend.name, n, n, n, seconds * 1e3, gflops, worstRatio, backendFailed ? "FAILED" : "ok"))
      failed = failed || backendFailed
    }
    return failed ? ExitCode.failure : 0
  }

  /// Uniform on [−1, 1) from the shared Philox generator, one element per call.
  private static func sample(_ key: inout RandomKey) -> Float {
    key.stream += 1
    return PortableMath.sample(.uniform(low: -1, high: 1), Philox.block(index: 0, key: key))
  }
}
