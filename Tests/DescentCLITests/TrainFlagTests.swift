import Descent
import CommandFlags
@testable import DescentCLI
import Testing

/// `descent train`'s flags as the configuration reads them.
struct TrainFlagTests {
  /// `--schedule` names every schedule of PyTorch's and Keras's that `descent train` offers, spread
  /// over the run's epochs whichever flag comes first.
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

  /// Each `--optimizer` with its defaults; β₂ defaults per optimizer unless given.
  @Test func optimizersByName() throws {
    let lion = try #require(
      try TrainConfiguration(["--optimizer", "lion", "--learning-rate", "3e-4"]).makeOptimizer()
        as? Lion)
    #expect(lion.learningRate == 3e-4 && lion.beta1 == 0.9 && lion.beta2 == 0.99 && lion.weightDecay == 0)
    let adam = try #require(try TrainConfiguration(["--optimizer", "adam"]).makeOptimizer() as? Adam)
    #expect(adam.beta2 == 0.999)
    let adamW = try #require(
      try TrainConfiguration(["--optimizer", "adamw", "--beta2", "0.95"]).makeOptimizer() as? AdamW)
    #expect(adamW.beta2 == 0.95 && adamW.weightDecay == 0.01)
    #expect(try TrainConfiguration(["--optimizer", "sgd"]).makeOptimizer() is SGD)
  }
}
