import Descent
import DescentOpenCL
import Foundation
import Testing

extension ParityCase {
  /// Every case, written once; each backend runs all of them.
  static let all: [ParityCase] = gemm + elementwise + losses + random + optimizers + training

  /// The cases the OpenCL parity tests run in this process: all of them, or with
  /// `DESCENT_PARITY_CASES=sample` the ``sample`` (what `scripts/oclgrind.sh` runs by default);
  /// then with `DESCENT_PARITY_SHARD=i/n` every n-th starting at the i-th (1 ≤ i ≤ n), so that slow
  /// simulators run the suite as n processes side by side. A malformed value selects nothing, and
  /// `Parity.settingsAreValid` fails naming it.
  static let selected: [ParityCase] = {
    let cases: [ParityCase]
    switch casesSetting {
    case nil, "all": cases = all
    case "sample": cases = sample
    default: return []
    }
    guard let text = shardSetting else { return cases }
    guard let (index, count) = parseShard(text) else { return [] }
    return stride(from: index - 1, to: cases.count, by: count).map { cases[$0] }
  }()

  static let casesSetting = ProcessInfo.processInfo.environment["DESCENT_PARITY_CASES"]
  static let shardSetting = ProcessInfo.processInfo.environment["DESCENT_PARITY_SHARD"]

  /// Every op at two awkward sizes: for each ``op``, its two largest cases of ``size`` at most
  /// 50 000 (past one work-group of 256 where the op has such a case, yet cheap on a simulator
  /// that runs about a million work-item instructions a second). An op with no case that small
  /// (a deep accumulating product) is left to the other ops of its kernel;
  /// `Parity.sampleLaunchesEveryKernel` checks that the sample runs every kernel.
  static let sample: [ParityCase] = {
    let chosen = Set(
      Dictionary(grouping: all, by: \.op).values.flatMap { cases in
        cases.filter { $0.size <= sampleSize }.sorted { $0.size < $1.size }.suffix(2).map(\.name)
      })
    return all.filter { chosen.contains($0.name) }
  }()

  /// The largest ``size`` the sample prefers.
  static let sampleSize = 50_000

  /// `"i/n"` with 1 ≤ i ≤ n as (i, n); nil for anything else.
  static func parseShard(_ text: String) -> (index: Int, count: Int)? {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]), 1 <= index, index <= count else {
      return nil
    }
    return (index, count)
  }
}

extension ParityCase {
  /// The op without its sizes and settings: the name with every number blanked ("activate relu #",
  /// "gemm #x#x# (AB) alpha # beta #").
  var op: String { name.replacing(/-?[0-9]+(\.[0-9]+)?/, with: "#") }

  /// Whether the case is a product (its name is its ``GemmShape``'s description).
  var isGemm: Bool { name.hasPrefix("gemm ") }

  /// Whether the case runs on `device`: every case on a device that runs every suite, else the
  /// bug classes a second implementation of a CPU showed (rusticl: the tiled GEMM's group size,
  /// loops cut after 65 535 iterations) — products (but those fusing parts in some combinations:
  /// ``someFusionsNames``) and cases past 65 535 elements — and the sample, so that every kernel
  /// still runs there.
  func runs(on device: OpenCLDevice) -> Bool {
    TestBackends.runsEverySuite(device) || (isGemm && !Self.someFusionsNames.contains(name)) || size > 65_535
      || Self.sampleNames.contains(name)
  }

  static let sampleNames = Set(sample.map(\.name))

  /// The work of the case, for choosing cheap ones: the largest product of `x`-separated whole
  /// numbers among the name's words ("gemm 33x7x127 (AB)" 29 337, "adam … 1000 × 20 steps" 1 000).
  var size: Int {
    name.split(separator: " ").compactMap { word -> Int? in
      let factors = word.split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
      guard !factors.contains(nil) else { return nil }
      return factors.reduce(1) { $0 * $1! }
    }.max() ?? 0
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
    arguments: ParityCase.selected)
  func openCL(_ parityCase: ParityCase) throws {
    for backend in TestBackends.openCL where parityCase.runs(on: backend.device) { try parityCase.check(on: backend) }
  }

