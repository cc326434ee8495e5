import Descent
import Foundation

/// A value a parameter takes: a number or a categorical choice. Encodes as the plain JSON value
/// (`0.001`, `3`, `"adam"`, `true`).
public enum ParameterValue: Hashable, Sendable, Codable, CustomStringConvertible {
  case float(Double)
  case int(Int)
  case string(String)
  case bool(Bool)

  /// The value as a number (`true` is 1), or nil for a string.
  public var number: Double? {
    switch self {
    case let .float(value): value
    case let .int(value): Double(value)
    case let .bool(value): value ? 1 : 0
    case .string: nil
    }
  }

  public var description: String {
    switch self {
    case let .float(value): Self.format(value)
    case let .int(value): "\(value)"
    case let .string(value): value
    case let .bool(value): "\(value)"
    }
  }

  /// For tables: floats to 4 significant digits (`0.001235`), everything else as ``description``.
  public var short: String {
    if case let .float(value) = self { return String(format: "%.4g", value) }
    return description
  }

  /// Shortest text that reads back as the same `Double` (`0.001`, `1e-05`), as JSON writes it.
  static func format(_ value: Double) -> String {
    if value.isFinite, value == value.rounded(), abs(value) < 1e15 { return String(format: "%.1f", value) }
    return "\(value)"
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    if let value = try? container.decode(Bool.self) {
      self = .bool(value)
    } else if let value = try? container.decode(Int.self) {
      self = .int(value)
    } else if let value = try? container.decode(Double.self) {
      self = .float(value)
    } else {
      self = .string(try container.decode(String.self))
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    switch self {
    case let .float(value): try container.encode(value)
    case let .int(value): try container.encode(value)
    case let .string(value): try container.encode(value)
    case let .bool(value): try container.encode(value)
    }
  }
}

/// The values a parameter may take (Optuna's distributions).
public enum Domain: Hashable, Sendable, Codable, CustomStringConvertible {
  /// A real number in `[low, high]`; log-uniform when `log` (then `low > 0`), on the grid
  /// `low, low + step, …` when `step` is given (then not `log`).
  case float(low: Double, high: Double, log: Bool = false, step: Double? = nil)
  /// A whole number in `[low, high]` on the grid `low, low + step, …`; log-uniform when `log`
  /// (then `low ≥ 1` and `step == 1`).
  case int(low: Int, high: Int, log: Bool = false, step: Int = 1)
  /// One of `choices` (strings, numbers, bools), all equally likely a priori.
  case categorical([ParameterValue])

  public var description: String {
    switch self {
    case let .float(low, high, log, step):
      "float in [\(ParameterValue.format(low)), \(ParameterValue.format(high))]\(log ? ", log" : "")"
        + (step.map { ", step \(ParameterValue.format($0))" } ?? "")
    case let .int(low, high, log, step):
      "int in [\(low), \(high)]\(log ? ", log" : "")\(step != 1 ? ", step \(step)" : "")"
    case let .categorical(choices): "one of \(choices.map(\.description).joined(separator: ", "))"
    }
  }

  /// Throws ``ConfigurationError/outOfRange(parameter:value:allowed:)`` naming `name` for an
  /// empty range (`low ≥ high`), a log range with `low ≤ 0`, a non-positive or log step, a
  /// non-finite bound, or an empty or repeated choice.
  public func validate(_ name: String) throws {
    switch self {
    case let .float(low, high, log, step):
      try ConfigurationError.require(low.isFinite && high.isFinite, name, "[\(low), \(high)]", "finite bounds")
      try ConfigurationError.require(low < high, name, "[\(low), \(high)]", "low < high")
      if log { try ConfigurationError.require(low > 0, name, "[\(low), \(high)] with log", "low > 0 on a log scale") }
      if let step {
        try ConfigurationError.require(step > 0 && step.isFinite, "\(name) step", step, "a step > 0")
        try ConfigurationError.require(!log, "\(name) step", step, "no step on a log scale")
        try ConfigurationError.require(
          step <= high - low, "\(name) step", step, "at most the range's width \(ParameterValue.format(high - low))")
      }
    case let .int(low, high, log, step):
      try ConfigurationError.require(low < high, name, "[\(low), \(high)]", "low < high")
      try ConfigurationError.require(step >= 1, "\(name) step", step, "a step >= 1")
      try ConfigurationError.require(
        Double(step) <= Double(high) - Double(low), "\(name) step", step, "at most the range's width")
      if log {
        try ConfigurationError.require(low >= 1, name, "[\(low), \(high)] with log", "low >= 1 on a log scale")
        try ConfigurationError.require(step == 1, "\(name) step", step, "no step on a log scale")
      }
    case let .categorical(choices):
      try ConfigurationError.require(!choices.isEmpty, name, "[]", "at least one choice")
      try ConfigurationError.require(Set(choices).count == choices.count, name, choices, "distinct choices")
    }
  }

  /// `value` as this domain holds it, or nil when the domain cannot produce it. A store reads a
  /// float's whole number back as an int (JSON writes 0.0 as `0`): a float domain takes it as
  /// that float — before, a paused trial with dropout 0 was promoted with a new dropout drawn at
  /// random, and its checkpoint no longer fitted the model (and samplers left such trials out).
  public func member(_ value: ParameterValue) -> ParameterValue? {
    if case .float = self, case let .int(whole) = value { return member(.float(Double(whole))) }
    return contains(value) ? value : nil
  }

