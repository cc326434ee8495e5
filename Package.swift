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
    // MARK: Core: tensors, the Backend protocol, the pure-Swift CPU backend
    .target(name: "Descent"),
    .testTarget(name: "DescentTests", dependencies: ["Descent"]),

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
