import Descent
import Foundation

/// Times of repeated runs after a warm-up: the median and the minimum, in seconds.
struct Timing: Codable {
  var median: Double
  var minimum: Double
  var runs: Int
  /// Seconds per call of each sample, sorted.
  var samples: [Double]

  init(samples: [Double]) {
    self.samples = samples.sorted()
    (median, minimum, runs) = (self.samples[samples.count / 2], self.samples[0], samples.count)
  }

  /// The samples of several measurements of one case taken together.
  init(pooling timings: [Timing]) { self.init(samples: timings.flatMap(\.samples)) }

  /// Runs `body` once to warm up (kernel builds, caches, page faults), then takes at least 3 and
  /// at most `maxRuns` samples, stopping after `budget` seconds. A sample is as many back-to-back
  /// calls as fill `minimumSample` seconds (one call timed alone after the warm-up sets the count)
  /// followed by one `finish` (waiting for the device), and its time per call is what the median
  /// and minimum are over. A µs-long call timed alone is mostly the clock reads and the wait: PoCL
  /// takes 33–185 µs to return from each wait, which a training step, queueing its kernels and
  /// waiting once, never pays (PoCL's 128×10×128: 12 GFLOP/s waiting after every call, 28 queued).
  static func measure(
    maxRuns: Int = 15, budget: Double = 1.5, minimumSample: Double = 2e-3,
    _ body: () throws -> Void, finish: () throws -> Void
  ) rethrows -> Timing {
    try body()
    try finish()
    let single = try seconds(repeating: 1, body, finish)
    let repeats = max(1, min(10_000, Int(minimumSample / max(single, 1e-9))))
    var times: [Double] = []
    let started = DispatchTime.now().uptimeNanoseconds
    while times.count < 3
      || (times.count < maxRuns && Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 < budget)
    {
      times.append(try seconds(repeating: repeats, body, finish) / Double(repeats))
    }
    return Timing(samples: times)
  }

  /// Seconds that `count` back-to-back calls of `body` and then `finish` take.
  private static func seconds(
    repeating count: Int, _ body: () throws -> Void,
    _ finish: () throws -> Void
  ) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    for _ in 0..<count { try body() }
    try finish()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
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
  /// The times the row summarises, in seconds, in the order they were taken (the JSON file only).
  var samples: [Double]? = nil
}
