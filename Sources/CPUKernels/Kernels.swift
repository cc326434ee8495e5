import CPUFeatures
import Foundation

// The CPU backend's hot loops, compiled once per instruction-set level from these same files
// (Package.swift: CPUKernelsBaseline for any x86-64, CPUKernelsAVX2 for Haswell-class CPUs,
// CPUKernelsAVX512; each level's folder links to the files here). The core, compiled for any
// x86-64 CPU, calls the module of the best level the running CPU has (`CPULevel` in Descent),
// so one binary runs everywhere at its CPU's speed. Nothing here reaches the core: what a loop
// needs from it (its thread pool, its allocator) comes in as closures.

/// This level's entry points.
public enum Kernels: CPUKernelSet {
  /// The GEMM micro-kernel this level runs, for reports.
  public static var gemmDescription: String {
    #if DESCENT_AVX512
    "AVX-512 FMA 8x32 micro-kernel"
    #elseif DESCENT_FMA
    "AVX2 FMA 6x16 micro-kernel"
    #else
    "baseline x86-64 6x16 micro-kernel, multiply + add"
    #endif
  }

  /// `C = alpha·op(A)·op(B) + beta·C` for row-major `A` (m×k, or k×m when `transposeA`), `B`
  /// (k×n, or n×k when `transposeB`) and `C` (m×n), the sizes already checked against the
  /// buffers. `forEach(count, body)` runs `body(0..<count)` over up to `threads` cores and
  /// returns when all calls have; `allocate(count)` gives room for `count` floats (64-byte
  /// aligned, released with `free`) or throws, which this rethrows.
  public static func gemm(
    m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool, alpha: Float, beta: Float,
    a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
    threads: Int, forEach: (Int, (Int) -> Void) -> Void, allocate: (Int) throws -> UnsafeMutablePointer<Float>
  ) throws {
    let shape = GemmKernel.Shape(
      m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB, alpha: alpha, beta: beta)
    // The kernel keeps both closures only while it runs.
    try withoutActuallyEscaping(forEach) { forEach in
      try withoutActuallyEscaping(allocate) { allocate in
        try GemmKernel(
          shape: shape, a: a, b: b, c: c, threads: threads, forEach: forEach, allocate: allocate
        ).run()
      }
    }
  }

  /// The floating-point operations per second of `threads` cores (each running one call of
  /// `forEach`) doing this level's multiply-adds on the GEMM's registers (twin of
  /// `kernels/probe.cl`): fused multiply-adds with FMA, else a product and a sum. The best of 5.
  public static func peakFlops(threads: Int, forEach: (Int, (Int) -> Void) -> Void) -> Double {
    typealias V = GemmKernel.Vector
    let iterations = 20_000_000 / V.scalarCount
    var best = 0.0
    for _ in 0..<5 {
      let start = DispatchTime.now().uptimeNanoseconds
      forEach(threads) { _ in
        var a = (
          V(repeating: 1), V(repeating: 2), V(repeating: 3), V(repeating: 4), V(repeating: 5), V(repeating: 6),
          V(repeating: 7), V(repeating: 8), V(repeating: 9), V(repeating: 10), V(repeating: 11), V(repeating: 12)
        )
        let m = V(repeating: 0.999_999), s = V(repeating: 1e-7)
        for _ in 0..<iterations {
          probeStep(&a.0, m, s); probeStep(&a.1, m, s); probeStep(&a.2, m, s)
          probeStep(&a.3, m, s); probeStep(&a.4, m, s); probeStep(&a.5, m, s)
          probeStep(&a.6, m, s); probeStep(&a.7, m, s); probeStep(&a.8, m, s)
          probeStep(&a.9, m, s); probeStep(&a.10, m, s); probeStep(&a.11, m, s)
        }
        let total = a.0 + a.1 + a.2 + a.3 + a.4 + a.5 + a.6 + a.7 + a.8 + a.9 + a.10 + a.11
        if total.sum() == .infinity { print("") }  // keeps the loop alive
      }
      let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
      best = max(best, Double(threads * iterations * 12 * V.scalarCount * 2) / seconds)
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
}
