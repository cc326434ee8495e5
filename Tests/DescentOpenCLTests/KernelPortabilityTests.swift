import Descent
@testable import DescentOpenCL
import Foundation
import Testing

/// The first `clang` on the PATH.
private let clang: URL? = (ProcessInfo.processInfo.environment["PATH"] ?? "")
  .split(separator: ":").map { URL(fileURLWithPath: String($0)).appendingPathComponent("clang") }
  .first { FileManager.default.isExecutableFile(atPath: $0.path) }

/// Every kernel file, with every set of build options the backend uses, compiles alone for OpenCL C
/// 1.2 and 3.0 with clang, every optional extension and feature switched off (no fp64, no generic
/// address space...), warnings as errors: a kernel that only one driver accepts fails here, with no
/// device at all. Runs under CI=true always (the Swift toolchain ships clang), elsewhere if clang is
/// on the PATH.
@Suite(.enabled(if: clang != nil || ProcessInfo.processInfo.environment["CI"] == "true", "no clang on the PATH"))
struct KernelPortabilityTests {
  static let kernelsFolder = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("kernels")

  struct Build: CustomTestStringConvertible, Sendable {
    let file: String, options: String
    var testDescription: String { "\(file) \(options)" }
  }

  static let builds = OpenCLBackend.everyBuild.map { Build(file: $0.file, options: $0.options) }

  @Test(arguments: builds, ["CL1.2", "CL3.0"])
  func compilesAlone(_ build: Build, _ standard: String) throws {
    for fma in ["", "-DHARDWARE_FMA"] {
      try Self.expectClean(
        build, ["-cl-std=\(standard)", "-Xclang", "-cl-ext=-all", "-fsyntax-only", fma], "for \(standard)")
    }
  }

  /// PoCL compiles the kernels to machine code for the CPU it runs on, and its compiler's warnings
  /// reach the user's terminal (float16 arguments drew `-Wpsabi` on CPUs without AVX-512: "5 warnings
  /// generated." on every build). So every build also goes through code generation, warnings as
  /// errors, for the x86-64 levels our CPUs span: none, AVX2 + FMA, AVX-512.
  @Test(arguments: builds, ["x86-64", "haswell", "skylake-avx512"])
  func generatesCodeWithoutWarnings(_ build: Build, _ cpu: String) throws {
    try Self.expectClean(
      build,
      [
        "-cl-std=CL3.0", "-target", "x86_64-unknown-linux-gnu", "-march=\(cpu)", "-O2", "-S", "-o", "/dev/null",
        "-DHARDWARE_FMA",
      ],
      "for \(cpu)")
  }

  /// Runs clang on `build` with `arguments`, `-Wall -Werror`, and expects it to succeed.
  static func expectClean(_ build: Build, _ arguments: [String], _ context: String) throws {
    let clang = try #require(clang, "CI=true but no clang on the PATH")
    let process = Process()
    process.executableURL = clang
    let common = ["-x", "cl", "-Xclang", "-finclude-default-header", "-Wall", "-Werror"]
    let options = build.options.split(separator: " ").map(String.init)
    let file = kernelsFolder.appendingPathComponent(build.file).path
    let prelude =
      build.file == SharedContext.prelude
      ? [] : ["-include", kernelsFolder.appendingPathComponent(SharedContext.prelude).path]
    process.arguments = common + arguments.filter { !$0.isEmpty } + options + prelude + [file]
    let errors = Pipe()
    process.standardError = errors
    try process.run()
    let log = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "\(build.file) \(build.options) \(arguments) \(context):\n\(log)")
  }

  /// The list covers every file and every GEMM variant, so a new one is checked without edits here.
  @Test func everyFileAndVariantIsListed() {
    #expect(Set(Self.builds.map(\.file)) == Set(KernelSources.files.keys))
    for variant in GemmVariant.every {
      let options =
        switch variant {
        case let .tiled(tiles): tiles.buildOptions
        case let .wide(rows): "-DWIDE_M=\(rows)"
        }
      #expect(Self.builds.contains { $0.file == "gemm.cl" && $0.options.hasPrefix(options) }, "\(variant)")
    }
  }
}
