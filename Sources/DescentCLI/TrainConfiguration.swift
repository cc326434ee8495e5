import CommandFlags
import Descent
import Foundation

/// The settings of `descent train`. Each has a flag (`--learning-rate 0.001`) and the same key in a
/// JSON config file (`"learning-rate": 0.001`); flags override the file. The data flags are
/// ``DataSource``'s. The defaults train the 784-256-128-10 ReLU MLP with dropout 0.2 on Fashion-MNIST
/// with Adam (1e-3, batches of 128), cosine-annealed over 15 epochs: 88.9–89.0% test accuracy on
/// the CPU backend (88.0% with a constant rate over 12 epochs, which is why the schedule is on by
/// default).
struct TrainConfiguration {
  var hidden = [256, 128]
  var activation = Activation.relu
  var dropout: Float = 0.2
  var initializer = Initializer.heUniform
  var optimizer = "adam"
  /// The optimizer hyperparameters given, by name (`learningRate`): ``OptimizerChoices``'s flags.
  var optimizerValues: [String: Double] = [:]
  var scheduleText = "cosine"
  var warmup = 0
  var penalty: Regularizer?
  var clipNorm: Float?
  var epochs = 15
  var batchSize = 128
  var validation = 0.1
  var earlyStopping: Int?
  var backend = "auto"
  var device = ""
  var seed: UInt64 = 42
  var augmentation: (shift: Int, flip: Bool, noise: Float)?
  var checkpoint: String?
  var resume = false
  var dataSource = DataSource()
  var output = "descent-run"
  var limit: Int?
  var quiet = false

  /// `--activation`'s names: the model-file names with '-' for '_' (leaky-relu), in ``Activation/allCases`` order.
  static let activationNames = Activation.allCases.map { $0.name.replacingOccurrences(of: "_", with: "-") }

  static let initializers: KeyValuePairs<String, Initializer> = [
    "he-uniform": .heUniform, "he-normal": .heNormal, "glorot-uniform": .glorotUniform,
    "glorot-normal": .glorotNormal, "lecun-uniform": .lecunUniform, "lecun-normal": .lecunNormal,
  ]

  /// Every setting, once: its flag, its `--config` key and its help line.
  static let flags = FlagTable<TrainConfiguration>(
    "train", acceptsConfig: true,
    modelFlags + OptimizerChoices.hyperparameters.map(optimizerFlag) + trainingFlags + DataSource.flags(\.dataSource)
      + outputFlags)

  private static let modelFlags: [Flag<TrainConfiguration>] = [
    Flag("hidden", "256,128", "hidden layer sizes (--hidden '' for none)", kind: .list) { settings, text in
      let sizes =
        text.trimmingCharacters(in: .whitespaces).isEmpty
        ? []
        : text.split(separator: ",", omittingEmptySubsequences: false).map {
          Int($0.trimmingCharacters(in: .whitespaces))
        }
      guard sizes.allSatisfy({ ($0 ?? 0) >= 1 }) else { return "a comma-separated list of positive sizes" }
      settings.hidden = sizes.map { $0! }
      return nil
    },
    Flag("activation", "relu", activationNames.joined(separator: ", ")) { settings, text in
      guard let index = activationNames.firstIndex(of: text) else {
        return "one of \(activationNames.joined(separator: ", "))"
      }
      settings.activation = Activation.allCases[index]
      return nil
    },
    .value(
      "dropout", "0.2", "dropout rate after each hidden layer, in [0, 1)", \.dropout, expected: "a rate in [0, 1)"
    ) { $0 >= 0 && $0 < 1 },
    Flag("initializer", "he-uniform", initializers.map(\.key).joined(separator: ", ")) { settings, text in
      guard let choice = initializers.first(where: { $0.key == text })?.value else {
        return "one of \(initializers.map(\.key).joined(separator: ", "))"
      }
      settings.initializer = choice
      return nil
    },
    .choice("optimizer", "adam", \.optimizer, choices: OptimizerChoices.all.map(\.name)),
  ]

