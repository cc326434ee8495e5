import Descent
import Foundation
import Synchronization

/// NSGA-II (Deb et al., 2002) for studies of several objectives, as Optuna's `NSGAIISampler`:
/// the first `population` trials are drawn at random; then each new trial is a child of two
/// parents picked by binary tournaments (lower front, then larger crowding distance) from the
/// parent population. With probability `crossoverProbability` the child mixes them, each
/// parameter with probability ½ — uniform crossover for categorical parameters (either parent's),
/// simulated binary crossover (SBX, distribution index `distributionIndex`) for numeric ones in the
/// samplers' transformed space — else it copies the first; then each parameter mutates with
/// probability `mutationProbability` (1/parameters by default): a numeric one by Deb's polynomial
/// mutation (the same index), a categorical one redrawn at random. Constraints
/// (``Study/constraintCount``) rank by Deb's constrained domination: feasible trials first, then
/// by total violation.
///
/// As ``CMAESSampler``, the state is a replay of the study's COMPLETE trials in the order they
/// finished: generation `g` is results `g·population ..< (g+1)·population`, and the next parent
/// population is the best `population` of the parents and that generation (elitist selection by
/// front, then crowding). Every result counts, whichever generation sampled it, and any worker
/// on any machine continues the same run; the same seed and results give the same suggestions.
public struct NSGAIISampler: Sampler {
  public var seed: UInt64
  public var population: Int
  public var crossoverProbability: Double
  /// SBX's and the polynomial mutation's η: larger keeps children nearer their parents.
  public var distributionIndex: Double
  /// Per parameter (nil: 1 / the number of parameters).
  public var mutationProbability: Double?
  let cache = FinishOrderReplay<[String], Parents>()

  public var handlesSeveralObjectives: Bool { true }

  /// - Throws: ``ConfigurationError`` for a population below 2 or a probability outside [0, 1].
  public init(
    seed: UInt64 = 0, population: Int = 50, crossoverProbability: Double = 0.9, distributionIndex: Double = 20,
    mutationProbability: Double? = nil
  ) throws {
    try ConfigurationError.require(population >= 2, "population", population, ">= 2")
    try ConfigurationError.require(
      (0...1).contains(crossoverProbability), "crossoverProbability", crossoverProbability, "in [0, 1]")
    try ConfigurationError.require(
      distributionIndex >= 0 && distributionIndex.isFinite, "distributionIndex", distributionIndex, ">= 0")
    if let mutationProbability {
      try ConfigurationError.require(
        (0...1).contains(mutationProbability), "mutationProbability", mutationProbability, "in [0, 1]")
    }
    (self.seed, self.population, self.crossoverProbability, self.distributionIndex) = (
      seed, population, crossoverProbability, distributionIndex
    )
    self.mutationProbability = mutationProbability
  }

  /// Parameters the child did not get (the first generation, a mutation, a parameter neither
  /// parent holds) are drawn at random.
  public func sample(_ parameter: Hyperparameter, _ context: SamplingContext) throws -> ParameterValue {
    var generator = SeededGenerator(seed: seed, trial: context.trial, parameter: parameter.name)
    return RandomSampler.draw(parameter.domain, &generator)
  }

  public func sampleRelative(_ space: [Hyperparameter], _ context: SamplingContext) throws -> [String: ParameterValue] {
    let directions = context.directions.isEmpty ? [context.direction] : context.directions
    let key = ["\(seed)", "\(population)"] + directions.map(\.rawValue)
    let complete = context.history.filter { $0.state == .complete }
    let parents = cache.replay(key, complete, start: Parents.init) {
      $0.add($1, size: population, directions: directions)
    }.state
    guard parents.members.count >= 2 else { return [:] }
    var generator = SeededGenerator(seed: seed, trial: context.trial, parameter: "nsga2")
    func tournament() -> TrialRecord {
      let a = Int(generator.next() % UInt64(parents.members.count))
      let b = Int(generator.next() % UInt64(parents.members.count))
      let (rankA, rankB) = (parents.rank[a], parents.rank[b])
      if rankA != rankB { return parents.members[rankA < rankB ? a : b] }
      return parents.members[parents.crowding[a] >= parents.crowding[b] ? a : b]
    }
    let (first, second) = (tournament(), tournament())
    let crossing = generator.unit() < crossoverProbability
    let mutation = mutationProbability ?? 1 / Double(max(space.count, 1))
    var child: [String: ParameterValue] = [:]
    for parameter in space {
      let mine = first.parameters[parameter.name].flatMap(parameter.domain.member)
      let theirs = second.parameters[parameter.name].flatMap(parameter.domain.member)
      let scale = NumericScale(parameter.domain)
      var value = mine
      if crossing, generator.unit() < 0.5 {
        if let mine, let theirs {
          value =
            scale.map { $0.value(sbx($0.internalValue(mine)!, $0.internalValue(theirs)!, $0, &generator)) } ?? theirs
        } else {
          value = theirs
        }
      }
      if generator.unit() < mutation {
        // A numeric value moves a little (a missing one, and a choice, is drawn at random).
        value = value.flatMap { current in scale.map { $0.value(mutate($0.internalValue(current)!, $0, &generator)) } }
      }
      if let value { child[parameter.name] = value }
    }
    return child
  }

