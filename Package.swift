// swift-tools-version: 6.0
import PackageDescription

let package = Package(
  name: "Descent",
  products: [
    .library(name: "Descent", targets: ["Descent"]),
    .library(name: "DescentOpenCL", targets: ["DescentOpenCL"]),
    .executable(name: "descent", targets: ["DescentCLI"]),
  ],
  targets: [
    // MARK: Core: the Backend protocol, the pure-Swift CPU backend, training, data
    .target(name: "Descent", dependencies: ["CZlib"]),
    .testTarget(name: "DescentTests", dependencies: ["Descent"]),
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
    .testTarget(name: "DescentOpenCLTests", dependencies: ["DescentOpenCL"]),
    .plugin(name: "EmbedKernels", capability: .buildTool(), dependencies: ["KernelEmbedder"]),
    .executableTarget(name: "KernelEmbedder"),

    // MARK: One parity suite, run on every backend
    .testTarget(name: "ParityTests", dependencies: ["Descent", "DescentOpenCL"]),

    // MARK: The `descent` command line
    .executableTarget(name: "DescentCLI", dependencies: ["Descent", "DescentOpenCL"]),
    .testTarget(name: "DescentCLITests"),
  ]
)
