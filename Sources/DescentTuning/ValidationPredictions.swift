import Descent
import Foundation

/// A trial's predictions on the validation rows, with the rows' targets: what ensemble selection
/// compares trials by. With cross-validation, the folds' validation rows one fold after another
/// (out-of-fold predictions), in the same order for every trial of a study. Kept with the trial as
/// its artifact ``artifactName`` (a safetensors file: tensors `values` and `targets`, metadata
/// `kind`).
public struct ValidationPredictions: Sendable, Equatable {
  /// The artifact name a trial keeps these under.
  public static let artifactName = "validation"

  /// What `values` hold: class probabilities (``ModelOutput/Kind/classes``) or predicted values.
  public var kind: ModelOutput.Kind
  public var width: Int
  /// Class indices, one per row (classes), or `rows × width` values.
  public var targets: [Float]
  /// `rows × width`, row-major.
  public var values: [Float]

  public var rows: Int { values.count / width }

  /// - Throws: ``DataError`` for a width below 1 or 2 for classes, values that are not whole
  ///   rows, targets of another count, or a non-finite value.
  public init(kind: ModelOutput.Kind, width: Int, targets: [Float], values: [Float]) throws {
    func fail(_ detail: String) -> DataError { .inconsistent("validation predictions: \(detail)") }
    guard width >= (kind == .classes ? 2 : 1) else { throw fail("width \(width) is too small for \(kind)") }
    guard !values.isEmpty, values.count % width == 0 else {
      throw fail("\(values.count) values do not make whole rows of \(width)")
    }
    let expected = kind == .classes ? values.count / width : values.count
    guard targets.count == expected else { throw fail("\(targets.count) targets for \(expected) expected") }
    if let bad = values.firstIndex(where: { !$0.isFinite }) { throw fail("value \(bad) is \(values[bad])") }
    (self.kind, self.width, self.targets, self.values) = (kind, width, targets, values)
  }

  /// The predictions of `models` (`models[i]` trained on `folds[i].train`) on their folds'
  /// validation rows, one fold after another: probabilities for classifiers.
  /// - Throws: as ``Sequential/predict(_:rows:batchSize:)``, and for a model that predicted a
  ///   non-finite value.
  public init(models: [Sequential], folds: [Fold]) throws {
    guard let first = models.first, models.count == folds.count else {
      throw DataError.inconsistent("validation predictions: \(models.count) models for \(folds.count) folds")
    }
    var (targets, values) = ([Float](), [Float]())
    for (model, fold) in zip(models, folds) {
      let outputs = try model.predict(fold.validation.features, rows: fold.validation.rows)
      values += first.output.kind == .classes ? model.probabilities(outputs) : outputs
      targets += fold.validation.targets
    }
    try self.init(kind: first.output.kind, width: first.outputFeatures, targets: targets, values: values)
  }

  /// The artifact's bytes.
  public func encoded() throws -> [UInt8] {
    try SafeTensors.encode(
      [
        ("values", SafeTensors.Tensor(shape: [rows, width], values: values)),
        ("targets", SafeTensors.Tensor(shape: [targets.count], values: targets)),
      ], metadata: ["kind": kind.rawValue])
  }

  /// Reads ``encoded()``'s bytes; `name` names them in errors.
  /// - Throws: ``DataError`` naming `name` and what is wrong.
  public init(decoding bytes: [UInt8], name: String) throws {
    let (tensors, metadata) = try SafeTensors.decode(bytes, path: name)
    guard let kind = metadata["kind"].flatMap(ModelOutput.Kind.init), let values = tensors["values"],
      let targets = tensors["targets"], values.shape.count == 2
    else {
      throw DataError.inconsistent("\(name): not validation predictions (kind, values [rows, width], targets)")
    }
    do {
      try self.init(kind: kind, width: values.shape[1], targets: targets.values, values: values.values)
    } catch let error as DataError {
      throw DataError.inconsistent("\(name): \(error)")
    }
  }
}

extension Trial {
  /// Keeps what ``StudyEnsemble`` builds ensembles from: each fold's model (artifacts `model.0`,
  /// `model.1`, … , as model files; set their ``Sequential/output`` and
  /// ``Sequential/preprocessing`` first, so they are usable alone) and their predictions on the
  /// folds' validation rows (``ValidationPredictions``). `models[i]` was trained on
  /// `folds[i].train`.
  public func keepForEnsembles(_ models: [Sequential], folds: [Fold]) throws {
    let predictions = try ValidationPredictions(models: models, folds: folds)
    for (index, model) in models.enumerated() { try keep(try model.encoded(), as: "model.\(index)") }
    try keep(try predictions.encoded(), as: ValidationPredictions.artifactName)
  }
}
