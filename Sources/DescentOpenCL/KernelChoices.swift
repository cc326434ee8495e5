import Foundation

/// Which family of kernel variants an ``OpenCLBackend`` chooses from: everything that the device's
/// type and driver decide.
///
/// - `gpu`: the local-memory tiled `gemm` with the largest tiles that fit the device, the
///   peak-FLOP probe in groups of up to ``KernelChoices/groupSize`` work-items, and softmax
///   cross-entropy's work-group kernel.
/// - `cpu`: `gemm_wide` (a block of C per work-item in float16 accumulators, one work-item per
///   group), the probe one work-item per group, and softmax cross-entropy 16 rows at a time as the
///   lanes of float16 values: what PoCL, which turns each work-item into vector code of its own,
///   runs best.
///
/// A backend uses its device's own profile unless told otherwise, by its initializer or by the
/// `DESCENT_KERNEL_PROFILE` environment variable, so either path can run and be tested on a CPU
/// device (PoCL, rusticl's llvmpipe).
public enum KernelProfile: String, Sendable, CaseIterable, Codable {
  case gpu, cpu

  /// The profile the device asks for: `cpu` for PoCL's CPU devices, `gpu` for every other device.
  /// rusticl's llvmpipe, a CPU device too, vectorises across a group's work-items as a GPU does
  /// and has few to spread in groups of one: there the tiled GEMM ran 1024³ at 4.3 GFLOP/s against
  /// `gemm_wide`'s 0.24, and the work-group softmax cross-entropy at 3.0 GB/s against 0.6.
  public init(nativeTo device: OpenCLDevice) {
    self = device.kind == .cpu && device.platform == Self.poclPlatform ? .cpu : .gpu
  }

  /// PoCL's platform name (`CL_PLATFORM_NAME`).
  static let poclPlatform = "Portable Computing Language"

  /// The environment variable that overrides the device's own profile.
  public static let environmentVariable = "DESCENT_KERNEL_PROFILE"

  /// `DESCENT_KERNEL_PROFILE`'s profile for `device` (see ``init(environmentValue:device:)``).
  /// - Throws: ``OpenCLError/invalidProfile(_:)`` for a value that names no profile.
  public static func fromEnvironment(for device: OpenCLDevice) throws -> KernelProfile {
    try KernelProfile(environmentValue: ProcessInfo.processInfo.environment[environmentVariable], device: device)
  }

  /// The profile `value` names, ignoring case and surrounding spaces: `gpu` or `cpu`; nil, empty or
  /// `native` mean the device's own.
  /// - Throws: ``OpenCLError/invalidProfile(_:)`` for any other value.
  public init(environmentValue value: String?, device: OpenCLDevice) throws {
    let text = value?.trimmingCharacters(in: .whitespaces) ?? ""
    if text.isEmpty || text.lowercased() == "native" {
      self.init(nativeTo: device)
    } else if let profile = KernelProfile(rawValue: text.lowercased()) {
      self = profile
    } else {
      throw OpenCLError.invalidProfile(text)
    }
  }
}

/// The tile sizes `kernels/gemm.cl`'s `gemm` is built with on one device (its `-D` options).
public struct GemmTiles: Codable, Equatable, Hashable, Sendable, CustomStringConvertible {
  public let tileM, tileN, tileK, workPerThreadM, workPerThreadN: Int

  /// Work-items per group: `(tileN/wptN) × (tileM/wptM)`.
  var workGroupSize: Int { (tileN / workPerThreadN) * (tileM / workPerThreadM) }
  var localSize: [Int] { [tileN / workPerThreadN, tileM / workPerThreadM] }
  /// The two staged slices, `a_tile[TILE_K][TILE_M + 1]` and `b_tile[TILE_K][TILE_N + 1]`.
  var localMemoryBytes: Int { 4 * tileK * (tileM + 1 + tileN + 1) }

  var buildOptions: String {
    "-DTILE_M=\(tileM) -DTILE_N=\(tileN) -DTILE_K=\(tileK) -DWPT_M=\(workPerThreadM) -DWPT_N=\(workPerThreadN)"
  }

  public var description: String { "\(tileM)x\(tileN)x\(tileK), \(workPerThreadM)x\(workPerThreadN) per work-item" }

  /// From largest to smallest; the first that fits the device is the default.
  public static let candidates = [
    GemmTiles(tileM: 64, tileN: 64, tileK: 16, workPerThreadM: 4, workPerThreadN: 4),
    GemmTiles(tileM: 32, tileN: 32, tileK: 16, workPerThreadM: 4, workPerThreadN: 4),
    GemmTiles(tileM: 16, tileN: 16, tileK: 8, workPerThreadM: 4, workPerThreadN: 4),
  ]

  /// Why these tiles cannot run on `device` (too many work-items per group, or more local memory
  /// than it has), or nil when they fit.
  func unfitReason(on device: OpenCLDevice) -> String? {
    if workGroupSize > device.maxWorkGroupSize {
      return "needs \(workGroupSize) work-items per group, \(device.name) allows \(device.maxWorkGroupSize)"
    }
    if UInt64(localMemoryBytes) > device.localMemoryBytes {
      return "needs \(localMemoryBytes) bytes of local memory, \(device.name) has \(device.localMemoryBytes)"
    }
    return nil
  }
}

/// One of the GEMM kernels of `kernels/gemm.cl` with its parameters.
public enum GemmVariant: Codable, Equatable, Hashable, Sendable, CustomStringConvertible {
  /// `gemm`: TILE_K-deep slices of A and B staged in local memory, a register tile per work-item
  /// (GPUs).
  case tiled(GemmTiles)
  /// `gemm_wide`: `rows`×16 blocks of C per work-item in float16 accumulators, no barriers (CPU
  /// devices).
  case wide(rows: Int)

