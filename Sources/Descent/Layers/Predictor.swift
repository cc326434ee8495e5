import Foundation

/// What predicting from raw rows needs of a model file: one ``Sequential`` or an ``Ensemble`` of
/// them. `descent predict`, `evaluate` and `export` take either through this.
public protocol Predictor: Sendable {
  /// The raw columns a row holds (before the encoding and standardization).
  var inputFeatures: Int { get }
  var outputFeatures: Int { get }
  /// What the outputs mean.
  var output: ModelOutput { get }
  /// The preprocessing applied to raw rows, as the model file records it.
  var preprocessing: Preprocessing { get }
  /// Whether a classifier's outputs are probabilities already (a softmax layer, an ensemble's
  /// average) rather than logits.
  var outputsProbabilities: Bool { get }
  /// The outputs (`rows × outputFeatures`) for raw rows (`rows × inputFeatures`), `batchSize`
  /// rows per pass.
  func predict(raw inputs: [Float], rows: Int, batchSize: Int) throws -> [Float]
}

extension Sequential: Predictor {
  public var outputsProbabilities: Bool { layers.last is Softmax }
}

extension Predictor {
  /// Class probabilities from this model's `outputs` (`rows × outputFeatures`): a row-wise softmax
  /// of the logits divided by `temperature` (1: as they are), computed in Double and rounded once.
  /// Outputs that are probabilities already are returned as they are at temperature 1, else as
  /// softmax(log p / T), the same distribution (``softmaxRows(_:width:temperature:ofProbabilities:)``).
  public func probabilities(_ outputs: [Float], temperature: Double = 1) -> [Float] {
    guard !outputsProbabilities || temperature != 1 else { return outputs }
    return softmaxRows(outputs, width: outputFeatures, temperature: temperature, ofProbabilities: outputsProbabilities)
  }
}

/// softmax(v / temperature) of each row of `values` (`rows × width`), computed in Double and rounded
/// once, where v are the values themselves (logits) or, `ofProbabilities`, their logs (clamped at
/// the smallest Float above 0): probabilities at another temperature.
package func softmaxRows(
  _ values: [Float], width: Int, temperature: Double = 1, ofProbabilities: Bool = false
)
  -> [Float]
{
  var result = values
  for row in 0..<values.count / width {
    let logits = values[row * width..<(row + 1) * width].map {
      (ofProbabilities ? log(max(Double($0), Double(Float.leastNonzeroMagnitude))) : Double($0)) / temperature
    }
    let top = logits.max() ?? 0
    let exps = logits.map { exp($0 - top) }
    let sum = exps.reduce(0, +)
    for (column, value) in exps.enumerated() { result[row * width + column] = Float(value / sum) }
  }
  return result
}

/// Reading a model file of either kind.
public enum ModelFile {
  /// The model or ensemble in the file at `path` (written by ``Sequential/save(to:)``, `descent
  /// train`, ``Ensemble/save(to:)`` or `descent ensemble`), on `backend`.
  /// - Throws: ``DataError`` naming `path` and what is wrong, as the two loaders do.
  public static func load(contentsOf path: String, backend: any Backend) throws -> any Predictor {
    let (tensors, metadata) = try SafeTensors.read(path)
    if metadata[Ensemble.descriptionKey] != nil {
      return try Ensemble.load(tensors: tensors, metadata: metadata, place: path, backend: backend)
    }
    return try Sequential.load(tensors: tensors, metadata: metadata, place: path, backend: backend)
  }
}
