import Descent
import Foundation

/// Times of repeated runs after a warm-up: the median and the minimum, in seconds.
struct Timing: Codable {
  var median: Double
  var minimum: Double
  var runs: Int

  /// Runs `body` once to warm up (kernel builds, caches, page faults), then at least 3 and at most
  /// `maxRuns` times, stopping after `budget` seconds. `body` must wait for the device itself.
  static func measure(maxRuns: Int = 15, budget: Double = 1.5, _ body: () throws -> Void) rethrows -> Timing {
    try body()
    var times: [Double] = []
    let started = DispatchTime.now().uptimeNanoseconds
    while times.count < 3 || (times.count < maxRuns && Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 < budget) {
      let start = DispatchTime.now().uptimeNanoseconds
      try body()
      times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    times.sort()
    return Timing(median: times[times.count / 2], minimum: times[0], runs: times.count)
  }
}

/// One line of the results table (and one object of the JSON file).
struct Row: Codable {
  var group: String
  var name: String
  var backend: String
  /// The rate from the median time, in `unit`.
  var value: Double
  /// The rate from the fastest run.
  var best: Double
  var unit: String
  /// `value` as a percentage of the device's measured peak (FLOP/s or bandwidth), when it applies.
  var percentOfPeak: Double?
  /// Free text: accuracy, the peer compared with, what limits the number.
  var note: String = ""
}
