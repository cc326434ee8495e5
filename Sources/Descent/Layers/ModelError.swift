/// A model was used in a way it cannot run: every case names the layer or shape involved.
public enum ModelError: Error, Equatable, CustomStringConvertible {
  /// A layer ran before ``Sequential`` built it.
  case notBuilt(layer: String)
  /// A layer instance was put into a second model (or built twice); layers hold their weights.
  case alreadyBuilt(layer: String)
  /// Inputs or targets do not have the shape the model or loss expects.
  case shapeMismatch(String)
  /// Backward ran without a training forward pass of the same batch before it.
  case backwardBeforeForward(layer: String)
  /// A model file cannot describe `layer`, a layer type of the user's own: save the weights alone
  /// (``Sequential/namedParameters``) and rebuild the model in code to load them.
  case notDescribable(layer: String)

  public var description: String {
    switch self {
    case let .notBuilt(layer): "\(layer) is not built: add it to a Sequential model before running it"
    case let .alreadyBuilt(layer): "\(layer) is already built: each layer instance belongs to one model"
    case let .shapeMismatch(detail): "shape mismatch: \(detail)"
    case let .backwardBeforeForward(layer): "\(layer): backward called without a forward pass of the same batch"
    case let .notDescribable(layer):
      "\(layer) is not one of Descent's layers, so a model file cannot describe it: rebuild the model in code and use "
        + "loadWeights(from:)"
    }
  }
}
