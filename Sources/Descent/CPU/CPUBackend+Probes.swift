import Foundation

/// The CPU's limits as this build can reach them (twin of `kernels/probe.cl`): with `DESCENT_FMA`
/// the arithmetic probe runs fused multiply-adds, else a product and a sum, on the GEMM's vectors.
extension CPUBackend: PerformanceProbes {
  /// How the core library was compiled: what limits the CPU numbers.
  public static var buildDescription: String {
    #if DESCENT_CPU_REQUESTED
    let how = "built with DESCENT_TARGET_CPU"
    #elseif DESCENT_NATIVE_CPU
    let how = "built for the building machine's CPU"
    #else
    let how = "portable build: Descent's NativeCPU trait is off"
    #endif
    #if DESCENT_AVX512
    return "FMA, AVX-512 8x32 micro-kernel (\(how))"
    #elseif DESCENT_FMA
    return "FMA 6x16 micro-kernel (\(how))"
    #else
    return "baseline x86-64 build, multiply + add (\(how); DESCENT_TARGET_CPU=haswell for FMA)"
    #endif
  }

  public func measurePeakFlops() throws -> Double {
    let iterations = 20_000_000 / GemmKernel.Vector.scalarCount
    var best = 0.0
    for _ in 0..<5 {
      let start = DispatchTime.now().uptimeNanoseconds
      parallel.forEach(parallel.threads) { _ in
        typealias V = GemmKernel.Vector  // the GEMM's register width
        var a = (
          V(repeating: 1), V(repeating: 2), V(repeating: 3), V(repeating: 4), V(repeating: 5), V(repeating: 6),
          V(repeating: 7), V(repeating: 8), V(repeating: 9), V(repeating: 10), V(repeating: 11), V(repeating: 12)
        )
        let m = V(repeating: 0.999_999), s = V(repeating: 1e-7)
        for _ in 0..<iterations {
          Self.probeStep(&a.0, m, s); Self.probeStep(&a.1, m, s); Self.probeStep(&a.2, m, s)
          Self.probeStep(&a.3, m, s); Self.probeStep(&a.4, m, s); Self.probeStep(&a.5, m, s)
          Self.probeStep(&a.6, m, s); Self.probeStep(&a.7, m, s); Self.probeStep(&a.8, m, s)
          Self.probeStep(&a.9, m, s); Self.probeStep(&a.10, m, s); Self.probeStep(&a.11, m, s)
        }
        let total = a.0 + a.1 + a.2 + a.3 + a.4 + a.5 + a.6 + a.7 + a.8 + a.9 + a.10 + a.11
        if total.sum() == .infinity { print("") }  // keeps the loop alive
      }
      let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
      best = max(best, Double(parallel.threads * iterations * 12 * GemmKernel.Vector.scalarCount * 2) / seconds)
    }
    return best
  }

  @inline(__always)
  private static func probeStep(_ a: inout GemmKernel.Vector, _ m: GemmKernel.Vector, _ s: GemmKernel.Vector) {
    #if DESCENT_FMA
    a = s.addingProduct(a, m)
    #else
    a = a * m + s
    #endif
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
