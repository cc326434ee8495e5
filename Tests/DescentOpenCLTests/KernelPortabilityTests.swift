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
    let clang = try #require(clang, "CI=true but no clang on the PATH")
    for fma in ["", "-DHARDWARE_FMA"] {
      let process = Process()
      process.executableURL = clang
      process.arguments =
        [
          "-x", "cl", "-cl-std=\(standard)", "-Xclang", "-finclude-default-header", "-Xclang", "-cl-ext=-all",
          "-fsyntax-only", "-Wall", "-Werror",
        ] + (build.options + " " + fma).split(separator: " ").map(String.init)
        + [Self.kernelsFolder.appendingPathComponent(build.file).path]
      let errors = Pipe()
      process.standardError = errors
      try process.run()
      let log = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      process.waitUntilExit()
      #expect(process.terminationStatus == 0, "\(build.file) \(build.options) \(fma) for \(standard):\n\(log)")
    }
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
