import Descent
@testable import DescentOpenCL
import Foundation
import Testing

/// Every GEMM parameter set the tuner may pick is correct, and tuning picks one and caches it.
@Suite(.enabled(if: !devices.isEmpty, "OpenCL skipped: \(skipReason)"))
struct GemmTuningTests {
  /// Awkward shapes (none a multiple of any tile), each with both operands transposed and not;
  /// with `DESCENT_PARITY_CASES=sample` (`scripts/oclgrind.sh`) the first two: one inside a tile,
  /// one past a 64-tile on both sides with a partial depth step.
  static let shapes: [GemmShape] = [(7, 17, 33), (65, 63, 129), (1, 40, 5), (30, 1, 70)]
    .prefix(ProcessInfo.processInfo.environment["DESCENT_PARITY_CASES"] == "sample" ? 2 : 4).flatMap { m, n, k in
      [(false, false), (true, false), (false, true), (true, true)].map {
        GemmShape(m: m, n: n, k: k, transposeA: $0.0, transposeB: $0.1, alpha: 1.5, beta: 0.5)
      }
    }

  /// Every variant of every profile that fits the device, run on it whatever its type (on a
  /// further CPU device, its own profile's); the ones that do not fit are named with the reason.
  /// `gemm_wide` runs twice: as chosen (these products are too small to pack A) and packing A always.
  @Test func everyVariantComputesTheProduct() throws {
    for device in devices {
      // A further CPU device (rusticl's llvmpipe beside PoCL) takes its own profile's variants:
      // it compiles on one thread, ~1.7 s a build (215 s for all of them with an empty cache).
      let further = device.kind == .cpu && devices.first { $0.kind == .cpu } != device
      for (variant, unfit) in GemmVariant.all(on: device)
      where !further || variant.profile == KernelProfile(nativeTo: device) {
        if let unfit {
          print("skipped \(variant) on \(device): \(unfit)")
          continue
        }
        var choices = KernelChoices.defaults(for: device, profile: variant.profile)
        choices.gemm = variant
        for packFlops in variant.profile == .cpu ? [choices.packFlops, 0] : [choices.packFlops] {
          choices.packFlops = packFlops
          let backend = try OpenCLBackend(device: device, profile: variant.profile, choices: choices)
          for shape in Self.shapes {
            try Self.checkProduct(shape, on: backend)
            try Self.checkProduct(shape, on: backend, fused: true)
          }
        }
      }
    }
  }

  /// Runs `shape` (α 1.5, β 0.5) on `backend` and checks every element against float64; `fused`,
  /// with a bias, ReLU and op(B)'s column sums fused in (``GemmFusion``), checked too.
  static func checkProduct(_ shape: GemmShape, on backend: OpenCLBackend, fused: Bool = false) throws {
    let a = (0..<shape.m * shape.k).map { Float(($0 * 7) % 11) / 11 - 0.5 }
    let b = (0..<shape.k * shape.n).map { Float(($0 * 5) % 13) / 13 - 0.5 }
    let c = (0..<shape.m * shape.n).map { Float($0 % 3) }
    let bias = (0..<shape.n).map { Float($0 % 5) - 2 }
    let (out, activated, sums) = (try backend.buffer(c), try backend.allocate(c.count), try backend.allocate(shape.n))
    try backend.gemm(
      shape, try backend.buffer(a), try backend.buffer(b), into: out,
      fusing: fused ? GemmFusion(bias: try backend.buffer(bias), activation: (.relu, activated), bSums: sums) : .none)
    let got = try backend.download(out)
    let (gotActivated, gotSums) = (try backend.download(activated), try backend.download(sums))
    let name = "\(backend.name) \(shape)\(fused ? " fused" : "")"
    for j in 0..<shape.n {
      let column = (0..<shape.k).map { Double(shape.transposeB ? b[j * shape.k + $0] : b[$0 * shape.n + j]) }
      for i in 0..<shape.m {
        var sum = 0.0, magnitude = 0.0
        for p in 0..<shape.k {
          let x = Double(shape.transposeA ? a[p * shape.m + i] : a[i * shape.k + p])
          sum += x * column[p]
          magnitude += abs(x * column[p])
        }
        let expected = 1.5 * sum + 0.5 * Double(c[i * shape.n + j]) + (fused ? Double(bias[j]) : 0)
        // Higham's bound for a k-term dot product, plus the α/β terms (as in the parity suite) and
        // the bias's one rounding.
        let bound =
          Double(shape.k + 2) * 0x1p-24 * (1.5 * magnitude + 0.5 * abs(Double(c[i * shape.n + j])))
          + (fused ? 0x1p-24 * abs(expected) : 0) + 1e-30
        let value = got[i * shape.n + j]
        #expect(abs(Double(value) - expected) <= bound * 1.01, "\(name) [\(i),\(j)]: \(value) vs \(expected)")
        if fused {
          #expect(gotActivated[i * shape.n + j] == max(value, 0), "\(name) ReLU [\(i),\(j)]")
        }
      }
      if fused {
        let expected = column.reduce(0, +), bound = Double(shape.k) * 0x1p-24 * column.reduce(0) { $0 + abs($1) }
        #expect(abs(Double(gotSums[j]) - expected) <= bound * 1.01 + 1e-30, "\(name) sums [\(j)]: \(gotSums[j])")
      }
    }
  }