  /// Whether `value` is one this domain can produce.
  public func contains(_ value: ParameterValue) -> Bool {
    switch (self, value) {
    case let (.float(low, high, _, step), .float(x)):
      guard x >= low, x <= high else { return false }
      guard let step else { return true }
      let k = ((x - low) / step).rounded()
      return abs(low + k * step - x) <= 1e-9 * max(1, abs(x))
    case let (.int(low, high, _, step), .int(x)): return x >= low && x <= high && (x - low) % step == 0
    case let (.categorical(choices), value): return choices.contains(value)
    default: return false
    }
  }

  /// Every value a grid search visits: each choice, each whole number on the step, each float on
  /// its step. A float without a step has no grid: throws naming `name`.
  public func gridValues(_ name: String) throws -> [ParameterValue] {
    switch self {
    case let .float(low, high, _, step):
      guard let step else {
        throw ConfigurationError.outOfRange(
          parameter: name, value: description,
          allowed: "a step or a list of choices for grid search")
      }
      // Counted in Double first: a tiny step gives more values than an Int holds.
      let steps = ((high - low) / step + 1e-9).rounded(.down)
      try ConfigurationError.require(steps < 100_000, name, "\(steps + 1) grid values", "at most 100000")
      return (0...Int(steps)).map { .float(low + Double($0) * step) }
    case let .int(low, high, _, step):
      let steps = (Double(high) - Double(low)) / Double(step)
      try ConfigurationError.require(steps < 100_000, name, "\(Int(steps) + 1) grid values", "at most 100000")
      return stride(from: low, through: high, by: step).map { .int($0) }
    case let .categorical(choices): return choices
    }
  }
}

/// A named hyperparameter: its domain, and the condition under which it exists.
public struct Hyperparameter: Hashable, Sendable, Codable {
  public var name: String
  public var domain: Domain
  /// The parameter exists only when every named earlier parameter took one of the listed values
  /// (`["optimizer": [.string("sgd")]]`: `momentum` only for SGD); empty: always.
  public var when: [String: [ParameterValue]]

  public init(_ name: String, _ domain: Domain, when: [String: [ParameterValue]] = [:]) {
    self.name = name
    self.domain = domain
    self.when = when
  }

  /// Whether the condition holds for the values chosen so far.
  public func isActive(given values: [String: ParameterValue]) -> Bool {
    when.allSatisfy { name, allowed in values[name].map(allowed.contains) ?? false }
  }
}

/// Parameters in order, each condition naming earlier ones, for grid search and `descent tune`.
/// (An objective closure may also suggest parameters without declaring them first.)
public struct SearchSpace: Hashable, Sendable, Codable {
  public let parameters: [Hyperparameter]

  /// - Throws: ``ConfigurationError`` naming the parameter for an invalid domain, a repeated name,
  ///   or a condition on a parameter that is unknown or not declared before it.
  public init(_ parameters: [Hyperparameter]) throws {
    var seen: [String: Domain] = [:]
    for parameter in parameters {
      try ConfigurationError.require(!parameter.name.isEmpty, "parameter name", "\"\"", "a non-empty name")
      try ConfigurationError.require(seen[parameter.name] == nil, parameter.name, "declared twice", "each name once")
      try parameter.domain.validate(parameter.name)
      for (name, allowed) in parameter.when.sorted(by: { $0.key < $1.key }) {
        guard let domain = seen[name] else {
          throw ConfigurationError.outOfRange(
            parameter: "\(parameter.name) condition", value: name,
            allowed: "the name of a parameter declared before \(parameter.name)")
        }
        try ConfigurationError.require(
          !allowed.isEmpty, "\(parameter.name) condition on \(name)", "[]", "at least one value")
        if let never = allowed.first(where: { !domain.contains($0) }) {
          throw ConfigurationError.outOfRange(
            parameter: "\(parameter.name) condition on \(name)", value: never.description,
            allowed: "a value \(name) can take (\(domain))")
        }
      }
      seen[parameter.name] = parameter.domain
    }
    self.parameters = parameters
  }

  /// Every combination a grid search visits, in a fixed order: the product of each active
  /// parameter's ``Domain/gridValues(_:)``, inactive ones left out.
  public func grid() throws -> [[String: ParameterValue]] {
    var points: [[String: ParameterValue]] = [[:]]
    for parameter in parameters {
      let values = try parameter.domain.gridValues(parameter.name)
      // Counted before any point is built: the cap must hold before the memory is taken.
      let active = points.count { parameter.isActive(given: $0) }
      let total = Double(points.count - active) + Double(active) * Double(values.count)
      try ConfigurationError.require(total <= 1_000_000, "grid", "\(Int(total)) points", "at most 1000000")
      var next: [[String: ParameterValue]] = []
      next.reserveCapacity(Int(total))
      for point in points {
        guard parameter.isActive(given: point) else {
          next.append(point)
          continue
        }
        for value in values {
          var extended = point
          extended[parameter.name] = value
          next.append(extended)
        }
      }
      points = next
    }
    return points
  }
}
