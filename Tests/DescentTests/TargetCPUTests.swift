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

  /// Without DESCENT_TARGET_CPU the manifest picks the level scripts/target-cpu.sh names, the
  /// rule's other implementation (the one scripts/test.sh trusts): checked against its output here,
  /// and the script against literal flag lines in `theScriptNamesEachLevel`. Fails when the
  /// manifest's detection breaks (checked with hostCPU() returning nil).
  @Test(.enabled(if: CPUBackend.buildDescription.contains("building machine's CPU"), "built with DESCENT_TARGET_CPU"))
  func defaultBuildUsesTheCPUsInstructions() throws {
    let expected: [String: [String]] = [
      "skylake-avx512": ["avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl"], "haswell": ["avx2", "fma"],
      "": [],
    ]
    let level = try Self.targetCPU()
    #expect(CPUFeatures.required == expected[level], "script: '\(level)'; \(CPUBackend.buildDescription)")
  }

  /// scripts/target-cpu.sh on flag lines of real CPUs (`CPUINFO` names the file it reads).
  @Test func theScriptNamesEachLevel() throws {
    let haswell = "fpu sse2 sse4_2 avx avx2 fma bmi1 bmi2 f16c movbe"
    let cases = [
      (haswell, "haswell"),  // Zen 2 and Zen 3: AVX2 only
      (haswell + " avx512f avx512dq avx512cd avx512bw avx512vl avx512_bf16", "skylake-avx512"),  // Zen 4
      (haswell.replacingOccurrences(of: " movbe", with: ""), ""),  // a flag short of the level
      ("fpu sse2 sse4_2 avx", ""),  // Sandy Bridge: AVX without AVX2
      (haswell + " avx512f avx512cd", "haswell"),  // Knights Landing: AVX-512 without BW/DQ/VL
    ]
    for (flags, level) in cases {
      let file = NSTemporaryDirectory() + "descent-cpuinfo-\(UUID().uuidString)"
      defer { try? FileManager.default.removeItem(atPath: file) }
      try Data("processor\t: 0\nflags\t\t: \(flags)\nbugs\t\t:\n".utf8).write(to: URL(fileURLWithPath: file))
      #expect(try Self.targetCPU(cpuinfo: file) == level, "\(flags)")
    }
  }

  /// What scripts/target-cpu.sh prints, for this machine or the /proc/cpuinfo-like `cpuinfo`.
  static func targetCPU(cpuinfo: String? = nil) throws -> String {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    let process = Process()
    process.executableURL = root.appendingPathComponent("scripts/target-cpu.sh")
    if let cpuinfo { process.environment = ["CPUINFO": cpuinfo, "PATH": "/usr/bin:/bin"] }
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    process.waitUntilExit()
    return String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      .trimmingCharacters(in: .whitespacesAndNewlines)
  }

  /// A CPU without the build's instructions is named, whatever the build: checked against a fixed
  /// list, and against ``CPUFeatures/required`` (empty on a baseline build, which lacks nothing).
  @Test func missingInstructionsAreNamed() {
    for required in [["avx2", "fma", "avx512f"], CPUFeatures.required] {
      let complete = "processor\t: 0\nflags\t\t: fpu sse2 \(required.joined(separator: " ")) avx512_bf16\nbugs\t\t:\n"
      #expect(CPUFeatures.missing(cpuinfo: complete, required: required) == [])
      #expect(CPUFeatures.missing(cpuinfo: "flags\t\t: fpu sse2 sse4_2\n", required: required) == required)
      // A flag that only starts like a required one is not it.
      let lookalikes = "flags\t\t: " + required.map { $0 + "x" }.joined(separator: " ")
      #expect(CPUFeatures.missing(cpuinfo: lookalikes, required: required) == required)
      #expect(CPUFeatures.missing(cpuinfo: "no such line\n", required: required) == [])
    }
    #expect(CPUFeatures.missing(cpuinfo: "flags\t\t: avx2 fma\n", required: ["avx2", "fma", "avx512f"]) == ["avx512f"])
  }
}
