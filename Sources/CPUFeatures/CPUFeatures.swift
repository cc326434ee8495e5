import Foundation

/// The instruction sets of the running CPU, the CPU backend's kernel levels, and those the Descent
/// core was compiled to use. The core is compiled for any x86-64 CPU unless `DESCENT_TARGET_CPU`
/// names one (Package.swift); then a binary copied to an older CPU would die of an illegal
/// instruction anywhere in the core's code. This module is compiled for any x86-64 CPU (it gets
/// the core's `DESCENT_*` defines, not its `-target-cpu`), so a program can call it before any of
/// the core's code runs.
public enum CPUFeatures {
  /// The instruction sets `-target-cpu haswell` lets the compiler use: the AVX2 kernels' level.
  public static let haswell = ["avx2", "fma", "bmi1", "bmi2", "f16c", "movbe"]
  /// The instruction sets `-target-cpu skylake-avx512` lets the compiler use: the AVX-512
  /// kernels' level.
  public static let skylakeAVX512 = haswell + ["avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"]

  /// The instruction sets (as /proc/cpuinfo's `flags` name them) the core was compiled to use.
  public static var required: [String] {
    #if DESCENT_AVX512
    skylakeAVX512
    #elseif DESCENT_FMA
    haswell
    #else
    []
    #endif
  }

  /// The running CPU's instruction sets (the first `flags` line of /proc/cpuinfo, which Linux
  /// clears of those the kernel does not enable); nil when it cannot be read.
  public static let running: Set<String>? = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))
    .flatMap(flags(cpuinfo:))

  /// Of ``required``, those the running CPU lacks; empty when it has them all or /proc/cpuinfo
  /// cannot be read.
  public static var missing: [String] {
    guard let running else { return [] }
    return required.filter { !running.contains($0) }
  }

  /// Of `required` (by default ``required``), those missing from the first `flags` line of
  /// `cpuinfo` (the text of /proc/cpuinfo); empty when it has no such line.
  public static func missing(cpuinfo: String, required: [String] = required) -> [String] {
    flags(cpuinfo: cpuinfo).map { flags in required.filter { !flags.contains($0) } } ?? []
  }

  /// The instruction sets on the first `flags` line of `cpuinfo` (the text of /proc/cpuinfo), or
  /// nil when it has no such line.
  public static func flags(cpuinfo: String) -> Set<String>? {
    cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") }.map {
      Set($0.split(separator: " ").map(String.init))
    }
  }
}

/// What each CPU kernel level's module offers: `Kernels` in Sources/CPUKernels, compiled once per
/// level (Package.swift), documents each entry point. The core calls the one `CPULevel` picks.
public protocol CPUKernelSet {
  /// The GEMM micro-kernel, for reports.
  static var gemmDescription: String { get }
  static func gemm(
    m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool, alpha: Float, beta: Float,
    a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
    threads: Int, forEach: (Int, (Int) -> Void) -> Void, allocate: (Int) throws -> UnsafeMutablePointer<Float>
  ) throws
  static func peakFlops(threads: Int, forEach: (Int, (Int) -> Void) -> Void) -> Double
  /// The optimizer updates' kernel names.
  static var updates: [String] { get }
  static func update(
    _ kernel: String, _ range: Range<Int>, p: UnsafeMutablePointer<Float>, g: UnsafeMutablePointer<Float>,
    state: (String) -> UnsafeMutablePointer<Float>?, scalar: (String) -> Float
  ) -> Bool
  /// The fused softmax cross-entropy over `rows`.
  static func softmaxCrossEntropy(
    rows: Range<Int>, classes: Int, scale: Float, logits: UnsafePointer<Float>, labels: UnsafePointer<Float>,
    losses: UnsafeMutablePointer<Float>, gradient: UnsafeMutablePointer<Float>)
  /// `y = f(x)` where this level vectorises the activation named `name`; false for the others.
  static func activate(
    _ name: String, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int
  ) -> Bool
  /// `dx = f′(x)·dy` where this level vectorises the activation named `name`; false for the others.
  static func activationBackward(
    _ name: String, input x: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
    into dx: UnsafeMutablePointer<Float>, count: Int
  ) -> Bool
  /// Dropout over `range` with the Philox stream `(seed, stream)`: the mask (0 or `keep`) and `y = x·mask`.
  static func dropout(
    _ range: Range<Int>, rate: Float, keep: Float, seed: UInt64, stream: UInt64,
    x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, mask: UnsafeMutablePointer<Float>)
}
