import Foundation

/// A mistake in a command line or config file, reported with the command's usage text.
public struct UsageError: Error, Equatable {
  public let message: String
  /// Whether the mistake is an option the command does not have.
  public var isUnknownOption = false

  public init(message: String, isUnknownOption: Bool = false) {
    self.message = message
    self.isUnknownOption = isUnknownOption
  }
}

/// A command's flags: parses `--name value` pairs and switches (each once, unless repeatable), an
/// optional `--config FILE` of the same keys in JSON (flags override it), and writes `--help`.
/// Every unknown flag, missing value and rejected value is a ``UsageError`` naming it.
public struct FlagTable<Settings>: Sendable {
  /// The command's name, for messages: `train`.
  public let command: String
  public let flags: [Flag<Settings>]
  /// Whether `--config FILE` reads the flags' keys from a JSON object.
  public let acceptsConfig: Bool

  public init(_ command: String, acceptsConfig: Bool = false, _ flags: [Flag<Settings>]) {
    self.command = command
    self.acceptsConfig = acceptsConfig
    self.flags = flags
    var seen = Set<String>()
    for flag in flags { precondition(seen.insert(flag.name).inserted, "flag --\(flag.name) declared twice") }
  }

  /// The flag named `name` (without dashes), or nil.
  public func flag(_ name: String) -> Flag<Settings>? { flags.first { $0.name == name } }

  /// The names of the switches.
  public var toggles: Set<String> { Set(flags.filter { $0.kind == .toggle }.map(\.name)) }

  /// One line per flag (continuations indented under the descriptions), `--config` first.
  public var help: String {
    let config =
      acceptsConfig ? [("--config FILE", "JSON file with any of the settings below (keys without the dashes)")] : []
    let rows = config + flags.map { ("--\($0.name)" + ($0.shown.isEmpty ? "" : " \($0.shown)"), $0.help) }
    let width = 25
    return rows.map { head, help in
      let start = "  " + head
      let padded = start.count <= width - 2 ? start.padding(toLength: width, withPad: " ", startingAt: 0) : start + "  "
      let lines = help.split(separator: "\n", omittingEmptySubsequences: false)
      return ([padded + lines[0]] + lines.dropFirst().map { String(repeating: " ", count: width) + $0 })
        .joined(separator: "\n")
    }.joined(separator: "\n")
  }

  /// Applies `arguments` to `settings`: `--config` first (when accepted), then each flag in order.
  /// Returns the names of the flags given on the command line.
  @discardableResult
  public func parse(_ arguments: [String], into settings: inout Settings) throws -> Set<String> {
    var given: [(flag: Flag<Settings>, value: String)] = [], configPath: String?
    var rest = arguments[...]
    while let argument = rest.popFirst() {
      guard argument.hasPrefix("--") else {
        throw UsageError(message: "unexpected argument '\(argument)' for '\(command)'")
      }
      let name = String(argument.dropFirst(2))
      if acceptsConfig && name == "config" {
        guard configPath == nil else { throw UsageError(message: "--config is given twice") }
        guard let path = rest.popFirst() else { throw UsageError(message: "--config needs a value") }
        configPath = path
        continue
      }
      guard let flag = flag(name) else {
        throw UsageError(message: "unknown option '\(argument)' for '\(command)'", isUnknownOption: true)
      }
      guard flag.repeatable || !given.contains(where: { $0.flag.name == name }) else {
        throw UsageError(message: "\(argument) is given twice")
      }
      if flag.kind == .toggle {
        given.append((flag, "true"))
      } else {
        guard let value = rest.popFirst() else { throw UsageError(message: "\(argument) needs a value") }
        given.append((flag, value))
      }
    }
    var fromConfig = Set<String>()
    if let configPath { fromConfig = try load(configPath, into: &settings) }
    for (flag, value) in given { try set(flag, value, in: &settings, source: "--\(flag.name)") }
    let present = fromConfig.union(given.map(\.flag.name))
    if let missing = flags.first(where: { $0.required && !present.contains($0.name) }) {
      throw UsageError(message: "--\(missing.name) is required")
    }
    return Set(given.map(\.flag.name))
  }

  /// Applies `value` to the flag named `name`, as if given on the command line; errors name `source`.
  public func set(_ name: String, _ value: String, in settings: inout Settings, source: String) throws {
    guard let flag = flag(name) else {
      throw UsageError(message: "\(source): '\(command)' has no setting '\(name)'", isUnknownOption: true)
    }
    try set(flag, value, in: &settings, source: source)
  }

  private func set(_ flag: Flag<Settings>, _ value: String, in settings: inout Settings, source: String) throws {
    if let expected = flag.apply(&settings, value) {
      throw UsageError(message: "\(source): '\(value)' is not \(expected)")
    }
  }

  /// Applies a JSON config file's keys as if they were flags; returns the keys it set.
  private func load(_ path: String, into settings: inout Settings) throws -> Set<String> {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw UsageError(message: "--config: cannot read \(path)")
    }
    guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
      throw UsageError(message: "--config: \(path) is not a JSON object")
    }
    for (key, value) in object.sorted(by: { $0.key < $1.key }) {
      let source = "\(path): \"\(key)\""
      guard let flag = flag(key) else {
        throw UsageError(message: "\(source) is not a setting of '\(command)'", isUnknownOption: true)
      }
      try set(flag, try Self.text(of: value, for: flag, source: source), in: &settings, source: source)
    }
    return Set(object.keys)
  }

  /// A JSON value as the text the flag would carry on the command line: `true`/`false` for a
  /// toggle, a string or number, or (for a list flag) a list of them joined with commas. Anything
  /// else (a Boolean where a value belongs, null, an object, a nested list) is an error naming the key.
  public static func text(of value: Any, for flag: Flag<Settings>, source: String) throws -> String {
    if flag.kind == .toggle {
      guard let on = JSONValue.boolean(value) else { throw UsageError(message: "\(source) must be true or false") }
      return on ? "true" : "false"
    }
    if flag.kind == .list, let list = value as? [Any] {
      return try list.map { try JSONValue.scalarText($0, source: source, expected: "a number or a string") }
        .joined(separator: ",")
    }
    return try JSONValue.scalarText(value, source: source, expected: "a number or a string")
  }
}

/// Reading the values `JSONSerialization` returns.
public enum JSONValue {
  /// A JSON `true` or `false` (Foundation reads them as numbers whose type code is `c`), else nil.
  public static func boolean(_ value: Any) -> Bool? {
    guard let number = value as? NSNumber, String(cString: number.objCType) == "c" else { return nil }
    return number.boolValue
  }

  /// A JSON string or number as text; anything else is an error naming `source`.
  static func scalarText(_ value: Any, source: String, expected: String) throws -> String {
    if let text = value as? String { return text }
    if let number = value as? NSNumber, boolean(value) == nil { return "\(number)" }
    throw UsageError(message: "\(source) must be \(expected), not \(value)")
  }
}