  /// The row counts `gemm_wide` is built with: 12 by default (fastest on PoCL 3.1 on a Zen 4 CPU).
  public static let wideRowCounts = [4, 6, 8, 12, 16]

  public var description: String {
    switch self {
    case let .tiled(tiles): "gemm tiles \(tiles)"
    case let .wide(rows): "gemm_wide \(rows) rows per work-item"
    }
  }

  /// The profile this variant belongs to.
  public var profile: KernelProfile {
    if case .tiled = self { return .gpu }
    return .cpu
  }

  /// Every variant: every tile candidate and every wide row count.
  public static let every: [GemmVariant] =
    GemmTiles.candidates.map { .tiled($0) } + wideRowCounts.map { .wide(rows: $0) }

  /// Every variant, whatever the device's type, each with the reason it cannot run on `device`
  /// (nil when it can).
  public static func all(on device: OpenCLDevice) -> [(variant: GemmVariant, unfit: String?)] {
    every.map { variant in
      guard case let .tiled(tiles) = variant else { return (variant, nil) }
      return (variant, tiles.unfitReason(on: device))
    }
  }

  /// The variants of `profile` that run on `device`: what the tuner times.
  public static func candidates(for device: OpenCLDevice, profile: KernelProfile) -> [GemmVariant] {
    all(on: device).filter { $0.unfit == nil && $0.variant.profile == profile }.map(\.variant)
  }

  /// The variant used when nothing was tuned: the largest tiles that fit (`gpu`), 12 rows (`cpu`).
  /// On a device too small for any tile candidate, the smallest tiles (creating the backend then
  /// fails with ``OpenCLError/unfitVariant(_:device:reason:)`` saying why).
  public static func defaults(for device: OpenCLDevice, profile: KernelProfile) -> GemmVariant {
    switch profile {
    case .gpu: candidates(for: device, profile: .gpu).first ?? .tiled(GemmTiles.candidates.last!)
    case .cpu: .wide(rows: 12)
    }
  }
}

/// Every launch decision an ``OpenCLBackend`` makes from its device: the GEMM kernel and the
/// work-group sizes of the other kernels. ``defaults(for:profile:)`` is what a backend uses;
/// tests set other values to run every variant on every device.
public struct KernelChoices: Sendable, Equatable, CustomStringConvertible {
  /// The GEMM kernel and its parameters.
  public var gemm: GemmVariant
  /// The most work-items per group of the element-wise, row-wise and reduction kernels (each
  /// kernel's own `CL_KERNEL_WORK_GROUP_SIZE` caps it further; reductions round it down to a power
  /// of two).
  public var groupSize: Int
  /// The most work-groups of a reduction's first pass (the second pass adds their partial sums in
  /// one group).
  public var reductionGroups: Int
  /// Work-items per group of the peak-FLOP probe.
  public var probeGroupSize: Int
  /// Softmax cross-entropy's kernel: `softmax_cross_entropy_wide` with this many rows per
  /// work-item (16 rows at a time, one per lane of `float16` values; groups of one work-item: what
  /// PoCL vectorises), or, when 0, `softmax_cross_entropy` (a work-group's rows in three phases,
  /// coalesced on a GPU).
  public var lossRowsPerItem: Int
  /// `gemm_wide` packs op(A) into row panels and op(B) into column strips first for products of
  /// at least this many FLOPs (1e8: packing pays for itself only on large products; tests set 0 to
  /// run the packed path on small ones).
  public var packFlops: Double
  /// `packFlops` unless a test sets it.
  public static let defaultPackFlops = 1e8

  public init(
    gemm: GemmVariant, groupSize: Int, reductionGroups: Int, probeGroupSize: Int, lossRowsPerItem: Int,
    packFlops: Double = defaultPackFlops
  ) {
    self.gemm = gemm
    self.groupSize = groupSize
    self.reductionGroups = reductionGroups
    self.probeGroupSize = probeGroupSize
    self.lossRowsPerItem = lossRowsPerItem
    self.packFlops = packFlops
  }

  /// What `profile` picks on `device`: ``GemmVariant/defaults(for:profile:)``, groups of up to 256,
  /// reductions over up to 4 groups per compute unit (at most 256), the probe in groups of 256
  /// (`gpu`) or 1 (`cpu`, where PoCL would otherwise also vectorise across the group's work-items,
  /// on top of the probe's float16 vectors), and softmax cross-entropy in work-group phases (`gpu`)
  /// or 64 rows per work-item (`cpu`: PoCL ran the phased kernel one work-item at a time, 5 GB/s
  /// against 14–25).
  public static func defaults(for device: OpenCLDevice, profile: KernelProfile) -> KernelChoices {
    KernelChoices(
      gemm: .defaults(for: device, profile: profile), groupSize: 256,
      reductionGroups: min(4 * max(1, device.computeUnits), 256),
      probeGroupSize: profile == .cpu ? 1 : 256, lossRowsPerItem: profile == .cpu ? 64 : 0)
  }

  public var description: String {
    let packing = packFlops == Self.defaultPackFlops ? "" : ", operands packed from \(packFlops) FLOPs"
    let loss = lossRowsPerItem > 0 ? ", softmax cross-entropy \(lossRowsPerItem) rows per work-item" : ""
    return "\(gemm)\(packing), groups of ≤ \(groupSize), reductions over ≤ \(reductionGroups) groups\(loss)"
  }
}
