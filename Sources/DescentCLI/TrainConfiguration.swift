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
  var learningRate: Float = 1e-3
  var momentum: Float?
  var beta1: Float = 0.9
  var beta2: Float?
  var weightDecay: Float?
  var nesterov = false
  var schedule = LearningRateSchedule.cosine(period: 15)
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

  /// One line per setting for the usage text.
  static let help = """
      --config FILE          JSON file with any of the settings below (keys without the dashes)
      --hidden 256,128       hidden layer sizes (--hidden '' for none)
      --activation relu      \(activationNames.joined(separator: ", "))
      --dropout 0.2          dropout rate after each hidden layer, in [0, 1)
      --initializer he-uniform   he-uniform, he-normal, glorot-uniform, glorot-normal, lecun-uniform, lecun-normal
      --optimizer adam       sgd, adagrad, rmsprop, adam, adamw, lion (use a 3-10x smaller --learning-rate)
      --learning-rate 0.001  base learning rate
      --momentum M           momentum for sgd (default 0.9) and rmsprop (default 0)
      --beta1 0.9 --beta2 B  Adam/AdamW/Lion moment decays (β₂ default 0.999, Lion's 0.99)
      --weight-decay W       L2 weight decay (sgd, adagrad, rmsprop, adam) or decoupled (adamw: default 0.01, lion)
      --nesterov             Nesterov momentum for sgd
      --schedule cosine      per epoch: constant, cosine, step:SIZE,GAMMA, multistep:M1;M2,GAMMA, exponential:GAMMA,
                             linear:START,END, polynomial:POWER, inverse-time:RATE (the last three over all epochs;
                             polynomial decays to 0 as PyTorch's PolynomialLR)
      --warmup N             linear warmup over the first N epochs
      --penalty l2:1e-4      l1:L, l2:L or elastic:L1,L2 on every Dense weight matrix
      --clip-norm N          clip gradients to a global L2 norm of N
      --epochs 15            total epochs (a resumed run continues to this number)
      --batch-size 128
      --validation 0.1       fraction of the training set held out for validation (0: none)
      --early-stopping N     stop after N epochs without validation-loss improvement, restoring the best weights
      --backend auto         auto (an OpenCL GPU if there is one, else the CPU backend), cpu, opencl
      --device SELECTOR      the OpenCL device: an index from `descent devices` or part of a name
      --seed 42              seeds weights, shuffling, dropout and augmentation
      --augment SPEC         e.g. shift=2,flip,noise=0.05 (random shifts, horizontal flips, Gaussian noise)
      --checkpoint PATH      save a checkpoint (safetensors) after every epoch
      --resume               continue from --checkpoint if it exists
    \(DataSource.help)
      --output DIR           where history.csv, history.json, history.svg and weights.safetensors (the model) go
                             (default descent-run)
      --limit N              train on the first N training rows only (quick runs)
      --quiet                no progress output
    """

  static let booleanFlags: Set<String> = ["nesterov", "resume", "quiet"]

  /// Reads `--config` first, then every other flag in order.
  init(_ options: [String]) throws {
    var pairs: [(String, String)] = []
    var rest = options[...]
    while let option = rest.popFirst() {
      guard option.hasPrefix("--") else { throw UsageError(message: "unexpected argument '\(option)' for 'train'") }
      let name = String(option.dropFirst(2))
      if Self.booleanFlags.contains(name) {
        pairs.append((name, "true"))
      } else {
        guard let value = rest.popFirst() else {
          // A last option the command does not have is reported as unknown, not as lacking a value.
          if name != "config" {
            var defaults = try TrainConfiguration([])
            do { try defaults.set(name, "", source: option) } catch let error as UsageError where error.isUnknownOption
            {
              throw error
            } catch {}
          }
          throw UsageError(message: "\(option) needs a value")
        }
        pairs.append((name, value))
      }
    }
    if let config = pairs.last(where: { $0.0 == "config" }) { try load(config.1) }
    for (name, value) in pairs where name != "config" { try set(name, value, source: "--\(name)") }
    if warmup > 0 { schedule = .warmup(steps: warmup, startFactor: 0.1, then: schedule) }
  }

  /// Applies a JSON config file's keys as if they were flags.
  private mutating func load(_ path: String) throws {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw UsageError(message: "--config: cannot read \(path)")
    }
    guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
      throw UsageError(message: "--config: \(path) is not a JSON object")
    }
    for (key, value) in object.sorted(by: { $0.key < $1.key }) {
      let source = "\(path): \"\(key)\""
      if Self.booleanFlags.contains(key) {
        guard let flag = Self.jsonBoolean(value) else { throw UsageError(message: "\(source) must be true or false") }
        if flag { try set(key, "true", source: source) }
        continue
      }
      try set(key, try Self.jsonText(value, source: source, listAllowed: key == "hidden"), source: source)
    }
  }

  /// A JSON `true` or `false` (Foundation reads them as numbers whose type code is `c`), else nil.
  static func jsonBoolean(_ value: Any) -> Bool? {
    guard let number = value as? NSNumber, String(cString: number.objCType) == "c" else { return nil }
    return number.boolValue
  }

  /// A JSON string or number as the text a flag would carry; a list (where allowed) of them joined
  /// with commas. Anything else (true/false, null, objects, nested lists) is an error naming the key.
  static func jsonText(_ value: Any, source: String, listAllowed: Bool) throws -> String {
    if let list = value as? [Any], listAllowed {
      return try list.map { try jsonText($0, source: source, listAllowed: false) }.joined(separator: ",")
    }
    if let text = value as? String { return text }
    if let number = value as? NSNumber, jsonBoolean(value) == nil { return "\(number)" }
    throw UsageError(
      message: "\(source) must be \(listAllowed ? "a list of numbers" : "a number or a string"), not \(value)")
  }

  mutating func set(_ name: String, _ value: String, source: String) throws {
    func bad(_ expected: String) -> UsageError { UsageError(message: "\(source): '\(value)' is not \(expected)") }
    func float(_ range: String = "a number", _ valid: (Float) -> Bool = { $0.isFinite }) throws -> Float {
      guard let number = Float(value), valid(number) else { throw bad(range) }
      return number
    }
    func int(_ range: String, _ valid: (Int) -> Bool) throws -> Int {
      guard let number = Int(value), valid(number) else { throw bad(range) }
      return number
    }
    switch name {
    case "hidden":
      let sizes =
        value.trimmingCharacters(in: .whitespaces).isEmpty
        ? []
        : value.split(separator: ",", omittingEmptySubsequences: false)
          .map { Int($0.trimmingCharacters(in: .whitespaces)) }
      guard sizes.allSatisfy({ ($0 ?? 0) >= 1 }) else { throw bad("a comma-separated list of positive sizes") }
      hidden = sizes.map { $0! }
    case "activation":
      guard let index = Self.activationNames.firstIndex(of: value) else {
        throw bad("one of \(Self.activationNames.joined(separator: ", "))")
      }
      activation = Activation.allCases[index]
    case "dropout": dropout = try float("a rate in [0, 1)") { $0 >= 0 && $0 < 1 }
    case "initializer":
      let choices: [String: Initializer] = [
        "he-uniform": .heUniform, "he-normal": .heNormal,
        "glorot-uniform": .glorotUniform, "glorot-normal": .glorotNormal,
        "lecun-uniform": .lecunUniform, "lecun-normal": .lecunNormal,
      ]
      guard let choice = choices[value] else { throw bad("one of \(choices.keys.sorted().joined(separator: ", "))") }
      initializer = choice
    case "optimizer":
      let names = Self.optimizers.map(\.key)
      guard names.contains(value) else { throw bad("one of \(names.joined(separator: ", "))") }
      optimizer = value
    case "learning-rate": learningRate = try float("a positive number") { $0 > 0 && $0.isFinite }
    case "momentum": momentum = try float("a momentum >= 0") { $0 >= 0 && $0.isFinite }
    case "beta1": beta1 = try float("a beta in [0, 1)") { $0 >= 0 && $0 < 1 }
    case "beta2": beta2 = try float("a beta in [0, 1)") { $0 >= 0 && $0 < 1 }
    case "weight-decay": weightDecay = try float("a decay >= 0") { $0 >= 0 && $0.isFinite }
    case "nesterov": nesterov = value == "true"
    case "schedule":
      schedule = try Self.parseSchedule(value, epochs: epochs) ?? { throw bad("a schedule (see `descent help`)") }()
      scheduleText = value
    case "warmup": warmup = try int("a whole number >= 0") { $0 >= 0 }
    case "penalty": penalty = try Self.parsePenalty(value) ?? { throw bad("l1:L, l2:L or elastic:L1,L2 with L >= 0") }()
    case "clip-norm": clipNorm = try float("a positive norm") { $0 > 0 && $0.isFinite }
    case "epochs":
      epochs = try int("a whole number >= 1") { $0 >= 1 }
      if let schedule = Self.parseSchedule(scheduleText, epochs: epochs) { self.schedule = schedule }
    case "batch-size": batchSize = try int("a whole number >= 1") { $0 >= 1 }
    case "validation":
      guard let fraction = Double(value), fraction >= 0, fraction < 1 else { throw bad("a fraction in [0, 1)") }
      validation = fraction
    case "early-stopping": earlyStopping = try int("a patience >= 1") { $0 >= 1 }
    case "backend":
      guard ["auto", "cpu", "opencl"].contains(value) else { throw bad("one of auto, cpu, opencl") }
      backend = value
    case "device": device = value
    case "seed":
      guard let number = UInt64(value) else { throw bad("a whole number >= 0") }
      seed = number
    case "augment": augmentation = try Self.parseAugmentation(value) ?? { throw bad("like shift=2,flip,noise=0.05") }()
    case "checkpoint": checkpoint = value
    case "resume": resume = value == "true"
    case "output": output = value
    case "limit": limit = try int("a whole number >= 1") { $0 >= 1 }
    case "quiet": quiet = value == "true"
    default:
      guard try dataSource.set(name, value, bad: bad) else {
        throw UsageError(message: "unknown option '--\(name)' for 'train'", isUnknownOption: true)
      }
    }
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
