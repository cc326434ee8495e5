import Descent
import DescentOpenCL
import Foundation
import Testing

extension ParityCase {
  /// Every case, written once; each backend runs all of them.
  static let all: [ParityCase] = gemm + allButGemm
  /// The cases whose kernels are launched in work-group shapes (every one but the GEMMs).
  static let allButGemm: [ParityCase] = elementwise + losses + random + optimizers + training

  /// The cases `Parity.openCL` runs in this process: all of them, or with `DESCENT_PARITY_SHARD=i/n`
  /// every n-th starting at the i-th (1 ≤ i ≤ n), so that slow simulators (`scripts/oclgrind.sh`)
  /// run the suite as n processes side by side. A malformed value selects nothing, and
  /// `Parity.shardIsValid` fails naming it.
  static let shard: [ParityCase] = {
    guard let text = shardSetting else { return all }
    guard let (index, count) = parseShard(text) else { return [] }
    return stride(from: index - 1, to: all.count, by: count).map { all[$0] }
  }()

  static let shardSetting = ProcessInfo.processInfo.environment["DESCENT_PARITY_SHARD"]

  /// `"i/n"` with 1 ≤ i ≤ n as (i, n); nil for anything else.
  static func parseShard(_ text: String) -> (index: Int, count: Int)? {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]), 1 <= index, index <= count else {
      return nil
    }
    return (index, count)
  }
}

/// The parity suite: every op on every backend against float64 references.
@Suite struct Parity {
  @Test(arguments: ParityCase.all)
  func cpu(_ parityCase: ParityCase) throws {
    try parityCase.check(on: TestBackends.cpu)
  }

  @Test(
    .enabled(if: !TestBackends.openCL.isEmpty, "OpenCL skipped: \(TestBackends.openCLUnavailableReason)"),
    arguments: ParityCase.shard)
  func openCL(_ parityCase: ParityCase) throws {
    for backend in TestBackends.openCL { try parityCase.check(on: backend) }
  }

  /// Every GEMM kernel variant that fits a device (each tile candidate of `gemm`, each row count
  /// of `gemm_wide`) on every device, whatever the device would pick by default.
  @Test(
    .enabled(if: !TestBackends.openCL.isEmpty, "OpenCL skipped: \(TestBackends.openCLUnavailableReason)"),
    arguments: ParityCase.gemm)
  func openCLEveryGemmVariant(_ parityCase: ParityCase) throws {
    for variant in TestBackends.gemmVariants { try parityCase.check(on: variant) }
  }

  /// Every other op with its kernels launched in other work-group shapes (see
  /// ``TestBackends/launchVariants``).
  @Test(
    .enabled(if: !TestBackends.openCL.isEmpty, "OpenCL skipped: \(TestBackends.openCLUnavailableReason)"),
    arguments: ParityCase.allButGemm)
  func openCLLaunchVariants(_ parityCase: ParityCase) throws {
    for variant in TestBackends.launchVariants { try parityCase.check(on: variant) }
  }

  @Test func shardIsValid() {
    if let text = ParityCase.shardSetting {
      #expect(
        ParityCase.parseShard(text) != nil, "DESCENT_PARITY_SHARD=\(text): expected i/n with 1 ≤ i ≤ n, like 2/3")
    }
    #expect(ParityCase.parseShard("2/3")! == (2, 3))
    for bad in ["0/2", "3/2", "1", "1/", "a/2", "1/2/3", ""] { #expect(ParityCase.parseShard(bad) == nil, "\(bad)") }
  }

  @Test(
    "PoCL and rusticl are present under CI=true",
    .enabled(if: TestBackends.requireOpenCL, "CI is not set: a missing OpenCL device only skips"))
  func openCLPresentInCI() {
    #expect(
      !TestBackends.openCL.isEmpty,
      "CI=true but no OpenCL device: \(TestBackends.openCLUnavailableReason)")
    for (platform, package) in TestBackends.requiredPlatforms {
      #expect(
        TestBackends.openCL.contains { $0.device.platform.contains(platform) },
        "CI=true but no \(platform) device: install \(package)")
    }
  }

  /// Prints the backends and variants the OpenCL suites run on, and the variants skipped and why.
  @Test(.enabled(if: !TestBackends.openCL.isEmpty, "OpenCL skipped: \(TestBackends.openCLUnavailableReason)"))
  func openCLBackendsAndVariantsAreListed() {
    for backend in TestBackends.openCL { print("parity suite ran on \(backend.name)") }
    for variant in TestBackends.gemmVariants + TestBackends.launchVariants {
      if case let .failure(error) = variant.backend { Issue.record("\(variant.label): \(error)") }
      print("variant: \(variant.label)")
    }
    for skipped in TestBackends.skippedGemmVariants { print("GEMM variant skipped: \(skipped)") }
  }

  /// Random fills and dropout masks are bit-identical on every backend, not just close.
  @Test(
    .enabled(if: !TestBackends.openCL.isEmpty, "OpenCL skipped: \(TestBackends.openCLUnavailableReason)"),
    arguments: [
      Distribution.uniform(low: -1, high: 1), .normal(mean: 0, standardDeviation: 1),
      .normal(mean: 3, standardDeviation: 0.01),
    ])
  func randomBitsMatchCPU(_ distribution: Distribution) throws {
    let key = RandomKey(seed: 2026, stream: 11)
    let count = 100_003
    let reference = try TestBackends.cpu.allocate(count)
    try TestBackends.cpu.fillRandom(reference, distribution, key: key)
    let expected = try TestBackends.cpu.download(reference).map(\.bitPattern)
    for backend in TestBackends.openCL {
      let buffer = try backend.allocate(count)
      try backend.fillRandom(buffer, distribution, key: key)
      let got = try backend.download(buffer).map(\.bitPattern)
      let differing = zip(got, expected).filter { $0 != $1 }.count
      #expect(
        differing == 0, "\(distribution) on \(backend.name): \(differing) of \(count) values differ in their bits")
    }
  }

  @Test(.enabled(if: !TestBackends.openCL.isEmpty, "OpenCL skipped: \(TestBackends.openCLUnavailableReason)"))
  func dropoutMasksMatchCPU() throws {
    let key = RandomKey(seed: 7, stream: 99)
    let count = 65_537
    let x = Inputs.uniform(count, seed: 5)
    func masks(_ backend: any Backend) throws -> [UInt32] {
      let (y, mask) = (try backend.allocate(count), try backend.allocate(count))
      try backend.dropout(try backend.buffer(x), rate: 0.3, key: key, into: y, mask: mask)
      return try (backend.download(mask) + backend.download(y)).map(\.bitPattern)
    }
    let expected = try masks(TestBackends.cpu)
    for backend in TestBackends.openCL {
      #expect(try masks(backend) == expected, "dropout on \(backend.name) differs from the CPU's bits")
    }
  }
}
