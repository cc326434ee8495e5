import Descent
@testable import DescentTuning
import Testing

/// Search spaces: invalid ones are errors naming the parameter; grids enumerate conditions.
struct SearchSpaceTests {
  @Test func invalidSpacesNameTheParameter() {
    let cases: [([Hyperparameter], String)] = [
      ([Hyperparameter("lr", .float(low: 1, high: 1))], "lr = [1.0, 1.0] is out of range (allowed: low < high)"),
      (
        [Hyperparameter("lr", .float(low: 0, high: 1, log: true))],
        "lr = [0.0, 1.0] with log is out of range (allowed: low > 0 on a log scale)"
      ),
      (
        [Hyperparameter("units", .int(low: 0, high: 8, log: true))],
        "units = [0, 8] with log is out of range (allowed: low >= 1 on a log scale)"
      ),
      ([Hyperparameter("units", .int(low: 4, high: 2))], "units = [4, 2] is out of range (allowed: low < high)"),
      (
        [Hyperparameter("optimizer", .categorical([]))], "optimizer = [] is out of range (allowed: at least one choice)"
      ),
      ([Hyperparameter("x", .float(low: 0, high: 1, step: 0))], "x step = 0.0 is out of range (allowed: a step > 0)"),
      (
        [Hyperparameter("momentum", .float(low: 0, high: 1), when: ["optimizer": [.string("sgd")]])],
        "momentum condition = optimizer is out of range (allowed: the name of a parameter declared before momentum)"
      ),
      (
        [Hyperparameter("a", .int(low: 0, high: 1)), Hyperparameter("a", .int(low: 0, high: 2))],
        "a = declared twice is out of range (allowed: each name once)"
      ),
      (
        [Hyperparameter("x", .float(low: 0, high: 1, step: 2))],
        "x step = 2.0 is out of range (allowed: at most the range's width 1.0)"
      ),
      (
        [Hyperparameter("n", .int(low: 0, high: 4, step: 5))],
        "n step = 5 is out of range (allowed: at most the range's width)"
      ),
      (
        [
          Hyperparameter("optimizer", .categorical([.string("adam"), .string("sgd")])),
          Hyperparameter("momentum", .float(low: 0, high: 1), when: ["optimizer": [.string("sgd"), .string("lamb")]]),
        ],
        "momentum condition on optimizer = lamb is out of range "
          + "(allowed: a value optimizer can take (one of adam, sgd))"
      ),
    ]
    for (parameters, message) in cases {
      #expect(throws: ConfigurationError.self, "\(message)") { try SearchSpace(parameters) }
      do { _ = try SearchSpace(parameters) } catch { #expect("\(error)" == message) }
    }
  }

  @Test func gridCoversActiveCombinationsOnly() throws {
    let space = try SearchSpace([
      Hyperparameter("optimizer", .categorical([.string("adam"), .string("sgd")])),
      Hyperparameter("momentum", .float(low: 0.5, high: 0.9, step: 0.2), when: ["optimizer": [.string("sgd")]]),
      Hyperparameter("layers", .int(low: 1, high: 2)),
    ])
    let grid = try space.grid()
    // adam × 2 layer counts + sgd × 3 momenta × 2 layer counts
    #expect(grid.count == 2 + 6)
    #expect(Set(grid).count == grid.count)
    #expect(grid.filter { $0["optimizer"] == .string("adam") }.allSatisfy { $0["momentum"] == nil })
    let momenta = Set(grid.compactMap { $0["momentum"]?.number })
    #expect(momenta.count == 3 && momenta.contains { abs($0 - 0.7) < 1e-12 })
    #expect(throws: ConfigurationError.self) { try SearchSpace([Hyperparameter("lr", .float(low: 0, high: 1))]).grid() }
  }

  /// Grids are counted before they are built: a step of 1e-300 or a product of ranges past the cap
  /// is an error at once, not a trap or an allocation of billions of points.
  @Test func oversizedGridsAreRefusedBeforeTheyAreBuilt() throws {
    let tiny = try SearchSpace([Hyperparameter("x", .float(low: 0, high: 1, step: 1e-300))])
    #expect(throws: ConfigurationError.self) { try tiny.grid() }
    let wide = try SearchSpace(
      (0..<3).map { Hyperparameter("p\($0)", .int(low: 0, high: 99_998)) })
    // 99 999 values each: the second parameter would make 99 999² points (built first, they took
    // hundreds of gigabytes).
    #expect(
      throws: ConfigurationError.outOfRange(parameter: "grid", value: "9999800001 points", allowed: "at most 1000000")
    ) { try wide.grid() }
  }

  @Test func domainsContainWhatTheyProduce() {
    #expect(Domain.int(low: 2, high: 10, step: 4).contains(.int(6)))
    #expect(!Domain.int(low: 2, high: 10, step: 4).contains(.int(7)))
    #expect(Domain.float(low: 0, high: 1, step: 0.1).contains(.float(0.3)))
    #expect(!Domain.float(low: 0, high: 1, step: 0.1).contains(.float(0.35)))
    #expect(!Domain.categorical([.string("a")]).contains(.string("b")))
  }
}
