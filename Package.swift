// swift-tools-version: 6.0
import PackageDescription

// `DESCENT_TARGET_CPU=haswell swift build -c release` compiles the core for that CPU level (AVX2,
// FMA) and turns on the FMA GEMM micro-kernel; scripts/main.sh, scripts/test.sh and
// benchmarks/run.sh set it from scripts/target-cpu.sh. Without it (the default, and what a package
// depending on Descent gets) the code targets baseline x86-64, where an FMA would be a libm call
// per lane.
// The same builds drop C's errno for math (-fno-math-errno): on Linux, Float.squareRoot() is
// C's sqrtf, which with errno is a scalar sqrt plus a branch per lane; without it, one vsqrtps.
// CPUs with AVX-512 (scripts/target-cpu.sh picks skylake-avx512 for them) also get the GEMM's 8×32
// zmm micro-kernel (DESCENT_AVX512): half the instructions per multiply-add of the 6×16 ymm one.
let targetCPU = Context.environment["DESCENT_TARGET_CPU"].flatMap { $0.isEmpty ? nil : $0 }
let avx512CPUs: Set = [
  "skylake-avx512", "cascadelake", "cooperlake", "icelake-server", "sapphirerapids",
  "znver4", "znver5",
]
let coreSettings: [SwiftSetting] =
  targetCPU.map {
    [.unsafeFlags(["-target-cpu", $0, "-Xcc", "-fno-math-errno"]), .define("DESCENT_FMA")]
      + (avx512CPUs.contains($0) ? [.define("DESCENT_AVX512")] : [])
  } ?? []

let package = Package(
  name: "Descent",
  products: [
    .library(name: "Descent", targets: ["Descent"]),
    .library(name: "DescentOpenCL", targets: ["DescentOpenCL"]),
    .library(name: "DescentTuning", targets: ["DescentTuning"]),
    .executable(name: "descent", targets: ["DescentCLI"]),
    .executable(name: "descent-benchmarks", targets: ["DescentBenchmarks"]),
  ],
  targets: [
    // MARK: Core: the Backend protocol, the pure-Swift CPU backend, training, data
    .target(name: "Descent", dependencies: ["CZlib"], swiftSettings: coreSettings),
    .testTarget(
      name: "DescentTests", dependencies: ["Descent", "TestSupport", "CZlib"],
      exclude: ["FuzzRegressions"]),  // inputs the fuzz tests read by path
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

    // MARK: The `descent` command line
    .executableTarget(name: "DescentCLI", dependencies: ["Descent", "DescentOpenCL", "DescentTuning"]),
    .testTarget(name: "DescentCLITests", dependencies: ["Descent", "DescentCLI", "DescentTuning", "TestSupport"]),

    // MARK: The seeded mutation fuzzer the loader tests share
    .target(name: "TestSupport", path: "Tests/TestSupport"),

    // MARK: Benchmarks: both backends side by side, with the Python peers in benchmarks/peers
    .executableTarget(
      name: "DescentBenchmarks",
      dependencies: ["Descent", "DescentOpenCL", "COpenCL", "DescentTuning"],
      path: "benchmarks",
      exclude: [
        "peers", "run.sh", "README.md", "tune.sh", "tune-space.json", "storage.sh", "inference.sh", "small-batches.sh",
      ],
      swiftSettings: coreSettings
    ),
  ]
)
