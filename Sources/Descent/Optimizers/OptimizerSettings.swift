/// An optimizer's type and every hyperparameter by name, as a checkpoint stores them: explicit
/// names and values, so a checkpoint stays loadable after an optimizer gains a setting (a checkpoint
/// written before it had the setting's default).
public struct OptimizerSettings: Codable, Equatable, Sendable {
  /// The optimizer's type: `"Adam"`, `"SGD"`, …
  public var name: String
  /// Each hyperparameter's value; a Boolean is 0 or 1.
  public var values: [String: Double]

  public init(_ name: String, _ values: [String: Double]) {
    self.name = name
    self.values = values
  }

  /// Whether a checkpoint written with `saved` continues a run with these settings: the same type,
  /// every setting equal, a setting `saved` lacks equal to its default in `defaults`, and no
  /// setting these lack (one from a newer version of the optimizer). Otherwise, what differs.
  public func mismatch(_ saved: OptimizerSettings, defaults: OptimizerSettings) -> String? {
    guard saved.name == name else { return "the checkpoint's optimizer is \(saved.name), this trainer's is \(name)" }
    if let unknown = saved.values.keys.sorted().first(where: { values[$0] == nil }) {
      return "the checkpoint's \(name) has a setting \(unknown) this version does not know"
    }
    for (key, value) in values.sorted(by: { $0.key < $1.key }) {
      let theirs = saved.values[key] ?? defaults.values[key]
      if theirs != value {
        let saved = theirs.map { "\(Float($0))" } ?? "unset"
        return "the checkpoint's \(name) \(key) is \(saved), this trainer's is \(Float(value))"
      }
    }
    return nil
  }

  /// The settings of a version-1 checkpoint, which stored the optimizer's description
  /// (`Adam(learningRate: 0.001, beta1: 0.9, …, amsgrad: false)`); nil if `text` is not one.
  package init?(description text: String) {
    guard text.hasSuffix(")"), let open = text.firstIndex(of: "(") else { return nil }
    var values: [String: Double] = [:]
    for field in text[text.index(after: open)..<text.index(before: text.endIndex)].split(separator: ", ") {
      let parts = field.split(separator: ": ", maxSplits: 1)
      guard parts.count == 2 else { return nil }
      switch parts[1] {
      case "true": values[String(parts[0])] = 1
      case "false": values[String(parts[0])] = 0
      default:
        guard let value = Float(parts[1]) else { return nil }  // printed from a Float: exact again
        values[String(parts[0])] = Double(value)
      }
    }
    self.init(String(text[..<open]), values)
  }
}
