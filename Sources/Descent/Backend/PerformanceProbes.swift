/// Measurements of a device's own limits, written for `benchmarks/` so that every GEMM and memory
/// number can be reported as a fraction of what the device was seen to reach.
public protocol PerformanceProbes {
  /// The best FLOP/s of independent multiply-add chains over all cores or compute units.
  func measurePeakFlops() throws -> Double
  /// The best bytes/s of STREAM's triad `a = b + s·c` over 64 MiB arrays (12 bytes per element).
  func measureBandwidth() throws -> Double
}
