// swift-tools-version: 6.2
import Foundation
import PackageDescription

// A user's package: depends on Descent by path, as an application would, and sets nothing else.
// benchmarks/dependent.sh builds it as it is (Descent's default `NativeCPU` trait) and with
// `DESCENT_TRAITS=none` (`traits: []`, the portable baseline), and times its training.
let traits: Set<Package.Dependency.Trait> =
  Context.environment["DESCENT_TRAITS"] == "none" ? [] : [.defaults]
// A path dependency's package is named after its folder: the clone's, two levels up.
let descent = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent()
  .deletingLastPathComponent().lastPathComponent

let package = Package(
  name: "TrainMLP",
  dependencies: [.package(path: "../..", traits: traits)],
  targets: [
    .executableTarget(name: "TrainMLP", dependencies: [.product(name: "Descent", package: descent)])
  ]
)
