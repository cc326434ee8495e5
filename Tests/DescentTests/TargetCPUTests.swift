import CPUFeatures
import Descent
import Foundation
import Testing

/// The core is compiled for the building machine's CPU unless told otherwise (Package.swift): the
/// build must match the CPU, and a CPU without the build's instructions must be named.
@Suite struct TargetCPUTests {
  static let flags =
    (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)).flatMap(CPUFeatures.flags(cpuinfo:)) ?? []

  @Test func thisBuildRunsOnThisCPU() {
    #expect(CPUFeatures.missing == [])
  }

  /// Without DESCENT_TARGET_CPU the manifest picks the level scripts/target-cpu.sh names.
  @Test(.enabled(if: CPUBackend.buildDescription.contains("building machine's CPU"), "built with DESCENT_TARGET_CPU"))
  func defaultBuildUsesTheCPUsInstructions() {
    let haswell = ["avx2", "fma", "bmi1", "bmi2", "f16c", "movbe"]
    let avx512 = ["avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"]
    let expected: [String] =
      !haswell.allSatisfy(Self.flags.contains)
      ? []
      : avx512.allSatisfy(Self.flags.contains)
        ? ["avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl"] : ["avx2", "fma"]
    #expect(CPUFeatures.required == expected, "\(CPUBackend.buildDescription)")
  }

  @Test func missingInstructionsAreNamed() {
    let required = CPUFeatures.required
    let complete = "processor\t: 0\nflags\t\t: fpu sse2 \(required.joined(separator: " ")) avx512_bf16\nbugs\t\t:\n"
    #expect(CPUFeatures.missing(cpuinfo: complete) == [])
    #expect(CPUFeatures.missing(cpuinfo: "flags\t\t: fpu sse2 sse4_2\n") == required)
    // A flag that only starts like a required one is not it.
    let lookalikes = "flags\t\t: " + required.map { $0 + "x" }.joined(separator: " ")
    #expect(CPUFeatures.missing(cpuinfo: lookalikes) == required)
    #expect(CPUFeatures.missing(cpuinfo: "no such line\n") == [])
  }
}
