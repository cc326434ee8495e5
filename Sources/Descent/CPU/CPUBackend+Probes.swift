import Foundation

/// The CPU's limits as this process can reach them (twin of `kernels/probe.cl`): the arithmetic
/// probe runs the backend's ``CPULevel``'s multiply-adds on the GEMM's registers.
extension CPUBackend: PerformanceProbes {
  /// What limits the CPU numbers: the kernels' level and how the core was compiled.
  public static var buildDescription: String {
    #if DESCENT_CPU_REQUESTED
    let core = "core built with DESCENT_TARGET_CPU"
    #else
    let core = "core built for any x86-64"
    #endif
    let levels = CPULevel.supported.map(\.rawValue).joined(separator: ", ")
    return "\(CPULevel.chosen.gemmDescription), chosen at run time of \(levels) (\(core))"
  }

  public func measurePeakFlops() throws -> Double {
    let parallel = parallel
    return level.kernels.peakFlops(threads: parallel.threads) { parallel.forEach($0, $1) }
  }

  public func measureBandwidth() throws -> Double {
    let count = 16 << 20
    let (a, b, c) = (try allocate(count), try allocate(count), try allocate(count))
    try fill(a, with: 0)
    try fill(b, with: 1)
    try fill(c, with: 2)
    let (pa, pb, pc) = (try cpu(a, "probe").pointer, try cpu(b, "probe").pointer, try cpu(c, "probe").pointer)
    var best = 0.0
    for _ in 0..<7 {
      let start = DispatchTime.now().uptimeNanoseconds
      parallel.chunks(count, minimumChunk: 1 << 16) { range in
        // As the optimizer loops run, ``Lanes`` at a time (a scalar loop over captured pointers
        // is not vectorised: the stores may alias the closure's context).
        var i = range.lowerBound
        while i + Lanes.width <= range.upperBound {
          Lanes.store(Lanes.load(pb, i) + 3 * Lanes.load(pc, i), pa, i)
          i += Lanes.width
        }
        for i in i..<range.upperBound { pa[i] = pb[i] + 3 * pc[i] }
      }
      let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
      best = max(best, Double(12 * count) / seconds)
    }
    return best
  }
}