  /// Products of 100 MFLOP or more take the packed-A path on CPU devices: check one with awkward
  /// sizes, both transposes of A, on sampled rows (every 7th) against float64.
  @Test func largeProductsTakeThePackedPathCorrectly() throws {
    for device in devices {
      let backend = try OpenCLBackend(device: device)
      for transposeA in [false, true] {
        let shape = GemmShape(m: 301, n: 333, k: 517, transposeA: transposeA, transposeB: true)
        #expect(shape.flops >= 1e8)
        let a = (0..<shape.m * shape.k).map { Float(($0 * 7) % 11) / 11 - 0.5 }
        let b = (0..<shape.k * shape.n).map { Float(($0 * 5) % 13) / 13 - 0.5 }
        let out = try backend.allocate(shape.m * shape.n)
        try backend.gemm(shape, try backend.buffer(a), try backend.buffer(b), into: out)
        let got = try backend.download(out)
        var worst = 0.0
        for i in stride(from: 0, to: shape.m, by: 7) {
          for j in 0..<shape.n {
            var sum = 0.0, magnitude = 0.0
            for p in 0..<shape.k {
              let x = Double(transposeA ? a[p * shape.m + i] : a[i * shape.k + p]), y = Double(b[j * shape.k + p])
              sum += x * y
              magnitude += abs(x * y)
            }
            worst = max(
              worst, abs(Double(got[i * shape.n + j]) - sum) / (Double(shape.k + 2) * 0x1p-24 * magnitude + 1e-30))
          }
        }
        #expect(worst <= 1, "\(device.name) \(shape): worst error \(worst) of Higham's bound")
      }
    }
  }

