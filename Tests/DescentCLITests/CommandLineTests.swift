import Descent
import Foundation
import Testing

/// Runs the built `descent` binary as a user would.
struct CommandLineTests {
  struct Result {
    let status: Int32
    let output: String
    let error: String
  }

  func descent(_ arguments: String...) throws -> Result {
    try run(arguments)
  }

  /// Runs `descent` with `arguments`; `launcher` (a command and its arguments ending in the
  /// binary's path) runs it another way, as another user say.
  func run(_ arguments: [String], environment: [String: String] = [:], as launcher: [String] = []) throws -> Result {
    // The test bundle sits in the same build folder as the executable.
    let binary = Bundle.main.bundleURL.appendingPathComponent("descent")
    let process = Process()
    process.executableURL = launcher.first.map { URL(fileURLWithPath: $0) } ?? binary
    process.arguments = launcher.dropFirst() + arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let (output, error) = (Pipe(), Pipe())
    process.standardOutput = output
    process.standardError = error
    try process.run()
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    let errorData = error.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Result(
      status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
      error: String(decoding: errorData, as: UTF8.self))
  }

  @Test func devicesListsTheCPUAndOpenCL() throws {
    let result = try descent("devices")
    #expect(result.output.hasPrefix("cpu: pure-Swift backend"))
    #expect(result.output.contains("\n  build: \(CPUBackend.buildDescription)\n"))
    if ProcessInfo.processInfo.environment["CI"] == "true" {
      #expect(result.status == 0)
      #expect(result.output.contains("opencl 0: "), "no OpenCL device listed under CI")
      #expect(result.output.contains("compute units: ") && result.output.contains("max work-group size: "))
    }
  }

  /// The CPU backend runs on the cores the process may use, not on every core of the machine:
  /// under `taskset` to one core, one thread (with two, a training epoch took 11× as long).
  @Test func theCPUBackendKeepsToTheCoresItIsGiven() throws {
    let binary = Bundle.main.bundleURL.appendingPathComponent("descent").path
    let pinned = try run(["devices"], as: ["/usr/bin/taskset", "-c", "0", binary])
    #expect(pinned.output.hasPrefix("cpu: pure-Swift backend, 1 thread\n"), "\(pinned.output.prefix(80))")
    let all = try descent("devices")
    #expect(all.output.hasPrefix("cpu: pure-Swift backend, \(Parallel.cores) thread"), "\(all.output.prefix(80))")
  }

  /// `DESCENT_KERNEL_PROFILE` makes every device choose GPU kernels; an unknown value is a usage
  /// error naming the variable and the allowed values.
  @Test(.enabled(if: ProcessInfo.processInfo.environment["CI"] == "true", "needs an OpenCL device (CI)"))
  func kernelProfileComesFromTheEnvironment() throws {
    let gpu = try run(["devices"], environment: ["DESCENT_KERNEL_PROFILE": "gpu"])
    #expect(gpu.status == 0, "\(gpu.error)")
    let kernels = gpu.output.split(separator: "\n").filter { $0.contains("kernels: ") }
    #expect(!kernels.isEmpty && kernels.allSatisfy { $0.contains("kernels: gpu profile, gemm tiles ") }, "\(kernels)")
    let native = try descent("devices")
    #expect(native.output.contains("kernels: cpu profile, gemm_wide 12 rows per work-item"))
    let wrong = try run(["devices"], environment: ["DESCENT_KERNEL_PROFILE": "fast"])
    #expect(wrong.status == 64)
    #expect(wrong.error == "descent: DESCENT_KERNEL_PROFILE=fast names no kernel profile (allowed: gpu, cpu, native)\n")
  }

  @Test func checkRunsAGemmOnEveryBackend() throws {
    let result = try descent("check", "--size", "33")
    #expect(result.status == 0, "\(result.output)\(result.error)")
    #expect(result.output.contains("cpu: gemm 33x33x33"))
    #expect(!result.output.contains("FAILED"))
  }

  @Test func usageErrorsExitWith64() throws {
    let unknown = try descent("fly")
    #expect(unknown.status == 64)
    #expect(unknown.error.hasPrefix("descent: unknown command 'fly'\n\nusage: descent <command>"))
    let badSize = try descent("check", "--size", "zero")
    #expect(badSize.status == 64)
    #expect(badSize.error.hasPrefix("descent: --size: 'zero' is not a whole number from 1 to 4096"))
    let extra = try descent("devices", "--all")
    #expect(extra.status == 64)
    #expect(extra.error.hasPrefix("descent: 'devices' takes no options, got '--all'"))
  }

  @Test func helpPrintsTheUsage() throws {
    let help = try descent("help")
    #expect(help.status == 0)
    #expect(help.output.hasPrefix("usage: descent <command> [options]\n\ncommands:\n  devices "))
    #expect(
      help.output.contains("  --epochs 15 ") && help.output.contains("  --sampler tpe ")
        && help.output.hasSuffix("options.)\n"))
  }

  /// Every command answers `--help` and `-h` with its own usage and options (exit 0), wherever the
  /// flag stands, and nothing else runs.
  @Test(arguments: [
    ("devices", "usage: descent devices\n", ["DESCENT_DEVICE"], ["--epochs"]),
    ("check", "usage: descent check [--size N]\n", ["float64 product"], ["--epochs"]),
    (
      "train", "usage: descent train [options]\n", ["  --epochs 15 ", "  --data PATH ", "DESCENT_DEVICE"], ["--sampler"]
    ),
    (
      "tune", "usage: descent tune [options]\n", ["  --sampler tpe ", "  --worker ", "DESCENT_DEVICE"], ["--checkpoint"]
    ),
    ("predict", "usage: descent predict --model FILE", ["  --probabilities ", "  --logits "], ["--epochs"]),
    ("evaluate", "usage: descent evaluate --model FILE", ["  --labels FILE ", "  --svg FILE "], ["--epochs"]),
    ("export", "usage: descent export --model FILE", ["  --format onnx "], ["--epochs"]),
  ])
  func everyCommandHasItsOwnHelp(_ command: String, _ first: String, _ present: [String], _ absent: [String]) throws {
    for flag in ["--help", "-h"] {
      let result = try run([command, "--epochs", "2", flag])
      #expect(result.status == 0 && result.error.isEmpty, "\(command) \(flag): \(result.error)")
      #expect(result.output.hasPrefix(first), "\(command) \(flag): \(result.output)")
      for text in present { #expect(result.output.contains(text), "\(command) --help lacks \(text)") }
      for text in absent { #expect(!result.output.contains(text), "\(command) --help shows \(text)") }
    }
  }
}
