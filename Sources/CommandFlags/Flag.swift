/// One flag of a command, described once: its name, the value it takes as `--help` shows it, its
/// help text, and how a value changes the command's settings. A ``FlagTable`` of them parses the
/// command line, writes `--help` and reads the same keys from a JSON `--config` file.
public struct Flag<Settings>: Sendable {
  /// How a flag takes its value.
  public enum Kind: Sendable {
    /// `--name VALUE`.
    case value
    /// `--name` alone; `true` or `false` in a config file.
    case toggle
    /// `--name A,B,C`; a JSON list of numbers or strings in a config file.
    case list
  }

  /// The name without its dashes: `batch-size`.
  public let name: String
  /// The value as `--help` shows it: the default (`128`) or a placeholder (`FILE`); empty for a toggle.
  public let shown: String
  /// What the flag does; lines after the first are indented under it.
  public let help: String
  public let kind: Kind
  /// Whether the command needs it.
  public let required: Bool
  /// Whether it may be given more than once (each value applied in turn).
  public let repeatable: Bool
  /// Applies a value (a toggle's is `"true"` or `"false"`); returns what was expected when the
  /// value is wrong (`"a whole number >= 1"`), else nil.
  let apply: @Sendable (inout Settings, String) -> String?

  /// A flag that applies its value through `apply`, which returns nil when it took the value and
  /// otherwise what it expected (`"one of auto, cpu, opencl"`).
  public init(
    _ name: String, _ shown: String, _ help: String, kind: Kind = .value, required: Bool = false,
    repeatable: Bool = false, apply: @escaping @Sendable (inout Settings, String) -> String?
  ) {
    self.name = name
    self.shown = shown
    self.help = help
    self.kind = kind
    self.required = required
    self.repeatable = repeatable
    self.apply = apply
  }

  /// A switch that sets `keyPath` to true (`false` from a config file).
  public static func toggle(
    _ name: String, _ help: String, _ keyPath: WritableKeyPath<Settings, Bool> & Sendable
  ) -> Self {
    toggle(name, help) { $0[keyPath: keyPath] = $1 }
  }

  /// A switch that passes true (`false` from a config file or a search space) to `set`.
  public static func toggle(
    _ name: String, _ help: String, _ set: @escaping @Sendable (inout Settings, Bool) -> Void
  ) -> Self {
    Self(name, "", help, kind: .toggle) { settings, value in
      guard value == "true" || value == "false" else { return "true or false" }
      set(&settings, value == "true")
      return nil
    }
  }

  /// A value parsed as `V` and accepted when `valid` holds; `expected` says what is accepted.
  public static func value<V: LosslessStringConvertible>(
    _ name: String, _ shown: String, _ help: String, _ keyPath: WritableKeyPath<Settings, V> & Sendable,
    expected: String, required: Bool = false, valid: @escaping @Sendable (V) -> Bool = { _ in true }
  ) -> Self {
    Self(name, shown, help, required: required) { settings, text in
      guard let value = V(text), valid(value) else { return expected }
      settings[keyPath: keyPath] = value
      return nil
    }
  }

  /// An optional value parsed as `V` and accepted when `valid` holds.
  public static func value<V: LosslessStringConvertible>(
    _ name: String, _ shown: String, _ help: String, _ keyPath: WritableKeyPath<Settings, V?> & Sendable,
    expected: String, required: Bool = false, valid: @escaping @Sendable (V) -> Bool = { _ in true }
  ) -> Self {
    Self(name, shown, help, required: required) { settings, text in
      guard let value = V(text), valid(value) else { return expected }
      settings[keyPath: keyPath] = value
      return nil
    }
  }

  /// One of `choices`; the help text lists them unless `help` is given.
  public static func choice(
    _ name: String, _ shown: String, _ keyPath: WritableKeyPath<Settings, String> & Sendable, choices: [String],
    help: String? = nil
  ) -> Self {
    let list = choices.joined(separator: ", ")
    return Self(name, shown, help ?? list) { settings, text in
      guard choices.contains(text) else { return "one of \(list)" }
      settings[keyPath: keyPath] = text
      return nil
    }
  }
}
