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
    guard !required.isEmpty else { return [] }
    return (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)).map { missing(cpuinfo: $0) } ?? []
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
