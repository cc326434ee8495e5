import Foundation

/// Everything a model file says beyond its tensors, so ``Sequential/load(contentsOf:backend:)``
/// can rebuild the model with no other input: the layers and their settings, what the outputs
/// mean, and the preprocessing fitted on the training data. Stored as JSON under the
/// `descent.model` key of the safetensors metadata.
public struct ModelDescription: Codable, Sendable, Hashable {
  /// The value of ``format`` in every Descent model file.
  public static let formatName = "descent-model"
  /// The newest format version this Descent writes and reads.
  public static let currentVersion = 1

  public var format = Self.formatName
  public var version = Self.currentVersion
  public var inputFeatures: Int
  /// The seed of the initial weights and dropout masks (so a reloaded model trains on identically).
  public var seed: UInt64
  public var layers: [LayerDescription]
  public var output: ModelOutput
  public var preprocessing: Preprocessing
}

/// One layer's kind and settings: `{"type": "dense", "units": 10, "activation": "relu", "bias": true}`,
/// `{"type": "dropout", "rate": 0.2}`, `{"type": "activation", "activation": "gelu"}`, `{"type": "softmax"}`.
/// Initializers and penalties are left out: they shape training, not the function the weights compute.
public struct LayerDescription: Codable, Sendable, Hashable {
  public var type: String
  public var units: Int?
  public var activation: String?
  /// LeakyReLU's slope.
  public var slope: Float?
  public var bias: Bool?
  public var rate: Float?

  /// The description of one of Descent's layers.
  /// - Throws: ``ModelError/notDescribable(layer:)`` for a layer type of the user's own.
  public init(_ layer: any Layer) throws {
    switch layer {
    case let dense as Dense:
      type = "dense"
      units = dense.units
      bias = dense.usesBias
      (activation, slope) = (dense.activation?.name, dense.activation.flatMap(Self.slope))
    case let activation as ActivationLayer:
      type = "activation"
      (self.activation, slope) = (activation.function.name, Self.slope(activation.function))
    case let dropout as Dropout:
      type = "dropout"
      rate = dropout.rate
    case is Softmax:
      type = "softmax"
    default:
      throw ModelError.notDescribable(layer: "\(layer)")
    }
  }

  private static func slope(_ activation: Activation) -> Float? {
    if case let .leakyReLU(slope) = activation { slope } else { nil }
  }

  /// A new, unbuilt layer with these settings; `where` names the layer in errors.
  func makeLayer(where place: String) throws -> any Layer {
    func fail(_ detail: String) -> DataError { .inconsistent("\(place): \(detail)") }
    func function() throws -> Activation {
      guard let name = activation else { throw fail("an activation layer needs \"activation\"") }
      guard let function = Activation(name: name, slope: slope) else {
        throw fail(
          "unknown activation \"\(name)\"\(slope.map { " with slope \($0)" } ?? "") (known: \(Activation.names))")
      }
      return function
    }
    switch type {
    case "dense":
      guard let units, units >= 1 else {
        throw fail("a dense layer needs \"units\" >= 1, found \(units.map(String.init) ?? "none")")
      }
      return try Dense(units, activation: activation == nil ? nil : try function(), bias: bias ?? true)
    case "activation": return ActivationLayer(try function())
    case "dropout":
      guard let rate, rate >= 0, rate < 1 else { throw fail("a dropout layer needs \"rate\" in [0, 1)") }
      return try Dropout(rate)
    case "softmax": return Softmax()
    default: throw fail("unknown layer type \"\(type)\" (known: dense, activation, dropout, softmax)")
    }
  }
}

/// What a model's outputs mean.
public struct ModelOutput: Codable, Sendable, Hashable {
  public enum Kind: String, Codable, Sendable {
    /// Logits of classes `0..<outputFeatures` (the prediction is the largest).
    case classes
    /// Predicted values, one per output.
    case regression
    /// Not declared: the raw outputs.
    case values
  }

