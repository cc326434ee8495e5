import Foundation

/// The instruction sets the Descent core was compiled to use, and which of them the running CPU
/// lacks. Package.swift compiles the core for the building machine's CPU by default, so a binary
/// copied to an older CPU would die of an illegal instruction anywhere in the core's code. This
/// module is compiled for any x86-64 CPU (it gets the core's `DESCENT_*` defines, not its
/// `-target-cpu`), so a program can call it before any of the core's code runs.
public enum CPUFeatures {
  /// The instruction sets (as /proc/cpuinfo's `flags` name them) the core was compiled to use.
  public static var required: [String] {
    #if DESCENT_AVX512
    ["avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl"]
    #elseif DESCENT_FMA
    ["avx2", "fma"]
    #else
    []
    #endif
  }

  /// Of ``required``, those the running CPU lacks; empty when it has them all or /proc/cpuinfo
  /// cannot be read.
  public static var missing: [String] {
    (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)).map(missing(cpuinfo:)) ?? []
  }

  /// Of ``required``, those missing from the first `flags` line of `cpuinfo` (the text of
  /// /proc/cpuinfo); empty when it has no such line.
  public static func missing(cpuinfo: String) -> [String] {
    guard let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return [] }
    let flags = Set(line.split(separator: " "))
    return required.filter { !flags.contains(Substring($0)) }
  }
}
