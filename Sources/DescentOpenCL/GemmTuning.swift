import Descent
import Foundation

/// The GEMM kernel's parameters on one device: local-memory tiles for GPUs (`gemm`), rows per
/// work-item for CPU devices (`gemm_wide`).
public struct GemmChoice: Codable, Equatable, Sendable, CustomStringConvertible {
  public var tiles: GemmTiles
  public var wideRows: Int

  /// The largest tiles that fit the device and 12 rows per work-item.
  static func defaults(for device: OpenCLDevice) -> GemmChoice {
    GemmChoice(tiles: GemmTiles.choose(for: device), wideRows: 12)
  }

  /// Every choice worth timing on `device`: tile candidates that fit (GPUs) or row counts (CPUs).
  static func candidates(for device: OpenCLDevice) -> [GemmChoice] {
    let defaults = defaults(for: device)
    if device.kind == .cpu { return [4, 6, 8, 12, 16].map { GemmChoice(tiles: defaults.tiles, wideRows: $0) } }
    return GemmTiles.candidates.filter {
      $0.workGroupSize <= device.maxWorkGroupSize && UInt64($0.localMemoryBytes) <= device.localMemoryBytes
    }.map { GemmChoice(tiles: $0, wideRows: defaults.wideRows) }
  }

  public var description: String { "tiles \(tiles), \(wideRows) rows per wide work-item" }
}

/// Tuned choices per device, in `$DESCENT_CACHE_DIR` (else `$XDG_CACHE_HOME/descent`, else
/// `~/.cache/descent`) as `gemm-tuning.json`, keyed by platform, device, driver version and a hash
/// of `kernels/gemm.cl`, so a driver update or a changed kernel invalidates the entry. A missing or
/// unreadable file means "not tuned".
public enum GemmTuningCache {
  public static var defaultPath: String {
    let environment = ProcessInfo.processInfo.environment
    let folder = environment["DESCENT_CACHE_DIR"]
      ?? environment["XDG_CACHE_HOME"].map { "\($0)/descent" }
      ?? "\(NSHomeDirectory())/.cache/descent"
    return "\(folder)/gemm-tuning.json"
  }

  static func key(_ device: OpenCLDevice) -> String {
    "\(device.platform) | \(device.name) | \(device.driverVersion) | gemm.cl \(kernelHash)"
  }

  /// FNV-1a (64-bit) of the embedded `gemm.cl`: stable across runs, unlike `hashValue`.
  static let kernelHash: String = {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in (KernelSources.files["gemm.cl"] ?? "").utf8 {
      hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
    }
    return String(hash, radix: 16)
  }()

  static func load(for device: OpenCLDevice, path: String = defaultPath) -> GemmChoice? {
    guard let data = FileManager.default.contents(atPath: path),
          let entries = try? JSONDecoder().decode([String: GemmChoice].self, from: data) else { return nil }
    return entries[key(device)]
  }

  static func save(_ choice: GemmChoice, for device: OpenCLDevice, path: String = defaultPath) throws {
    var entries: [String: GemmChoice] = [:]
    if let data = FileManager.default.contents(atPath: path) {
      entries = (try? JSONDecoder().decode([String: GemmChoice].self, from: data)) ?? [:]
    }
    entries[key(device)] = choice
    let url = URL(fileURLWithPath: path)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try encoder.encode(entries).write(to: url, options: .atomic)
  }
}

extension OpenCLBackend {
  /// The GEMM parameters in use on this backend.
  public var gemmParameters: GemmChoice { locked { gemmChoice } }

  /// Times every candidate GEMM parameter set on `shapes` (after a warm-up, best of `repeats`),
  /// keeps the fastest by total time, and saves it for this device in the tuning cache (`cachePath`,
  /// by default the one every backend reads at creation), as CLBlast's tuner does. Returns each
  /// candidate with its total seconds, fastest first.
  @discardableResult
  public func tuneGemm(shapes: [GemmShape], repeats: Int = 3, cachePath: String = GemmTuningCache.defaultPath) throws
    -> [(choice: GemmChoice, seconds: Double)] {
    var results: [(choice: GemmChoice, seconds: Double)] = []
    let buffers = try shapes.map { shape in
      (try allocate(shape.m * shape.k), try allocate(shape.k * shape.n), try allocate(shape.m * shape.n))
    }
    for (a, b, _) in buffers {
      try fillRandom(a, .uniform(low: -1, high: 1), key: RandomKey(seed: 1))
      try fillRandom(b, .uniform(low: -1, high: 1), key: RandomKey(seed: 2))
    }
    for candidate in GemmChoice.candidates(for: device) {
      locked { gemmChoice = candidate }
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
      results.append((candidate, total))
    }
    results.sort { $0.seconds < $1.seconds }
    let chosen = results.first?.choice ?? GemmChoice.defaults(for: device)
    locked { gemmChoice = chosen }
    try GemmTuningCache.save(chosen, for: device, path: cachePath)
    return results
  }
}
