import CPUFeatures
import CPUKernelsAVX2
import CPUKernelsAVX512
import CPUKernelsBaseline
import Foundation

/// The instruction-set level of the CPU backend's kernels (the GEMM and the peak probe), chosen
/// when the process starts: each level's kernels are compiled from the same source for that
/// level (Package.swift), and the core, compiled for any x86-64 CPU, calls the best one the
/// running CPU has. So a program built on an AVX-512 machine runs at full speed on an AVX2 one
/// and never stops with an illegal instruction.
public enum CPULevel: String, CaseIterable, Sendable, Comparable {
  /// Any x86-64 CPU (and any other architecture): SSE2, a multiply and an add.
  case baseline
  /// Haswell-class CPUs (AMD Zen 1–3): AVX2 and FMA, the 6×16 ymm micro-kernel.
  case avx2
  /// AVX-512 F/BW/DQ/VL/CD (AMD Zen 4 and 5, Intel Skylake-SP on): the 8×32 zmm micro-kernel.
  case avx512

  /// The instruction sets the level's kernels may use (/proc/cpuinfo's names).
  public var instructions: [String] {
    switch self {
    case .baseline: []
    case .avx2: CPUFeatures.haswell
    case .avx512: CPUFeatures.skylakeAVX512
    }
  }

  /// The levels the running CPU has, lowest first; `baseline` only where /proc/cpuinfo cannot
  /// be read or on other architectures.
  public static let supported: [CPULevel] = {
    #if arch(x86_64)
    guard let flags = CPUFeatures.running else { return [.baseline] }
    return allCases.filter { $0.instructions.allSatisfy(flags.contains) }
    #else
    return [.baseline]
    #endif
  }()

  /// The level every `CPUBackend` uses: the best of ``supported``, or the lower one the
  /// environment variable `DESCENT_CPU_LEVEL` names (`baseline`, `avx2`, `avx512`: to measure or
  /// test another level's kernels). A name that is not a level, or a level this CPU lacks, is
  /// reported on standard error once and the best level used (see ``problem(_:)``).
  public static let chosen: CPULevel = {
    let text = ProcessInfo.processInfo.environment["DESCENT_CPU_LEVEL"]
    if let problem = problem(text) {
      FileHandle.standardError.write(Data("descent: \(problem); using \(supported.last!.rawValue)\n".utf8))
    }
    return text.flatMap(CPULevel.init(rawValue:)).flatMap { supported.contains($0) ? $0 : nil } ?? supported.last!
  }()

  /// What is wrong with `text` as a value of `DESCENT_CPU_LEVEL` on this CPU, or nil when it is
  /// empty, absent or a level of ``supported``.
  public static func problem(_ text: String?) -> String? {
    guard let text, !text.isEmpty else { return nil }
    let names = supported.map(\.rawValue).joined(separator: ", ")
    guard let level = CPULevel(rawValue: text) else {
      return "DESCENT_CPU_LEVEL=\(text) is not a CPU level (this CPU runs \(names))"
    }
    guard supported.contains(level) else {
      let lacking = level.instructions.filter { !(CPUFeatures.running ?? []).contains($0) }
      return "DESCENT_CPU_LEVEL=\(text) needs \(lacking.joined(separator: ", ")), which this CPU lacks "
        + "(it runs \(names))"
    }
    return nil
  }

  /// This level's kernels: the one place that maps a level to its module.
  var kernels: any CPUKernelSet.Type {
    switch self {
    case .baseline: CPUKernelsBaseline.Kernels.self
    case .avx2: CPUKernelsAVX2.Kernels.self
    case .avx512: CPUKernelsAVX512.Kernels.self
    }
  }

  /// The GEMM micro-kernel of this level, for reports.
  public var gemmDescription: String { kernels.gemmDescription }

  public static func < (a: CPULevel, b: CPULevel) -> Bool {
    allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
  }
}