  private static let trainingFlags: [Flag<TrainConfiguration>] = [
    Flag(
      "schedule", "cosine",
      """
      per epoch: constant, cosine, step:SIZE,GAMMA, multistep:M1;M2,GAMMA, exponential:GAMMA,
      linear:START,END, polynomial:POWER, inverse-time:RATE (the last three over all epochs;
      polynomial decays to 0 as PyTorch's PolynomialLR)
      """
    ) { settings, text in
      guard parseSchedule(text, epochs: 1) != nil else { return "a schedule (see `descent help`)" }
      settings.scheduleText = text
      return nil
    },
    .value("warmup", "N", "linear warmup over the first N epochs", \.warmup, expected: "a whole number >= 0") {
      $0 >= 0
    },
    Flag("penalty", "l2:1e-4", "l1:L, l2:L or elastic:L1,L2 on every Dense weight matrix") { settings, text in
      guard let penalty = parsePenalty(text) else { return "l1:L, l2:L or elastic:L1,L2 with L >= 0" }
      settings.penalty = penalty
      return nil
    },
    .value("clip-norm", "N", "clip gradients to a global L2 norm of N", \.clipNorm, expected: "a positive norm") {
      $0 > 0 && $0.isFinite
    },
    .value(
      "epochs", "15", "total epochs (a resumed run continues to this number)", \.epochs,
      expected: "a whole number >= 1"
    ) { $0 >= 1 },
    .value("batch-size", "128", "rows per step", \.batchSize, expected: "a whole number >= 1") { $0 >= 1 },
    .value(
      "validation", "0.1", "fraction of the training set held out for validation (0: none)", \.validation,
      expected: "a fraction in [0, 1)"
    ) { $0 >= 0 && $0 < 1 },
    .value(
      "early-stopping", "N", "stop after N epochs without validation-loss improvement, restoring the best weights",
      \.earlyStopping, expected: "a patience >= 1"
    ) { $0 >= 1 },
    .choice(
      "backend", "auto", \.backend, choices: ["auto", "cpu", "opencl"],
      help: "auto (an OpenCL GPU if there is one, else the CPU backend), cpu, opencl"),
    .value(
      "device", "SELECTOR", "the OpenCL device: an index from `descent devices` or part of a name", \.device,
      expected: "a device"),
    .value(
      "seed", "42", "seeds weights, shuffling, dropout and augmentation", \.seed, expected: "a whole number >= 0"),
    Flag(
      "augment", "SPEC", "e.g. shift=2,flip,noise=0.05 (random shifts, horizontal flips, Gaussian noise), or none"
    ) {
      settings, text in
      if text == "none" {
        settings.augmentation = nil
        return nil
      }
      guard let augmentation = parseAugmentation(text) else { return "like shift=2,flip,noise=0.05" }
      settings.augmentation = augmentation
      return nil
    },
    .value(
      "checkpoint", "PATH", "save a checkpoint (safetensors) after every epoch", \.checkpoint, expected: "a path"),
    .toggle("resume", "continue from --checkpoint if it exists", \.resume),
  ]

  private static let outputFlags: [Flag<TrainConfiguration>] = [
    .value(
      "output", "DIR",
      """
      where history.csv, history.json, history.svg and weights.safetensors (the model) go
      (default descent-run)
      """, \.output, expected: "a folder"),
    .value(
      "limit", "N", "train on the first N training rows only (quick runs)", \.limit, expected: "a whole number >= 1"
    ) { $0 >= 1 },
    .toggle("quiet", "no progress output", \.quiet),
  ]

  /// The flag of optimizer hyperparameter `name`: its description and each optimizer's default.
  private static func optimizerFlag(_ parameter: (name: String, isFlag: Bool)) -> Flag<TrainConfiguration> {
    let name = parameter.name
    let help = ([OptimizerChoices.descriptions[name] ?? name] + [OptimizerChoices.defaults(of: name)].compactMap { $0 })
      .joined(separator: "\n")
    if parameter.isFlag {
      return .toggle(OptimizerChoices.flagName(name), help) { $0.optimizerValues[name] = $1 ? 1 : 0 }
    }
    return Flag(OptimizerChoices.flagName(name), "X", help) { settings, text in
      guard let value = Float(text), value.isFinite, value >= 0 else { return "a number >= 0" }
      settings.optimizerValues[name] = Double(value)
      return nil
    }
  }

