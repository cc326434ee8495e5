import CommandFlags
import Descent

/// `descent train --optimizer NAME` and the flags of every optimizer's hyperparameters, derived
/// from each type's ``Optimizer/hyperparameters``: `learningRate` is `--learning-rate`, a Boolean
/// is a switch, and a flag the chosen optimizer lacks is an error. Offering a new optimizer takes
/// one line in ``all`` (and a line in ``descriptions`` if it brings a new hyperparameter).
enum OptimizerChoices {
  /// `--optimizer`'s names and types, in the order `--help` lists them.
  static let all: [(name: String, type: any Optimizer.Type)] = [
    ("sgd", SGD.self), ("adagrad", AdaGrad.self), ("rmsprop", RMSprop.self), ("adam", Adam.self),
    ("adamw", AdamW.self), ("adamax", Adamax.self), ("lion", Lion.self),
  ]

  /// Where `descent train`'s default differs from the type's (PyTorch's): SGD with momentum 0.9.
  static let trainDefaults: [String: [String: Double]] = ["sgd": ["momentum": 0.9]]

  /// What each hyperparameter does, by name (every optimizer's hyperparameter needs one: a test
  /// checks).
  static let descriptions: [String: String] = [
    "learningRate": "base learning rate",
    "momentum": "momentum (sgd, rmsprop)",
    "dampening": "sgd: dampening of the momentum",
    "nesterov": "sgd: Nesterov momentum",
    "weightDecay": "weight decay: an L2 term added to the gradient, decoupled in adamw and lion",
    "exponentialAverage": "sgd: momentum as an exponential moving average (b ← μb + (1 − μ)g)",
    "learningRateDecay": "adagrad: the rate divided by 1 + (t − 1)·decay at step t",
    "epsilon": "added to the denominator for numerical stability",
    "alpha": "rmsprop: decay of the squared-gradient average",
    "centered": "rmsprop: divide by the gradient's estimated variance",
    "beta1": "decay of the gradient average (β₁)",
    "beta2": "decay of the second-moment average (β₂; lion: of the momentum)",
    "amsgrad": "adam, adamw: AMSGrad (the largest second moment so far)",
  ]

  /// The optimizer `name` names, as `descent train` makes it: the type's defaults, then
  /// ``trainDefaults``, then `values` (by hyperparameter name), which must all be its own.
  static func make(_ name: String, values: [String: Double]) throws -> any Optimizer {
    guard let type = all.first(where: { $0.name == name })?.type else {
      throw UsageError(message: "--optimizer: '\(name)' is not one of \(all.map(\.name).joined(separator: ", "))")
    }
    return try make(type, name: name, values: values)
  }

  private static func make<O: Optimizer>(_ type: O.Type, name: String, values: [String: Double]) throws -> O {
    let own = Set(O.hyperparameters.map(\.name))
    if let foreign = values.keys.sorted().first(where: { !own.contains($0) }) {
      let flags = O.hyperparameters.map { "--\(flagName($0.name))" }.joined(separator: ", ")
      throw UsageError(message: "--\(flagName(foreign)) does not apply to --optimizer \(name) (its flags: \(flags))")
    }
    var optimizer = O.defaults
    for parameter in O.hyperparameters {
      if let value = values[parameter.name] ?? trainDefaults[name]?[parameter.name] {
        parameter.write(value, into: &optimizer)
      }
    }
    return optimizer
  }

  /// `learningRate` → `learning-rate`.
  static func flagName(_ name: String) -> String {
    name.reduce(into: "") { result, character in
      result += character.isUppercase ? "-\(character.lowercased())" : String(character)
    }
  }

  /// Every hyperparameter of every optimizer, once, in order of first appearance, and whether it
  /// is a Boolean.
  static var hyperparameters: [(name: String, isFlag: Bool)] {
    var seen = Set<String>(), result: [(name: String, isFlag: Bool)] = []
    for (_, type) in all {
      for (name, isFlag) in hyperparameters(of: type) where seen.insert(name).inserted {
        result.append((name, isFlag))
      }
    }
    return result
  }

  private static func hyperparameters<O: Optimizer>(of type: O.Type) -> [(String, Bool)] {
    O.hyperparameters.map { ($0.name, $0.isFlag) }
  }

  /// Each optimizer's `descent train` default of number `name`, grouped by value
  /// (`default 0.001 for adam, adamw; 0.0001 for lion`); nil for a switch (off by default).
  static func defaults(of name: String) -> String? {
    var groups: [(value: String, names: [String])] = []
    for (choice, type) in all {
      guard let value = defaultValue(type, choice, name) else { continue }
      if let index = groups.firstIndex(where: { $0.value == value }) {
        groups[index].names.append(choice)
      } else {
        groups.append((value, [choice]))
      }
    }
    guard !groups.isEmpty else { return nil }
    return "default " + groups.map { "\($0.value) for \($0.names.joined(separator: ", "))" }.joined(separator: "; ")
  }

  private static func defaultValue<O: Optimizer>(_ type: O.Type, _ choice: String, _ name: String) -> String? {
    guard let parameter = O.hyperparameters.first(where: { $0.name == name }), !parameter.isFlag else { return nil }
    return "\(Float(trainDefaults[choice]?[name] ?? parameter.read(O.defaults)))"
  }
}