  /// Every GEMM kernel variant that fits a device (each tile candidate of `gemm`, each row count
  /// of `gemm_wide`) on every device, whatever the device would pick by default: every plain
  /// product and ``ParityCase/fusedOnEveryVariant`` (see ``ParityCase/someFusionsNames``).
  @Test(
    .enabled(if: !TestBackends.openCL.isEmpty, "OpenCL skipped: \(TestBackends.openCLUnavailableReason)"),
    arguments: ParityCase.selected.filter { $0.isGemm && !ParityCase.someFusionsNames.contains($0.name) })
  func openCLEveryGemmVariant(_ parityCase: ParityCase) throws {
    // A further CPU device (rusticl) runs the fused ones on its default variants only (above): its
    // single thread compiles each fusion of each variant for seconds.
    let fused = ParityCase.fusedOnEveryVariantNames.contains(parityCase.name)
    for variant in TestBackends.gemmVariants where !fused || TestBackends.runsEverySuite(variant.device) {
      try parityCase.check(on: variant)
    }
  }

  /// Every other op with its kernels launched in other work-group shapes (see
  /// ``TestBackends/launchVariants``).
  @Test(
    .enabled(if: !TestBackends.openCL.isEmpty, "OpenCL skipped: \(TestBackends.openCLUnavailableReason)"),
    arguments: ParityCase.selected.filter { !$0.isGemm })
  func openCLLaunchVariants(_ parityCase: ParityCase) throws {
    for variant in TestBackends.launchVariants where parityCase.runs(on: variant.device) {
      try parityCase.check(on: variant)
    }
  }

  /// The sample still runs every kernel but the peak probes (`peakProbeComputesEveryChain` runs
  /// those), each op at two small sizes where it has two: on a fresh backend with the GPU profile, as
  /// Oclgrind's device takes, and its products and softmax cross-entropy with the CPU profile
  /// packing A always, as `everyVariantComputesTheProduct` and the first launch variant also run
  /// them. A kernel added without parity cases fails here.
  @Test(.enabled(if: !TestBackends.openCL.isEmpty, "OpenCL skipped: \(TestBackends.openCLUnavailableReason)"))
  func sampleLaunchesEveryKernel() throws {
    let device = TestBackends.openCL[0].device
    let gpu = try OpenCLBackend(device: device, profile: .gpu)
    for parityCase in ParityCase.sample { _ = try parityCase.run(gpu) }
    var choices = KernelChoices.defaults(for: device, profile: .cpu)
    choices.packFlops = 0
    choices.lossRowsPerItem = 16  // softmax cross-entropy's CPU kernel on any device
    let cpu = try OpenCLBackend(device: device, profile: .cpu, choices: choices)
    for parityCase in ParityCase.sample where parityCase.isGemm || parityCase.name.hasPrefix("softmax_cross_entropy ") {
      _ = try parityCase.run(cpu)
    }
    let launched = gpu.builtKernels.union(cpu.builtKernels)
    let missing = OpenCLBackend.kernelNames.subtracting(launched).subtracting(["probe_flops", "probe_triad"])
    #expect(missing.isEmpty, "the sample launches no \(missing.sorted())")
    let small = Dictionary(grouping: ParityCase.all, by: \.op).mapValues {
      $0.filter { $0.size <= ParityCase.sampleSize }.count
    }
    let sampled = Dictionary(grouping: ParityCase.sample, by: \.op).mapValues(\.count)
    for (op, count) in small {
      #expect((sampled[op] ?? 0) == min(2, count), "\(op): \(sampled[op] ?? 0) sampled cases")
    }
  }

  @Test func settingsAreValid() {
    if let text = ParityCase.casesSetting {
      #expect(["all", "sample"].contains(text), "DESCENT_PARITY_CASES=\(text): expected all or sample")
    }
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
