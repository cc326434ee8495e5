import Foundation
@testable import DescentTuning
import Testing

/// Plots: round tick values, and one mark per trial where the charts promise one.
struct StudyPlotsTests {
  @Test func ticksAreRoundNumbers() {
    let accuracy = Chart.niceRange([0.8123, 0.8571])
    #expect(accuracy.ticks.count >= 3 && accuracy.ticks.count <= 11)
    #expect(accuracy.range.lowerBound <= 0.8123 && accuracy.range.upperBound >= 0.8571)
    for tick in accuracy.ticks { #expect(abs(tick * 100 - (tick * 100).rounded()) < 1e-9, "\(tick)") }
    #expect(accuracy.ticks.map { Chart.label($0, spacing: accuracy.ticks[1] - accuracy.ticks[0]) }.first == "0.81")
    let trials = Chart.niceRange([0, 37])
    #expect(trials.ticks == [0, 10, 20, 30, 40])
    let flat = Chart.niceRange([3, 3])
    #expect(flat.range.lowerBound < 3 && flat.range.upperBound > 3)
  }

  @Test func chartsDrawEveryTrial() {
    var trials: [TrialRecord] = []
    for number in 0..<7 {
      let pruned = number == 3
      let rate: Double = pow(10, -Double(number % 4) - 1)
      let value: Double = Double(number) / 10
      trials.append(
        TrialRecord(
          number: number, state: pruned ? .pruned : .complete, parameters: ["lr": .float(rate)],
          value: pruned ? nil : value, foldValues: [], intermediate: [1: 0.1, 2: value], device: "cpu",
          started: Date(), finished: Date(), error: nil, gridIndex: nil, lost: false))
    }
    let history = StudyPlots.history(trials, direction: .maximize)
    #expect(history.components(separatedBy: "<circle").count - 1 == 6)
    let slice = StudyPlots.slice(
      trials, space: try! SearchSpace([Hyperparameter("lr", .float(low: 1e-5, high: 1, log: true))]))
    #expect(slice.contains(">1e-3<") && slice.contains(">1e-1<"), "\(slice)")  // complete trials only: 1e-1…1e-3
    let intermediate = StudyPlots.intermediate(trials)
    #expect(intermediate.components(separatedBy: "<polyline").count - 1 == 7)
    #expect(intermediate.components(separatedBy: "<path").count - 1 == 1)  // the pruned trial's cross
  }
}
