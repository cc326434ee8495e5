import Foundation

/// Chooses parameter values for new trials. Every sampler is seeded: the same seed, space and
/// earlier results give the same suggestions, whichever process or thread asks.
public protocol Sampler: Sendable {
  /// A value in `parameter`'s domain for the trial `context` describes.
  func sample(_ parameter: Hyperparameter, _ context: SamplingContext) throws -> ParameterValue
  /// Values for several parameters at once (Optuna's `sample_relative`), asked once as a new trial
  /// starts, for samplers that model parameters jointly (``CMAESSampler``): `space` is every
  /// parameter the study knows (declared, or suggested by a trial in this process). The trial
  /// takes these values when it suggests those parameters with the same domain; the rest go to
  /// ``sample(_:_:)``. Independent samplers return none.
  func sampleRelative(_ space: [Hyperparameter], _ context: SamplingContext) throws -> [String: ParameterValue]
  /// For grid search, the number of points (each trial claims one); nil for other samplers.
  var gridSize: Int? { get }
  /// Whether it serves studies of several objectives or with constraints (it does not rank
  /// trials by one value, or ranks them by Pareto dominance).
  var handlesSeveralObjectives: Bool { get }
}

extension Sampler {
  public var gridSize: Int? { nil }
  public var handlesSeveralObjectives: Bool { false }
  public func sampleRelative(_ space: [Hyperparameter], _ context: SamplingContext) throws -> [String: ParameterValue] {
    [:]
  }
}

/// What a sampler knows when it suggests a value.
public struct SamplingContext: Sendable {
  /// The trial being sampled.
  public var trial: Int
  /// Its grid point, for grid search.
  public var gridIndex: Int?
  /// The study's trials (finished ones carry values; the current one is not among them).
  public var history: [TrialRecord]
  /// The first objective's direction.
  public var direction: Direction
  /// Every objective's direction (empty: only ``direction``).
  public var directions: [Direction] = []
}

/// SplitMix64 (Steele, Lea & Flood, 2014): a small, fast generator whose stream is fixed by its
/// seed. Each (study seed, trial, parameter) gets its own stream, so suggestions do not depend
/// on the order in which workers ask.
struct SeededGenerator: RandomNumberGenerator {
  var state: UInt64

  init(seed: UInt64, trial: Int, parameter: String) {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a of the name
    for byte in parameter.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
    state = seed &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(bitPattern: Int64(trial)) &* 0xD1B5_4A32_D192_ED03 ^ hash
  }

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A uniform double in [0, 1) with 53 random bits.
  mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }

  /// A standard normal draw (Box–Muller).
  mutating func normal() -> Double {
    let u = 1 - unit(), v = unit()
    return (-2 * Foundation.log(u)).squareRoot() * cos(2 * Double.pi * v)
  }
}

/// A numeric domain in the space samplers work in: log-transformed when `log`, widened by half
/// a step on each side when discrete, so every grid value owns an equal interval.
struct NumericScale {
  let low: Double, high: Double, log: Bool
  /// The grid spacing in the original units (nil: continuous).
  let step: Double?
  let origin: Double, top: Double
  let isInteger: Bool

  init?(_ domain: Domain) {
    switch domain {
    case let .float(low, high, log, step):
      (origin, top, self.log, self.step, isInteger) = (low, high, log, step, false)
      if log {
        (self.low, self.high) = (Foundation.log(low), Foundation.log(high))
      } else if let step {
        let top = low + ((high - low) / step + 1e-9).rounded(.down) * step
        (self.low, self.high) = (low - step / 2, top + step / 2)
      } else {
        (self.low, self.high) = (low, high)
      }
    case let .int(low, high, log, step):
      (origin, top, self.log, isInteger) = (Double(low), Double(low + (high - low) / step * step), log, true)
      self.step = log ? nil : Double(step)
      if log {
        (self.low, self.high) = (Foundation.log(Double(low) - 0.5), Foundation.log(Double(high) + 0.5))
      } else {
        (self.low, self.high) = (Double(low) - Double(step) / 2, top + Double(step) / 2)
      }
    case .categorical: return nil
    }
  }

  /// A domain value as a point of the sampling space.
  func internalValue(_ value: ParameterValue) -> Double? {
    guard let number = value.number else { return nil }
    return log ? Foundation.log(number) : number
  }

  /// The domain value nearest to a point of the sampling space.
  func value(_ x: Double) -> ParameterValue {
    var number = log ? exp(x) : x
    if let step { number = origin + ((number - origin) / step).rounded() * step }
    if isInteger { number = number.rounded() }
    number = min(max(number, origin), top)
    return isInteger ? .int(Int(number)) : .float(number)
  }
}

/// Independent uniform draws (log-uniform on log scales), the baseline every search is measured against.
public struct RandomSampler: Sampler {
  public var seed: UInt64
  public var handlesSeveralObjectives: Bool { true }

  public init(seed: UInt64 = 0) { self.seed = seed }

  public func sample(_ parameter: Hyperparameter, _ context: SamplingContext) throws -> ParameterValue {
    var generator = SeededGenerator(seed: seed, trial: context.trial, parameter: parameter.name)
    return Self.draw(parameter.domain, &generator)
  }

  static func draw(_ domain: Domain, _ generator: inout SeededGenerator) -> ParameterValue {
    if case let .categorical(choices) = domain { return choices[Int(generator.next() % UInt64(choices.count))] }
    let scale = NumericScale(domain)!
    return scale.value(scale.low + generator.unit() * (scale.high - scale.low))
  }
}

/// Every point of a ``SearchSpace``'s grid exactly once, in order; each trial claims the lowest
/// point no other live trial holds (also across processes sharing a study), so a grid of `n`
/// points is done after `n` trials.
public struct GridSampler: Sampler {
  public let points: [[String: ParameterValue]]

  /// - Throws: ``ConfigurationError`` for a float without a step, or a grid over a million points.
  public init(_ space: SearchSpace) throws { points = try space.grid() }

  public var gridSize: Int? { points.count }
  public var handlesSeveralObjectives: Bool { true }

  public func sample(_ parameter: Hyperparameter, _ context: SamplingContext) throws -> ParameterValue {
    guard let index = context.gridIndex, points.indices.contains(index), let value = points[index][parameter.name]
    else {
      throw TuningError.notInGrid(parameter: parameter.name)
    }
    return value
  }
}