  /// One line per setting for the usage text.
  static var help: String { flags.help }

  /// The learning-rate schedule: `--schedule` over `--epochs`, after `--warmup` epochs.
  var schedule: LearningRateSchedule {
    let base = Self.parseSchedule(scheduleText, epochs: epochs) ?? .constant  // checked when set
    return warmup > 0 ? .warmup(steps: warmup, startFactor: 0.1, then: base) : base
  }

  /// Reads `--config` first, then every other flag in order; checks the optimizer's settings.
  init(_ options: [String]) throws {
    try Self.flags.parse(options, into: &self)
    do {
      try makeOptimizer().validate()
    } catch let ConfigurationError.outOfRange(parameter, value, allowed) {
      throw UsageError(
        message:
          "--\(OptimizerChoices.flagName(parameter)): '\(value)' is out of range for --optimizer \(optimizer) "
          + "(allowed: \(allowed))")
    }
  }

  /// Sets the setting `name` (a flag without its dashes) as `--name value` would; errors name `source`.
  mutating func set(_ name: String, _ value: String, source: String) throws {
    try Self.flags.set(name, value, in: &self, source: source)
  }

  /// `cosine` anneals over all epochs.
  static func parseSchedule(_ text: String, epochs: Int) -> LearningRateSchedule? {
    let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
    let numbers = parts.count > 1 ? parts[1].split(separator: ",").map { Double($0) } : []
    switch (parts.first, numbers.count) {
    case ("constant", 0): return .constant
    case ("cosine", 0): return .cosine(period: epochs)
    case ("exponential", 1): return numbers[0].map { .exponential(gamma: $0) }
    case ("linear", 2):
      guard let start = numbers[0], let end = numbers[1] else { return nil }
      return .linear(startFactor: start, endFactor: end, steps: epochs)
    case ("polynomial", 1): return numbers[0].map { .polynomial(steps: epochs, power: $0, end: 0) }
    case ("inverse-time", 1): return numbers[0].map { .inverseTime(steps: 1, rate: $0) }
    case ("step", 2):
      guard let size = numbers[0].flatMap({ Checked.wholeNumber($0, in: 1...Int(Int32.max)) }),
        let gamma = numbers[1]
      else { return nil }
      return .step(size: size, gamma: gamma)
    case ("multistep", 2):
      let fields = parts[1].split(separator: ",")
      let milestones = fields[0].split(separator: ";", omittingEmptySubsequences: false).map { Int($0) }
      guard let gamma = numbers[1], !milestones.isEmpty, milestones.allSatisfy({ $0 != nil }) else { return nil }
      return .multiStep(milestones: milestones.map { $0! }, gamma: gamma)
    default: return nil
    }
  }

  static func parsePenalty(_ text: String) -> Regularizer? {
    let parts = text.split(separator: ":").map(String.init)
    guard parts.count == 2 else { return nil }
    let parsed = parts[1].split(separator: ",", omittingEmptySubsequences: false).map { Float($0) }
    guard parsed.allSatisfy({ $0 != nil }) else { return nil }
    let values = parsed.map { $0! }
    guard values.allSatisfy({ $0 >= 0 && $0.isFinite }) else { return nil }
    switch (parts[0], values.count) {
    case ("l1", 1): return .l1(values[0])
    case ("l2", 1): return .l2(values[0])
    case ("elastic", 2): return .elasticNet(l1: values[0], l2: values[1])
    default: return nil
    }
  }

  static func parseAugmentation(_ text: String) -> (shift: Int, flip: Bool, noise: Float)? {
    var result = (shift: 0, flip: false, noise: Float(0))
    for item in text.split(separator: ",") {
      let pair = item.split(separator: "=").map(String.init)
      switch (pair.first, pair.count) {
      case ("flip", 1): result.flip = true
      case ("shift", 2): guard let shift = Int(pair[1]), shift >= 0 else { return nil }; result.shift = shift
      case ("noise", 2): guard let noise = Float(pair[1]), noise >= 0 else { return nil }; result.noise = noise
      default: return nil
      }
    }
    return result
  }
}