  /// Tuning times each variant of the backend's profile, keeps the fastest, and caches it under the
  /// device and profile: a backend with the other profile does not pick it up.
  @Test(arguments: KernelProfile.allCases)
  func tuningPicksTheFastestAndCachesIt(_ profile: KernelProfile) throws {
    let path = NSTemporaryDirectory() + "descent-tuning-\(UUID().uuidString)/gemm-tuning.json"
    defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path) }
    let device = devices[0]
    let backend = try OpenCLBackend(device: device, profile: profile)
    let results = try backend.tuneGemm(shapes: [GemmShape(m: 64, n: 64, k: 64)], repeats: 1, cachePath: path)
    #expect(
      results.map(\.variant).sorted { "\($0)" < "\($1)" }
        == GemmVariant.candidates(for: device, profile: profile).sorted { "\($0)" < "\($1)" })
    #expect(results.allSatisfy { $0.variant.profile == profile })
    #expect(results.map(\.seconds) == results.map(\.seconds).sorted())
    #expect(backend.kernelChoices.gemm == results[0].variant)
    #expect(GemmTuningCache.load(for: device, profile: profile, path: path) == results[0].variant)
    let other: KernelProfile = profile == .gpu ? .cpu : .gpu
    #expect(GemmTuningCache.load(for: device, profile: other, path: path) == nil)
  }

  /// The choosing, with scripted times (the real ones are too close to tell apart reliably): the
  /// candidate with the least time wins wherever it is in the list, is used and cached, and every
  /// candidate is timed once. Fails for a tuner that keeps the first, the last or the slowest.
  @Test(arguments: KernelProfile.allCases)
  func tuningKeepsTheLeastTime(_ profile: KernelProfile) throws {
    let path = NSTemporaryDirectory() + "descent-tuning-\(UUID().uuidString)/gemm-tuning.json"
    defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path) }
    let device = devices[0]
    let candidates = GemmVariant.candidates(for: device, profile: profile)
    try #require(candidates.count >= 3, "\(profile): too few candidates to tell a choice from the order")
    // Times 3, 4, 5, … from the second candidate on; the middle one the fastest (0.5).
    let fastest = candidates[candidates.count / 2]
    var timed: [GemmVariant] = []
    let backend = try OpenCLBackend(device: device, profile: profile)
    let results = try backend.tuneGemm(cachePath: path) { variant in
      timed.append(variant)
      return variant == fastest ? 0.5 : Double(3 + timed.count)
    }
    #expect(timed == candidates)
    #expect(results.first?.variant == fastest && results.first?.seconds == 0.5)
    #expect(results.map(\.seconds) == results.map(\.seconds).sorted())
    #expect(backend.kernelChoices.gemm == fastest)
    #expect(GemmTuningCache.load(for: device, profile: profile, path: path) == fastest)
  }

  /// A profile is the device's own unless named; an unknown name is an error that lists the names.
  @Test func profilesComeFromTheDeviceOrTheEnvironmentValue() throws {
    for device in devices {
      let native = KernelProfile(nativeTo: device)
      #expect(native == (device.kind == .cpu && device.platform == KernelProfile.poclPlatform ? .cpu : .gpu))
      #expect(try KernelProfile(environmentValue: nil, device: device) == native)
      #expect(try KernelProfile(environmentValue: " Native ", device: device) == native)
      #expect(try KernelProfile(environmentValue: "GPU", device: device) == .gpu)
      #expect(try KernelProfile(environmentValue: "cpu", device: device) == .cpu)
      let error = #expect(throws: OpenCLError.self) { try KernelProfile(environmentValue: "fast", device: device) }
      #expect(error?.description == "DESCENT_KERNEL_PROFILE=fast names no kernel profile (allowed: gpu, cpu, native)")
      #expect(KernelChoices.defaults(for: device, profile: .gpu).gemm.profile == .gpu)
      #expect(KernelChoices.defaults(for: device, profile: .cpu).gemm == .wide(rows: 12))
    }
  }

  /// Asking for tiles a device cannot hold fails at creation, naming the tiles and the limit.
  @Test func unfitTilesAreRefusedWithTheReason() throws {
    let device = devices[0]
    let huge = GemmTiles(tileM: 512, tileN: 512, tileK: 64, workPerThreadM: 1, workPerThreadN: 1)
    var choices = KernelChoices.defaults(for: device, profile: .gpu)
    choices.gemm = .tiled(huge)
    let error = #expect(throws: OpenCLError.self) {
      try OpenCLBackend(device: device, profile: .gpu, choices: choices)
    }
    #expect(
      error?.description.hasPrefix("gemm tiles 512x512x64, 1x1 per work-item cannot run on \(device): needs ") == true)
  }
}
