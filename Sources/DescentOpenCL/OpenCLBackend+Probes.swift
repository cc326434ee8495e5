import Descent
import Foundation

/// The device's limits, measured with the kernels in `kernels/probe.cl`.
extension OpenCLBackend: PerformanceProbes {
  public func measurePeakFlops() throws -> Double {
    let iterations = 2048
    let global = max(1, device.computeUnits) * 256 * 4
    let out = try allocate(global)
    let kernel = try self.kernel("probe_flops")
    // One work-item per group with the CPU profile (see KernelChoices.defaults).
    let local = max(1, min(locked { choices.probeGroupSize }, kernel.maxWorkGroupSize))
    var best = 0.0
    for attempt in 0..<4 {
      let start = DispatchTime.now().uptimeNanoseconds
      try run(
        kernel, "probe_flops", global: [global], local: [local],
        [.int(iterations), .float(0.999_999), .buffer(try cl(out, "probe_flops"))])
      try synchronize()
      let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
      if attempt > 0 { best = max(best, Double(global) * Double(iterations) * 256 / seconds) }  // the first builds
    }
    return best
  }

  public func measureBandwidth() throws -> Double {
    let count = 16 << 20
    let (a, b, c) = (try allocate(count), try allocate(count), try allocate(count))
    try fill(b, with: 1)
    try fill(c, with: 2)
    var best = 0.0
    for attempt in 0..<6 {
      try synchronize()
      let start = DispatchTime.now().uptimeNanoseconds
      try run(
        "probe_triad", count: count,
        [
          .int(count), .float(3), .buffer(try cl(a, "probe_triad")),
          .buffer(try cl(b, "probe_triad")), .buffer(try cl(c, "probe_triad")),
        ])
      try synchronize()
      let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
      if attempt > 0 { best = max(best, Double(12 * count) / seconds) }
    }
    return best
  }
}
