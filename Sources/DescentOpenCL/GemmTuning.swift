import Descent
import Foundation

/// Tuned GEMM variants per device and profile, in `$DESCENT_CACHE_DIR` (else
/// `$XDG_CACHE_HOME/descent`, else `~/.cache/descent`) as `gemm-tuning.json`, keyed by platform,
/// device, driver version, profile and a hash of `kernels/gemm.cl`, so a driver update or a changed
/// kernel invalidates the entry. A missing or unreadable file means "not tuned".
public enum GemmTuningCache {
  public static var defaultPath: String {
    let environment = ProcessInfo.processInfo.environment
    let folder =
      environment["DESCENT_CACHE_DIR"]
      ?? environment["XDG_CACHE_HOME"].map { "\($0)/descent" }
      ?? "\(NSHomeDirectory())/.cache/descent"
    return "\(folder)/gemm-tuning.json"
  }

  static func key(_ device: OpenCLDevice, _ profile: KernelProfile) -> String {
    "\(device.platform) | \(device.name) | \(device.driverVersion) | \(profile) | gemm.cl \(kernelHash)"
  }

  /// FNV-1a (64-bit) of the embedded `gemm.cl` as built (after the prelude): stable across runs,
  /// unlike `hashValue`.
  static let kernelHash: String = {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in SharedContext.withPrelude("gemm.cl", KernelSources.files["gemm.cl"] ?? "").utf8 {
      hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
    }
    return String(hash, radix: 16)
  }()

  /// The tuned variant, if it is one of `profile`'s that fits `device`.
  static func load(for device: OpenCLDevice, profile: KernelProfile, path: String = defaultPath) -> GemmVariant? {
    guard let data = FileManager.default.contents(atPath: path),
      let entries = try? JSONDecoder().decode([String: GemmVariant].self, from: data),
      let variant = entries[key(device, profile)],
      GemmVariant.candidates(for: device, profile: profile).contains(variant)
    else { return nil }
    return variant
  }

  static func save(
    _ variant: GemmVariant, for device: OpenCLDevice, profile: KernelProfile,
    path: String = defaultPath
  ) throws {
    var entries: [String: GemmVariant] = [:]
    if let data = FileManager.default.contents(atPath: path) {
      entries = (try? JSONDecoder().decode([String: GemmVariant].self, from: data)) ?? [:]
    }
    entries[key(device, profile)] = variant
    let url = URL(fileURLWithPath: path)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try encoder.encode(entries).write(to: url, options: .atomic)
  }
}

extension OpenCLBackend {
  /// The kernels and launch sizes in use on this backend.
  public var kernelChoices: KernelChoices { locked { choices } }

  /// Times every GEMM variant of this backend's profile that fits the device on `shapes` (after a
  /// warm-up, best of `repeats`), keeps the fastest by total time, and saves it for this device and
  /// profile in the tuning cache (`cachePath`, by default the one every backend reads at creation),
  /// as CLBlast's tuner does. Returns each candidate with its total seconds, fastest first.
  @discardableResult
  public func tuneGemm(
    shapes: [GemmShape], repeats: Int = 3, cachePath: String = GemmTuningCache.defaultPath
  ) throws
    -> [(variant: GemmVariant, seconds: Double)]
  {
    let buffers = try shapes.map { shape in
      (try allocate(shape.m * shape.k), try allocate(shape.k * shape.n), try allocate(shape.m * shape.n))
    }
    for (a, b, _) in buffers {
      try fillRandom(a, .uniform(low: -1, high: 1), key: RandomKey(seed: 1))
      try fillRandom(b, .uniform(low: -1, high: 1), key: RandomKey(seed: 2))
    }
    return try tuneGemm(cachePath: cachePath) { candidate in
      locked { choices.gemm = candidate }
      var total = 0.0
      for (shape, (a, b, c)) in zip(shapes, buffers) {
        try gemm(shape, a, b, into: c)  // builds the kernel
        try synchronize()
        var best = Double.infinity
        for _ in 0..<repeats {
          let start = DispatchTime.now().uptimeNanoseconds
          try gemm(shape, a, b, into: c)
          try synchronize()
          best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        total += best
      }
      return total
    }
  }

  /// Times every GEMM variant of this backend's profile that fits the device with `seconds`, keeps
  /// the fastest for this backend and saves it in the tuning cache; each candidate with its
  /// seconds, fastest first (the timing apart from the choosing, so tests can script the times).
  package func tuneGemm(
    cachePath: String, seconds: (GemmVariant) throws -> Double
  ) throws -> [(variant: GemmVariant, seconds: Double)] {
    var results = try GemmVariant.candidates(for: device, profile: profile).map {
      (variant: $0, seconds: try seconds($0))
    }
    results.sort { $0.seconds < $1.seconds }
    let chosen = results.first?.variant ?? GemmVariant.defaults(for: device, profile: profile)
    locked { choices.gemm = chosen }
    try GemmTuningCache.save(chosen, for: device, profile: profile, path: cachePath)
    return results
  }
}
