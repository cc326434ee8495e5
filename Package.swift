// swift-tools-version: 6.2
import Foundation  // /proc/cpuinfo, read by hostCPU()
import PackageDescription

// Tools 6.2: the first that lets a package with unsafe flags be a dependency by version (its own
// flags, below, are the only ones).
// The CPU backend's code paths:
// - Its hot loops (the GEMM, optimizer updates, softmax cross-entropy and peak probe,
//   Sources/CPUKernels) are compiled once per instruction-set level, each level's folder linking
//   to the same files: CPUKernelsBaseline for
//   any x86-64, CPUKernelsAVX2 with `-target-cpu haswell` (AVX2 + FMA: the 6×16 ymm FMA
//   micro-kernel, DESCENT_FMA), CPUKernelsAVX512 with `skylake-avx512` (AVX-512 F/BW/DQ/VL: the
//   8×32 zmm micro-kernel, DESCENT_AVX512). The core calls the best level the running CPU has
//   (`CPULevel`), so one binary runs at full speed on every x86-64 CPU. Swift has no per-function
//   target attributes: a module is the unit a level is compiled for.
// - The rest of the core is compiled for any x86-64 CPU, unless `DESCENT_TARGET_CPU=NAME` (any
//   `-target-cpu` name) compiles it for that CPU; then the binary needs that CPU's instructions,
//   which the CPUFeatures module (compiled for any x86-64) checks at `descent`'s start.
// C's errno for math is dropped everywhere (-fno-math-errno): on Linux, Float.squareRoot() is
// C's sqrtf, which with errno is a scalar sqrt plus a branch per lane; without it, one sqrtps.
let requestedCPU = Context.environment["DESCENT_TARGET_CPU"].flatMap { $0.isEmpty ? nil : $0 }
let avx512CPUs: Set = [
  "skylake-avx512", "cascadelake", "cooperlake", "icelake-server", "sapphirerapids",
  "znver4", "znver5",
]
let baselineCPUs: Set = ["x86-64", "baseline", "generic"]
let noMathErrno = SwiftSetting.unsafeFlags(["-Xcc", "-fno-math-errno"])

/// The settings that compile a module for `cpu` (nil: any x86-64): `-target-cpu` (unless
/// `definesOnly`) and the defines that name its code paths.
func settings(for cpu: String?, definesOnly: Bool) -> [SwiftSetting] {
  guard let cpu, !baselineCPUs.contains(cpu) else { return definesOnly ? [] : [noMathErrno] }
  #if arch(x86_64)
  return (definesOnly ? [] : [.unsafeFlags(["-target-cpu", cpu, "-Xcc", "-fno-math-errno"])])
    + [.define("DESCENT_FMA")] + (avx512CPUs.contains(cpu) ? [.define("DESCENT_AVX512")] : [])
  #else
  return definesOnly ? [] : [noMathErrno]  // other architectures: the portable code everywhere
  #endif
}

/// The core's settings; with `definesOnly`, CPUFeatures' (which must run on any x86-64 CPU).
func coreSettings(definesOnly: Bool) -> [SwiftSetting] {
  settings(for: requestedCPU, definesOnly: definesOnly)
    + (requestedCPU == nil ? [] : [.define("DESCENT_CPU_REQUESTED")])
}

/// The kernel modules: a name and the CPU it is compiled for.
let kernelLevels: [(String, String?)] = [
  ("CPUKernelsBaseline", nil), ("CPUKernelsAVX2", "haswell"), ("CPUKernelsAVX512", "skylake-avx512"),
]

let package = Package(
  name: "Descent",
  products: [
    .library(name: "Descent", targets: ["Descent"]),
    .library(name: "CPUFeatures", targets: ["CPUFeatures"]),
    .library(name: "DescentOpenCL", targets: ["DescentOpenCL"]),
    .library(name: "DescentTuning", targets: ["DescentTuning"]),
    .executable(name: "descent", targets: ["DescentCLI"]),
    .executable(name: "descent-benchmarks", targets: ["DescentBenchmarks"]),
  ],
  targets: [
    // MARK: Core: the Backend protocol, the pure-Swift CPU backend, training, data
    .target(
      name: "Descent", dependencies: ["CZlib", "CPUFeatures"] + kernelLevels.map { .target(name: $0.0) },
      swiftSettings: coreSettings(definesOnly: false)),
    .target(name: "CPUFeatures", swiftSettings: coreSettings(definesOnly: true)),  // the core's level, checked anywhere
    .testTarget(
      name: "DescentTests",
      dependencies: ["Descent", "CPUFeatures", "TestSupport", "CZlib"] + kernelLevels.map { .target(name: $0.0) },
      exclude: ["FuzzRegressions", "Fixtures"]),  // inputs the tests read by path
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

    // MARK: OpenCL backend; kernels/*.cl are embedded at build time by EmbedKernels
    .systemLibrary(
      name: "COpenCL",
      pkgConfig: "OpenCL",
      providers: [.apt(["ocl-icd-opencl-dev"])]
    ),
    .target(
      name: "DescentOpenCL",
      dependencies: ["Descent", "COpenCL"],
      plugins: ["EmbedKernels"]
    ),
    .testTarget(name: "DescentOpenCLTests", dependencies: ["DescentOpenCL", "COpenCL"]),
    .plugin(name: "EmbedKernels", capability: .buildTool(), dependencies: ["KernelEmbedder"]),
    .executableTarget(name: "KernelEmbedder"),

    // MARK: One parity suite, run on every backend
    .testTarget(name: "ParityTests", dependencies: ["Descent", "DescentOpenCL"]),

    // MARK: Hyperparameter tuning: search spaces, samplers, pruners, studies stored in SQLite
    .target(name: "DescentTuning", dependencies: ["Descent", "CSQLite", "CLibPQ"]),
    .testTarget(name: "DescentTuningTests", dependencies: ["DescentTuning", "Descent", "CSQLite", "TestSupport"]),
    .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
    .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),

    // MARK: The `descent` command line; CommandFlags: one declarative flag table per command
    .executableTarget(
      name: "DescentCLI", dependencies: ["Descent", "DescentOpenCL", "DescentTuning", "CPUFeatures", "CommandFlags"]),
    .target(name: "CommandFlags"),
    .testTarget(
      name: "DescentCLITests", dependencies: ["Descent", "DescentCLI", "DescentTuning", "TestSupport", "CommandFlags"],
      exclude: ["Fixtures"]),  // files the tests read by path

    // MARK: The seeded mutation fuzzer the loader tests share
    .target(name: "TestSupport", path: "Tests/TestSupport"),

    // MARK: Benchmarks: both backends side by side, with the Python peers in benchmarks/peers
    .executableTarget(
      name: "DescentBenchmarks",
      dependencies: ["Descent", "DescentOpenCL", "COpenCL", "DescentTuning", "CommandFlags"],
      path: "benchmarks",
      exclude: [
        "peers", "run.sh", "README.md", "tune.sh", "tune-space.json", "storage.sh", "inference.sh", "small-batches.sh",
        "dependent", "dependent.sh", "automl.sh", "tune-pareto.sh", "pbt.sh", "pbt-space.json", "summary.py", "cpu.sh",
      ],
      swiftSettings: coreSettings(definesOnly: false)
    ),
  ]
)

// MARK: The CPU kernels, one module per level (see above)
package.targets += kernelLevels.map { name, cpu in
  .target(name: name, dependencies: ["CPUFeatures"], swiftSettings: settings(for: cpu, definesOnly: false))
}
