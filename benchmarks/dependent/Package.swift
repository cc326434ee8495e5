// swift-tools-version: 6.2
import Foundation
import PackageDescription

// A user's package: depends on Descent by path, as an application would, and sets nothing else.
// benchmarks/dependent.sh builds it as it is and with DESCENT_TARGET_CPU, and times its training.
// A path dependency's package is named after its folder: the clone's, two levels up.
let descent = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent()
  .deletingLastPathComponent().lastPathComponent

let package = Package(
  name: "TrainMLP",
  dependencies: [.package(path: "../..")],
  targets: [
    .executableTarget(name: "TrainMLP", dependencies: [.product(name: "Descent", package: descent)])
  ]
)
