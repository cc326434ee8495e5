import CommandFlags
import CommandFlags
import Descent
import DescentTuning
import Foundation

/// A `descent tune` space file: `descent train` keys whose values are fixed (`"epochs": 3`) or
/// ranges (`{"float": [1e-4, 1e-1], "log": true}`, `{"int": [32, 256], "step": 32}`,
/// `{"choice": ["adam", "sgd"]}`, each with an optional `"when": {"optimizer": "sgd"}`), and
/// `"hidden": {"layers": {"int": [1, 3]}, "units": {"int": [32, 512], "log": true}}` for a layer
/// count with a size per layer (`hidden.units.2` exists when there are at least 2 layers; 0
/// layers is a linear model, the inputs straight to the outputs).
struct TuneSpace {
  /// Settings every trial shares, as flag values.
  var fixed: [(key: String, value: String)] = []
  var space: SearchSpace

  /// Keys that `descent tune` sets itself or that make no sense per trial.
  static let reserved: Set = [
    "config", "output", "checkpoint", "resume", "data", "limit", "quiet", "validation", "device",
  ]

  /// `descent train` settings a trial does not apply (the study trains on `--data`'s images as they
  /// are), with why: refused before trial 1 rather than ignored by every trial.
  static let notApplied: [String: String] = [
    "label": "tune reads IDX images from --data", "task": "tune studies classifiers",
    "classes": "the class count comes from --data", "class-names": "the class names come from --data",
    "test-data": "trials are scored on held-out training rows", "test-split": "tune uses --validation or --cv",
    "train-images": "tune reads --data DIR", "train-labels": "tune reads --data DIR",
    "test-images": "tune reads --data DIR", "test-labels": "tune reads --data DIR",
  ]

  /// The JSON text the space was read from (a study stores it for the workers that join).
  var text: String

