import Descent
@testable import DescentCLI
import Testing

/// `--schedule` names every schedule of PyTorch's and Keras's that `descent train` offers, spread
/// over the run's epochs whichever flag comes first.
struct ScheduleFlagTests {
  @Test func schedulesByName() throws {
    let cases: [([String], LearningRateSchedule)] = [
      (["--schedule", "linear:1,0.1", "--epochs", "8"], .linear(startFactor: 1, endFactor: 0.1, steps: 8)),
      (["--epochs", "6", "--schedule", "polynomial:2"], .polynomial(steps: 6, power: 2, end: 0)),
      (["--schedule", "inverse-time:0.5"], .inverseTime(steps: 1, rate: 0.5)),
      (["--schedule", "cosine", "--epochs", "4"], .cosine(period: 4)),
    ]
    for (arguments, schedule) in cases {
      #expect(try TrainConfiguration(arguments).schedule == schedule, "\(arguments)")
    }
    for text in ["linear:1", "linear:a,1", "polynomial:", "inverse-time:1,2"] {
      #expect(throws: UsageError.self, "\(text)") { try TrainConfiguration(["--schedule", text]) }
    }
  }
}