  /// Deb's polynomial mutation of `x` within the scale's range (the bounded form of NSGA-II's code).
  func mutate(_ x: Double, _ scale: NumericScale, _ generator: inout SeededGenerator) -> Double {
    let (low, high) = (scale.low, scale.high)
    let (below, above) = ((x - low) / (high - low), (high - x) / (high - low))
    let power = 1 / (distributionIndex + 1)
    let u = generator.unit()
    let shift: Double
    if u <= 0.5 {
      let value = 2 * u + (1 - 2 * u) * Foundation.pow(1 - below, distributionIndex + 1)
      shift = Foundation.pow(value, power) - 1
    } else {
      let value = 2 * (1 - u) + 2 * (u - 0.5) * Foundation.pow(1 - above, distributionIndex + 1)
      shift = 1 - Foundation.pow(value, power)
    }
    return min(max(x + shift * (high - low), low), high)
  }

  /// Simulated binary crossover of `x` and `y` within the scale's range (Deb & Agrawal, 1995; the
  /// bounded form of Deb's NSGA-II code): one of the two children, at random.
  func sbx(_ x: Double, _ y: Double, _ scale: NumericScale, _ generator: inout SeededGenerator) -> Double {
    let (low, high) = (scale.low, scale.high)
    guard abs(x - y) > 1e-14 else { return x }
    let (y1, y2) = (min(x, y), max(x, y))
    let power = 1 / (distributionIndex + 1)
    func spread(_ beta: Double) -> Double {
      let alpha = 2 - Foundation.pow(beta, -(distributionIndex + 1))
      let u = generator.unit()
      return u <= 1 / alpha ? Foundation.pow(u * alpha, power) : Foundation.pow(1 / (2 - u * alpha), power)
    }
    let lower = 0.5 * ((y1 + y2) - spread(1 + 2 * (y1 - low) / (y2 - y1)) * (y2 - y1))
    let upper = 0.5 * ((y1 + y2) + spread(1 + 2 * (high - y2) / (y2 - y1)) * (y2 - y1))
    let child = generator.unit() < 0.5 ? lower : upper
    return min(max(child, low), high)
  }

  /// A parent population with each member's front (0 first) and crowding distance.
  struct Parents: Sendable {
    var members: [TrialRecord] = []
    var rank: [Int] = []
    var crowding: [Double] = []
    /// The generation filling up.
    var waiting: [TrialRecord] = []

    /// Feeds one result; a full generation joins the parents, who are cut back to `size`.
    mutating func add(_ trial: TrialRecord, size: Int, directions: [Direction]) {
      guard Pareto.minimized(trial, directions) != nil else { return }
      waiting.append(trial)
      guard waiting.count == size else { return }
      select(members + waiting, size: size, directions: directions)
      waiting = []
    }

    /// Elitist selection: whole fronts while they fit, then the most crowded-apart of the next.
    mutating func select(_ pool: [TrialRecord], size: Int, directions: [Direction]) {
      let points = pool.map { Pareto.minimized($0, directions)! }
      let fronts = Pareto.fronts(points, violations: pool.map(Pareto.violation))
      (members, rank, crowding) = ([], [], [])
      for (level, front) in fronts.enumerated() where members.count < size {
        let distance = Pareto.crowdingDistance(front.map { points[$0] })
        let order = front.indices.sorted {
          distance[$0] != distance[$1] ? distance[$0] > distance[$1] : pool[front[$0]].number < pool[front[$1]].number
        }
        for k in order.prefix(size - members.count) {
          members.append(pool[front[k]])
          rank.append(level)
          crowding.append(distance[k])
        }
      }
    }
  }
}