  public var kind: Kind
  /// Class names, one per output, for ``Kind/classes``.
  public var classNames: [String]?
  /// The data column the model was trained to predict (a CSV header name).
  public var label: String?

  public init(kind: Kind, classNames: [String]? = nil, label: String? = nil) {
    self.kind = kind
    self.classNames = classNames
    self.label = label
  }

  /// Undeclared outputs: what a ``Sequential`` says until told otherwise.
  public static let values = ModelOutput(kind: .values)
}

/// The preprocessing fitted on the training data, applied to raw inputs before the model: a CSV
/// file's cells become numbers by the ``encoding`` (when present; ``TableEncoding/encode(_:path:)``),
/// then `x·scale`, then `(x − mean)/deviation` per input when a standardization is present
/// (``apply(to:featureCount:name:)``, on the encoded numbers).
public struct Preprocessing: Codable, Sendable, Hashable {
  /// The feature columns by name, in order (a CSV file's header without the label), when known.
  public var featureNames: [String]?
  /// How a CSV file's feature columns become the model's inputs; nil when the inputs are the
  /// columns' numbers as they are (IDX images, models written before encodings existed).
  public var encoding: TableEncoding?
  /// A factor applied first (1/255 for 8-bit pixels).
  public var scale: Float
  public var standardization: Standardization?

  public init(
    featureNames: [String]? = nil, encoding: TableEncoding? = nil, scale: Float = 1,
    standardization: Standardization? = nil
  ) {
    self.featureNames = featureNames
    self.encoding = encoding
    self.scale = scale
    self.standardization = standardization
  }

  /// No preprocessing.
  public static let none = Preprocessing()

  /// Applies the preprocessing to row-major `features` rows of `featureCount` values, in place.
  /// - Throws: ``DataError/inconsistent(_:)`` naming `name` when the standardization has another width.
  public func apply(to features: inout [Float], featureCount: Int, name: String = "the data") throws {
    if let standardization, standardization.means.count != featureCount {
      throw DataError.inconsistent(
        "\(name): \(featureCount) features, the standardization has \(standardization.means.count)")
    }
    if scale != 1 { for i in features.indices { features[i] *= scale } }
    standardization?.standardize(&features)
  }

  /// `dataset` with the preprocessing applied to its features.
  public func apply(to dataset: Dataset) throws -> Dataset {
    var features = dataset.features
    try apply(to: &features, featureCount: dataset.featureCount, name: dataset.name)
    return try Dataset(
      features: features, featureCount: dataset.featureCount, targets: dataset.targets,
      targetWidth: dataset.targetWidth, name: dataset.name)
  }

  /// Throws naming `place` unless every part fits `inputFeatures` inputs and is finite.
  func validate(inputFeatures: Int, place: String) throws {
    func fail(_ detail: String) -> DataError { .inconsistent("\(place): preprocessing \(detail)") }
    guard scale.isFinite, scale != 0 else { throw fail("scale is \(scale), expected a finite non-zero factor") }
    if let encoding {
      try encoding.validate(place: place)
      guard encoding.width == inputFeatures else {
        throw fail("encodes \(encoding.width) inputs, the model takes \(inputFeatures)")
      }
    }
    let columns = encoding?.columns.count ?? inputFeatures
    if let names = featureNames, names.count != columns {
      throw fail("names \(names.count) feature columns, expected \(columns)")
    }
    if let standardization {
      guard standardization.means.count == inputFeatures, standardization.deviations.count == inputFeatures else {
        throw fail(
          "has \(standardization.means.count) means and \(standardization.deviations.count) deviations, the model "
            + "takes \(inputFeatures) features"
        )
      }
      guard standardization.means.allSatisfy(\.isFinite),
        standardization.deviations.allSatisfy({ $0.isFinite && $0 > 0 })
      else {
        throw fail("needs finite means and finite positive deviations")
      }
    }
  }
}
