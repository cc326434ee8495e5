/// A hyperparameter or setting a user gave is not allowed. Thrown before anything runs.
public enum ConfigurationError: Error, Equatable, CustomStringConvertible {
  /// `parameter` was `value`, outside `allowed`.
  case outOfRange(parameter: String, value: String, allowed: String)

  public var description: String {
    switch self {
    case let .outOfRange(parameter, value, allowed):
      "\(parameter) = \(value) is out of range (allowed: \(allowed))"
    }
  }

  /// Throws ``outOfRange(parameter:value:allowed:)`` unless `condition` holds.
  package static func require(
    _ condition: Bool, _ parameter: String, _ value: some Any,
    _ allowed: String
  ) throws {
    guard condition else { throw outOfRange(parameter: parameter, value: "\(value)", allowed: allowed) }
  }
}
