import Foundation

/// How many cores this process may really run on. Foundation's `activeProcessorCount` counts the
/// machine's online cores and ignores the process's CPU affinity (`taskset`, `docker
/// --cpuset-cpus`, a batch scheduler's allocation) and its cgroup CPU quota (`docker --cpus`):
/// with more threads than that, loops whose threads wait for each other run many times slower
/// (measured, 2-core Zen 5: an epoch of 784-256-128-10 under `taskset -c 0` took 16.6 s with two
/// threads, 1.5 s with one).
package enum UsableCores {
  /// The smallest of the online cores, the affinity mask's cores and the quota rounded up; at least 1.
  package static func count() -> Int {
    var count = ProcessInfo.processInfo.activeProcessorCount
    if let allowed = affinity() { count = min(count, allowed) }
    if let quota = try? String(contentsOfFile: "/sys/fs/cgroup/cpu.max", encoding: .utf8),
      let cores = quotaCores(quota)
    {
      count = min(count, cores)
    }
    return max(1, count)
  }

  /// The cores in the process's affinity mask (`Cpus_allowed` in `/proc/self/status`: hexadecimal
  /// words separated by commas), or nil where it cannot be read.
  static func affinity() -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
      let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed:") })
    else { return nil }
    return maskCores(String(line.dropFirst("Cpus_allowed:".count)))
  }

  /// The bits set in a hexadecimal CPU mask such as `ff` or `00000000,00000003`; nil if it does not
  /// parse or has none.
  static func maskCores(_ mask: String) -> Int? {
    var cores = 0
    for character in mask where character != "," && !character.isWhitespace {
      guard let digit = character.hexDigitValue else { return nil }
      cores += digit.nonzeroBitCount
    }
    return cores > 0 ? cores : nil
  }

  /// The cores a cgroup v2 `cpu.max` line ("QUOTA PERIOD", or "max PERIOD" for none) allows:
  /// QUOTA/PERIOD rounded up, so `docker --cpus 1.5` gives 2; nil without a quota or for a line
  /// that does not parse.
  static func quotaCores(_ line: String) -> Int? {
    let fields = line.split(whereSeparator: \.isWhitespace)
    guard fields.count == 2, let quota = Int(fields[0]), let period = Int(fields[1]), quota > 0, period > 0 else {
      return nil
    }
    return (quota + period - 1) / period
  }
}
