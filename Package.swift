// swift-tools-version: 6.2
import Foundation  // /proc/cpuinfo, read by hostCPU()
import PackageDescription

// Tools 6.2: the first that lets a package with unsafe flags be a dependency by version (its own
// flags, below, are the only ones).
// The core's CPU code paths. Swift has no per-function target attributes, so the level is chosen
// for the whole core module when it is compiled:
// - Default (the `NativeCPU` trait, on unless a dependent turns default traits off): the level of
//   the CPU that builds it, read from /proc/cpuinfo here: `skylake-avx512` with AVX-512 F/BW/DQ/VL
//   (the GEMM's 8×32 zmm micro-kernel, DESCENT_AVX512), `haswell` with AVX2 and FMA (the 6×16 ymm
//   FMA micro-kernel), else baseline x86-64. Like `-march=native`: the binary needs a CPU with the
//   same instructions, which the CPUFeatures module (compiled for any x86-64) checks at
//   `descent`'s start.
// - `DESCENT_TARGET_CPU=NAME` (any `-target-cpu` name) builds for that CPU whatever the trait;
//   `DESCENT_TARGET_CPU=x86-64` builds the portable baseline, where an FMA would be a libm call per
//   lane and the GEMM multiplies and adds separately. Dependents get the baseline with
//   `.package(path: "…", traits: [])`.
// FMA builds also drop C's errno for math (-fno-math-errno): on Linux, Float.squareRoot() is C's
// sqrtf, which with errno is a scalar sqrt plus a branch per lane; without it, one vsqrtps.
let requestedCPU = Context.environment["DESCENT_TARGET_CPU"].flatMap { $0.isEmpty ? nil : $0 }
let avx512CPUs: Set = [
  "skylake-avx512", "cascadelake", "cooperlake", "icelake-server", "sapphirerapids",
  "znver4", "znver5",
]
let baselineCPUs: Set = ["x86-64", "baseline", "generic"]

/// The `-target-cpu` level of the CPU running this manifest (scripts/target-cpu.sh's rule), or nil.
func hostCPU() -> String? {
  #if os(Linux) && arch(x86_64)
  guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
    let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
  else { return nil }
  let flags = Set(line.split(separator: " ").map(String.init))
  let haswell = ["avx2", "fma", "bmi1", "bmi2", "f16c", "movbe"]
  if (haswell + ["avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"]).allSatisfy(flags.contains) {
    return "skylake-avx512"
  }
  return haswell.allSatisfy(flags.contains) ? "haswell" : nil
  #else
  return nil
  #endif
}

/// The settings that compile the core for `cpu` when `condition` holds: `-target-cpu` (unless
/// `definesOnly`) and the defines that name its code paths.
func settings(for cpu: String?, _ condition: BuildSettingCondition? = nil, definesOnly: Bool) -> [SwiftSetting] {
  guard let cpu, !baselineCPUs.contains(cpu) else { return [] }
  return (definesOnly ? [] : [.unsafeFlags(["-target-cpu", cpu, "-Xcc", "-fno-math-errno"], condition)])
    + [.define("DESCENT_FMA", condition)] + (avx512CPUs.contains(cpu) ? [.define("DESCENT_AVX512", condition)] : [])
}

/// The core's settings; with `definesOnly`, CPUFeatures' (which must run on any x86-64 CPU).
func cpuSettings(definesOnly: Bool) -> [SwiftSetting] {
  requestedCPU.map { settings(for: $0, definesOnly: definesOnly) + [.define("DESCENT_CPU_REQUESTED")] }
    ?? settings(for: hostCPU(), .when(traits: ["NativeCPU"]), definesOnly: definesOnly)
    + [.define("DESCENT_NATIVE_CPU", .when(traits: ["NativeCPU"]))]
}
let coreSettings = cpuSettings(definesOnly: false)

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
  traits: [
    .trait(name: "NativeCPU", description: "The CPU backend compiled for the building machine's CPU (AVX2, AVX-512)"),
    .default(enabledTraits: ["NativeCPU"]),
  ],
  targets: [
    // MARK: Core: the Backend protocol, the pure-Swift CPU backend, training, data
    .target(name: "Descent", dependencies: ["CZlib"], swiftSettings: coreSettings),
    .target(name: "CPUFeatures", swiftSettings: cpuSettings(definesOnly: true)),  // the core's level, checked anywhere
    .testTarget(
      name: "DescentTests", dependencies: ["Descent", "CPUFeatures", "TestSupport", "CZlib"],
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
      swiftSettings: coreSettings
    ),
  ]
)