  init(path: String) throws {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw UsageError(message: "--space: cannot read \(path)")
    }
    try self.init(json: data, source: path)
  }

  /// Reads a space from `json`; errors name `source` (a path, or the study it was stored in).
  init(json data: Data, source path: String) throws {
    guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
      throw UsageError(message: "--space: \(path) is not a JSON object")
    }
    text = String(decoding: data, as: UTF8.self)
    var parameters: [Hyperparameter] = []
    for (key, value) in object.sorted(by: { $0.key < $1.key }) {
      let source = "\(path): \"\(key)\""
      guard !Self.reserved.contains(key) else {
        throw UsageError(
          message:
            "\(source) is set by `descent tune` itself "
            + "(use its --\(key == "validation" ? "validation" : key) flag or none)"
        )
      }
      if let reason = Self.notApplied[key] {
        throw UsageError(message: "\(source) is not applied to tuning trials (\(reason))")
      }
      guard let flag = TrainConfiguration.flags.flag(key) else {
        throw UsageError(message: "\(source) is not a setting of `descent train`")
      }
      if key == "hidden", let ranged = value as? [String: Any] {
        parameters += try Self.hiddenLayers(ranged, source: source)
        continue
      }
      if let ranged = value as? [String: Any] {
        parameters.append(try Self.parameter(key, ranged, source: source))
        continue
      }
      let text = try FlagTable<TrainConfiguration>.text(of: value, for: flag, source: source)
      if flag.kind == .toggle && text == "false" { continue }
      try Self.check(key, text, source: source)
      fixed.append((key, text))
    }
    do {
      space = try SearchSpace(Self.ordered(parameters))
    } catch let error as ConfigurationError {
      throw UsageError(message: "\(path): \(error)")
    }
    try checkCombinations(source: path)
  }

  /// Each value was checked alone; `descent train` also checks values together (a flag of one
  /// optimizer given with another). So every value of every parameter is tried with every
  /// optimizer the space can choose, the rest at their first values, as trial flags.
  private func checkCombinations(source: String) throws {
    func samples(_ domain: Domain) -> [ParameterValue] {
      switch domain {
      case let .categorical(choices): choices
      case let .float(low, high, _, _): [.float(low), .float(high)]
      case let .int(low, high, _, _): [.int(low), .int(high)]
      }
    }
    let optimizers =
      space.parameters.first { $0.name == "optimizer" }.map { samples($0.domain) } ?? [nil] as [ParameterValue?]
    // Each optimizer with the first values, then with each value of each other parameter.
    let variations: [(name: String, value: ParameterValue)?] =
      [nil]
      + space.parameters.filter { $0.name != "optimizer" }.flatMap { parameter in
        samples(parameter.domain).map { (parameter.name, $0) }
      }
    for optimizer in optimizers {
      for variation in variations {
        var point: [String: ParameterValue] = [:]
        for other in space.parameters {
          let chosen = other.name == "optimizer" ? optimizer : other.name == variation?.name ? variation?.value : nil
          if other.isActive(given: point), let chosen = chosen ?? samples(other.domain).first {
            point[other.name] = chosen
          }
        }
        if let variation, point[variation.name] == nil { continue }  // its condition excludes it here
        do {
          _ = try TrainConfiguration(options(point))
        } catch let error as UsageError {
          let trial = [("optimizer", optimizer), (variation?.name ?? "", variation?.value)].compactMap { name, value in
            value.map { "\"\(name)\": \($0)" }
          }
          throw UsageError(
            message: "\(source): a trial with \(trial.joined(separator: " and ")) would be refused: \(error.message)")
        }
      }
    }
  }

  /// Checks a value the way `descent train` would, naming the source on failure.
  static func check(_ key: String, _ text: String, source: String) throws {
    var probe = try TrainConfiguration([])
    try probe.set(key, text, source: source)
  }

  /// A range object as a parameter of key `name`.
  static func parameter(_ name: String, _ object: [String: Any], source: String) throws -> Hyperparameter {
    let kinds = ["float", "int", "choice"].filter { object[$0] != nil }
    guard kinds.count == 1 else {
      throw UsageError(
        message:
          "\(source) must be a value or one of {\"float\": [low, high]}, {\"int\": [low, high]}, {\"choice\": [...]}")
    }
    let allowed = kinds[0] == "choice" ? [kinds[0], "when"] : [kinds[0], "log", "step", "when"]
    if let extra = object.keys.sorted().first(where: { !allowed.contains($0) }) {
      throw UsageError(
        message: "\(source) has an unknown key \"\(extra)\" (allowed: \(allowed.joined(separator: ", ")))")
    }
    var log = false
    if let flag = object["log"] {
      guard let value = JSONValue.boolean(flag) else {
        throw UsageError(message: "\(source): \"log\" must be true or false")
      }
      log = value
    }
    let domain: Domain
    switch kinds[0] {
    case "choice":
      guard let list = object["choice"] as? [Any], !list.isEmpty else {
        throw UsageError(message: "\(source): \"choice\" must be a non-empty list")
      }
      domain = .categorical(try list.map { try jsonValue($0, source: source) })
    case "float":
      guard let bounds = object["float"] as? [Any], bounds.count == 2, let low = number(bounds[0]),
        let high = number(bounds[1])
      else {
        throw UsageError(message: "\(source): \"float\" must be [low, high] with two numbers")
      }
      var step: Double?
      if let value = object["step"] {
        guard let number = number(value) else { throw UsageError(message: "\(source): \"step\" must be a number") }
        step = number
      }
      domain = .float(low: low, high: high, log: log, step: step)
    default:
      guard let bounds = object["int"] as? [Any], bounds.count == 2, let low = wholeNumber(bounds[0]),
        let high = wholeNumber(bounds[1])
      else {
        throw UsageError(message: "\(source): \"int\" must be [low, high] with two whole numbers")
      }
      var step = 1
      if let value = object["step"] {
        guard let number = wholeNumber(value) else {
          throw UsageError(message: "\(source): \"step\" must be a whole number")
        }
        step = number
      }
      domain = .int(low: low, high: high, log: log, step: step)
    }
    do { try domain.validate(name) } catch { throw UsageError(message: "\(source): \(error)") }
    var when: [String: [ParameterValue]] = [:]
    if let condition = object["when"] {
      guard let pairs = condition as? [String: Any], !pairs.isEmpty else {
        throw UsageError(message: "\(source): \"when\" must be an object like {\"optimizer\": \"sgd\"}")
      }
      for (other, values) in pairs {
        let list = values as? [Any] ?? [values]
        when[other] = try list.map { try jsonValue($0, source: source) }
      }
    }
    // Every value the range can produce must be one `descent train` accepts: check the ends
    // (and every choice) now, not in trial 17.
    let samples: [String]
    switch domain {
    case let .categorical(choices): samples = choices.map(\.description)
    case let .float(low, high, _, _):
      samples = [ParameterValue.float(low).description, ParameterValue.float(high).description]
    case let .int(low, high, _, _): samples = ["\(low)", "\(high)"]
    }
    for sample in samples where !name.hasPrefix("hidden.") {
      try check(name, sample, source: source)
    }
    return Hyperparameter(name, domain, when: when)
  }

  /// `hidden` as a layer count and one size per layer.
  static func hiddenLayers(_ object: [String: Any], source: String) throws -> [Hyperparameter] {
    guard Set(object.keys) == ["layers", "units"] else {
      throw UsageError(
        message:
          "\(source) must be a list of sizes or {\"layers\": {\"int\": [low, high]}, \"units\": {\"int\": [low, high]}}"
      )
    }
    let layers: Hyperparameter
    if let count = wholeNumber(object["layers"]!), count >= 0, count <= 16 {
      layers = Hyperparameter("hidden.layers", .categorical([.int(count)]))
    } else if let range = object["layers"] as? [String: Any] {
      layers = try parameter("hidden.layers", range.filter { $0.key != "when" }, source: "\(source).layers")
    } else {
      throw UsageError(message: "\(source).layers must be a count from 0 to 16 or {\"int\": [low, high]}")
    }
    guard case let .int(low, high, _, step) = layers.domain.normalizedLayers, low >= 0, high <= 16 else {
      throw UsageError(message: "\(source).layers must be whole numbers from 0 to 16 (0: a linear model)")
    }
    guard let unitsObject = object["units"] as? [String: Any] else {
      throw UsageError(message: "\(source).units must be {\"int\": [low, high]} (optionally with \"log\" or \"step\")")
    }
    let units = try parameter("hidden.units", unitsObject.filter { $0.key != "when" }, source: "\(source).units")
    guard case let .int(unitLow, _, _, _) = units.domain, unitLow >= 1 else {
      throw UsageError(message: "\(source).units must be {\"int\": [low, high]} with low >= 1")
    }
    let counts = stride(from: low, through: high, by: step).map { $0 }
    let sizes = stride(from: 1, through: high, by: 1).map { layer in
      Hyperparameter(
        "hidden.units.\(layer)", units.domain,
        when: layer <= low ? [:] : ["hidden.layers": counts.filter { $0 >= layer }.map { .int($0) }])
    }
    return [layers] + sizes
  }

  /// Parameters with conditions after those they name (declared order is alphabetical).
  static func ordered(_ parameters: [Hyperparameter]) throws -> [Hyperparameter] {
    var placed: [Hyperparameter] = [], rest = parameters
    while !rest.isEmpty {
      let names = Set(placed.map(\.name))
      guard let next = rest.firstIndex(where: { $0.when.keys.allSatisfy(names.contains) }) else {
        return placed + rest  // SearchSpace names the condition that is unknown or circular
      }
      placed.append(rest.remove(at: next))
    }
    return placed
  }

  static func number(_ value: Any) -> Double? {
    guard JSONValue.boolean(value) == nil, let number = value as? NSNumber else { return nil }
    return number.doubleValue.isFinite ? number.doubleValue : nil
  }

  static func wholeNumber(_ value: Any) -> Int? {
    guard let number = number(value), number == number.rounded(), abs(number) < 1e9 else { return nil }
    return Int(number)
  }

  static func jsonValue(_ value: Any, source: String) throws -> ParameterValue {
    if let flag = JSONValue.boolean(value) { return .bool(flag) }
    if let text = value as? String { return .string(text) }
    if let number = wholeNumber(value), !"\(value)".contains(".") { return .int(number) }
    if let number = number(value) { return .float(number) }
    throw UsageError(message: "\(source): \(value) is not a string, number or bool")
  }

  /// A trial's settings as `descent train` flags: the fixed ones, then each suggested value
  /// (`hidden.layers` and `hidden.units.N` joined into `hidden`).
  func options(_ values: [String: ParameterValue]) -> [String] {
    let toggles = TrainConfiguration.flags.toggles
    var options = fixed.flatMap { toggles.contains($0.key) ? ["--\($0.key)"] : ["--\($0.key)", $0.value] }
    for (name, value) in values.sorted(by: { $0.key < $1.key }) where !name.hasPrefix("hidden.") {
      if toggles.contains(name) {
        if value == .bool(true) || value.description == "true" { options.append("--\(name)") }
      } else {
        options += ["--\(name)", value.description]
      }
    }
    if let layers = values["hidden.layers"]?.number {
      options += [
        "--hidden",
        stride(from: 1, through: Int(layers), by: 1).map { values["hidden.units.\($0)"]?.description ?? "" }
          .joined(separator: ","),
      ]
    }
    return options
  }
}

extension Domain {
  /// A fixed layer count (a one-choice categorical) as the int range it is.
  var normalizedLayers: Domain {
    if case let .categorical(choices) = self, choices.count == 1, case let .int(count) = choices[0] {
      return .int(low: count, high: count, log: false, step: 1)
    }
    return self
  }
}
