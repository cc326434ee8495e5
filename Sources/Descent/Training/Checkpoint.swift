import Foundation

/// The names of the tensors a checkpoint adds beside a parameter's (`"0.weight"`): its optimizer
/// state (`"optimizer.0.weight.1"`) and early stopping's best weights (`"best.0.weight"`).
enum CheckpointTensor {
  static func state(of parameter: String, slot: Int) -> String { "optimizer.\(parameter).\(slot)" }
  static func best(of parameter: String) -> String { "best.\(parameter)" }

  /// The parameter a tensor of one of these names belongs to; nil for any other name.
  static func parameter(of name: String) -> String? {
    if name.hasPrefix("best.") { return String(name.dropFirst("best.".count)) }
    guard name.hasPrefix("optimizer."), let dot = name.lastIndex(of: "."), Int(name[name.index(after: dot)...]) != nil
    else { return nil }
    let start = name.index(name.startIndex, offsetBy: "optimizer.".count)
    return start < dot ? String(name[start..<dot]) : nil  // "optimizer.5" names no parameter
  }
}

/// The trainer's counters and callback states, saved as JSON in a checkpoint's metadata.
///
/// Formats: `descent-checkpoint-2` stores the optimizer as ``OptimizerSettings`` (its type and each
/// hyperparameter by name); `descent-checkpoint-1` (before 2026-12-04) stored its description
/// string, which this version still reads.
struct TrainerState: Codable {
  static let format = "descent-checkpoint-2"
  var format = Self.format
  var step: Int
  var epoch: Int
  var plateauFactor: Double
  var reduceOnPlateau: ReduceLROnPlateau?
  var earlyStopping: EarlyStopping?
  var history: History
  var seed: UInt64
  var optimizer: OptimizerSettings
  var loss: Loss

  init(
    step: Int, epoch: Int, plateauFactor: Double, reduceOnPlateau: ReduceLROnPlateau?, earlyStopping: EarlyStopping?,
    history: History, seed: UInt64, optimizer: OptimizerSettings, loss: Loss
  ) {
    (self.step, self.epoch, self.plateauFactor, self.reduceOnPlateau) = (step, epoch, plateauFactor, reduceOnPlateau)
    (self.earlyStopping, self.history, self.seed, self.optimizer, self.loss) =
      (earlyStopping, history, seed, optimizer, loss)
  }

  init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    format = try container.decode(String.self, forKey: .format)
    switch format {
    case Self.format: optimizer = try container.decode(OptimizerSettings.self, forKey: .optimizer)
    case "descent-checkpoint-1":
      let text = try container.decode(String.self, forKey: .optimizer)
      guard let settings = OptimizerSettings(description: text) else {
        throw DecodingError.dataCorruptedError(
          forKey: .optimizer, in: container, debugDescription: "optimizer \"\(text)\" is not Name(key: value, …)")
      }
      optimizer = settings
    default:
      throw DecodingError.dataCorruptedError(
        forKey: .format, in: container,
        debugDescription: "format \"\(format)\", expected \(Self.format) or descent-checkpoint-1")
    }
    step = try container.decode(Int.self, forKey: .step)
    epoch = try container.decode(Int.self, forKey: .epoch)
    plateauFactor = try container.decode(Double.self, forKey: .plateauFactor)
    reduceOnPlateau = try container.decodeIfPresent(ReduceLROnPlateau.self, forKey: .reduceOnPlateau)
    earlyStopping = try container.decodeIfPresent(EarlyStopping.self, forKey: .earlyStopping)
    history = try container.decode(History.self, forKey: .history)
    seed = try container.decode(UInt64.self, forKey: .seed)
    loss = try container.decode(Loss.self, forKey: .loss)
  }
}

extension TrainerState {
  /// The most epochs and steps a checkpoint may record: far past any real run, and small enough
  /// that every counter derived from them (random streams, `epoch + 1`) stays in range.
  static let maxEpochs = 1 << 30, maxSteps = 1 << 48

  /// Throws naming `path` and the field unless the counters are in range and agree with the
  /// history (one record per finished epoch) and the plateau factor is a positive number.
  func validate(_ path: String) throws {
    func fail(_ field: String, _ value: Any, _ allowed: String) -> DataError {
      .inconsistent("\(path): the checkpoint's \(field) is \(value), expected \(allowed)")
    }
    guard (0...Self.maxEpochs).contains(epoch) else { throw fail("epoch", epoch, "0...\(Self.maxEpochs)") }
    guard (0...Self.maxSteps).contains(step) else { throw fail("step", step, "0...\(Self.maxSteps)") }
    guard history.epochs.count == epoch else {
      throw fail("history", "\(history.epochs.count) epochs", "one per finished epoch (\(epoch))")
    }
    guard plateauFactor.isFinite, plateauFactor > 0 else { throw fail("plateau factor", plateauFactor, "a number > 0") }
    if let reduceOnPlateau, !reduceOnPlateau.hasValidState(epochs: epoch) {
      throw fail("ReduceLROnPlateau state", reduceOnPlateau, "counters within its \(epoch) epochs and a finite best")
    }
    if let earlyStopping, !earlyStopping.hasValidState(epochs: epoch) {
      throw fail("EarlyStopping state", earlyStopping, "counters within its \(epoch) epochs and a finite best")
    }
  }
}

extension Trainer {
  /// Saves everything a run needs to continue exactly: the weights (named `"0.weight"`, `"0.bias"`,
  /// … with Dense weights stored `inputs × units`, the layout of Keras and Flax; PyTorch's
  /// `nn.Linear` wants the transpose), the optimizer state (`"optimizer.0.weight.0"`, …), the best
  /// weights early stopping keeps (`"best.…"`), the model's description (so the checkpoint is also
  /// a model file ``Sequential/load(contentsOf:backend:)`` reads), and as metadata the step and epoch counters (which
  /// fix every shuffle, dropout mask and noise draw to come), schedule and callback states and the
  /// history. Written atomically: a run killed at any moment leaves the previous file intact.
  public func saveCheckpoint(to path: String) throws {
    let (tensors, metadata) = try checkpointContents(naming: path)
    try SafeTensors.write(tensors, metadata: metadata, to: path)
  }

  /// The bytes ``saveCheckpoint(to:)`` writes, for a checkpoint kept elsewhere than a file (a
  /// study keeps a paused trial's in its store); ``restoreCheckpoint(bytes:name:)`` reads them.
  /// `name` names the checkpoint in errors.
  public func checkpointBytes(name: String) throws -> [UInt8] {
    let (tensors, metadata) = try checkpointContents(naming: name)
    return try SafeTensors.encode(tensors, metadata: metadata)
  }

  private func checkpointContents(
    naming path: String
  ) throws -> (
    tensors: [(name: String, tensor: SafeTensors.Tensor)], metadata: [String: String]
  ) {
    var tensors: [(name: String, tensor: SafeTensors.Tensor)] = []
    for (index, (name, parameter)) in model.namedParameters.enumerated() {
      tensors.append((name, .init(shape: parameter.shape, values: try backend.download(parameter.value))))
      for (slot, buffer) in state[index].enumerated() {
        tensors.append(
          (
            CheckpointTensor.state(of: name, slot: slot),
            .init(shape: parameter.shape, values: try backend.download(buffer))
          ))
      }
      if let bestWeights {
        tensors.append((CheckpointTensor.best(of: name), .init(shape: parameter.shape, values: bestWeights[index])))
      }
    }
    let trainerState = TrainerState(
      step: step, epoch: epoch, plateauFactor: plateauFactor,
      reduceOnPlateau: reduceOnPlateau, earlyStopping: earlyStopping, history: history,
      seed: model.seed, optimizer: optimizer.settings, loss: loss)
    let json = String(decoding: try JSONEncoder().encode(trainerState), as: UTF8.self)
    var metadata = ["descent.trainer": json]
    // A checkpoint of a model made of Descent's layers is also a model file Sequential.load reads.
    if let description = try? model.descriptionJSON() { metadata[Sequential.descriptionKey] = description }
    // A run whose weights went NaN or infinite (with every loss finite: a ReLU hides a NaN bias)
    // keeps its last good checkpoint: nothing could resume from this one.
    if let bad = tensors.first(where: { $0.tensor.values.contains { !$0.isFinite } }) {
      throw TrainingError.nonFiniteCheckpoint(epoch: epoch, tensor: bad.name, checkpoint: path)
    }
    return (tensors, metadata)
  }

  /// Loads a checkpoint saved by ``saveCheckpoint(to:)`` for the same architecture, so the next
  /// `fit` continues where that run stopped. Throws naming the first tensor that is missing, has
  /// another shape or a value that is not finite, or a checkpoint made with another seed, loss or
  /// optimizer; the trainer is then as it was.
  public func restoreCheckpoint(from path: String) throws {
    try restore(try SafeTensors.read(path), path: path)
  }

  /// Loads a checkpoint from the bytes ``checkpointBytes(name:)`` made, as
  /// ``restoreCheckpoint(from:)`` does from a file; errors name it `name`.
  public func restoreCheckpoint(bytes: [UInt8], name: String) throws {
    try restore(try SafeTensors.decode(bytes, path: name), path: name)
  }

  /// Loads another run's state from checkpoint bytes — its weights, optimizer state (moments,
  /// momentum buffers), step and epoch counters (so its shuffles, dropout masks and noise draws
  /// continue) and history — but keeps this trainer's optimizer settings (learning rate, momentum,
  /// betas, weight decay) and its model's dropout: population-based training's exploit step, whose
  /// perturbed hyperparameters must reach the optimizer rather than be overwritten by the donor's
  /// (Ray Tune's issue 62173). The optimizer must be the same kind (its state has the same slots);
  /// otherwise as ``restoreCheckpoint(bytes:name:)``.
  public func adoptState(fromCheckpoint bytes: [UInt8], name: String) throws {
    try restore(try SafeTensors.decode(bytes, path: name), path: name, keepingSettings: true)
  }

  private func restore(
    _ contents: (tensors: [String: SafeTensors.Tensor], metadata: [String: String]), path: String,
    keepingSettings: Bool = false
  )
    throws
  {
    let (tensors, metadata) = contents
    guard let json = metadata["descent.trainer"] else {
      throw DataError.inconsistent("\(path): not a Descent checkpoint (no descent.trainer metadata)")
    }
    let saved: TrainerState
    do {
      saved = try JSONDecoder().decode(TrainerState.self, from: Data(json.utf8))
    } catch let DecodingError.dataCorrupted(context), let DecodingError.typeMismatch(_, context),
      let DecodingError.valueNotFound(_, context), let DecodingError.keyNotFound(_, context)
    {
      let field = context.codingPath.map(\.stringValue).joined(separator: ".")
      throw DataError.inconsistent(
        "\(path): damaged descent.trainer metadata\(field.isEmpty ? "" : " at \(field)"): \(context.debugDescription)")
    } catch {
      throw DataError.inconsistent("\(path): damaged descent.trainer metadata: \(error)")
    }
    try saved.validate(path)
    for (what, mine, theirs) in [
      ("seed", "\(model.seed)", "\(saved.seed)"), ("loss", loss.rawValue, saved.loss.rawValue),
    ] where mine != theirs {
      throw DataError.inconsistent("\(path): the checkpoint's \(what) is \(theirs), this trainer's is \(mine)")
    }
    if keepingSettings {
      guard saved.optimizer.name == optimizer.settings.name else {
        throw DataError.inconsistent(
          "\(path): the checkpoint's optimizer is \(saved.optimizer.name), this trainer's is \(optimizer.settings.name)"
        )
      }
    } else if let mismatch = optimizer.settings.mismatch(
      saved.optimizer, defaults: type(of: optimizer).defaultSettings)
    {
      throw DataError.inconsistent("\(path): \(mismatch)")
    }
    // Callback settings come from this trainer; the checkpoint only supplies their progress.
    guard reduceOnPlateau?.settings == saved.reduceOnPlateau?.settings,
      earlyStopping?.settings == saved.earlyStopping?.settings
    else {
      throw DataError.inconsistent(
        """
        \(path): the checkpoint's callbacks (ReduceLROnPlateau \(saved.reduceOnPlateau.map { "\($0)" } ?? "none"), \
        EarlyStopping \(saved.earlyStopping.map { "\($0)" } ?? "none")) differ from this trainer's
        """)
    }
    func tensor(_ name: String, _ shape: [Int]) throws -> [Float] {
      guard let tensor = tensors[name] else { throw DataError.inconsistent("\(path): no tensor \"\(name)\" \(shape)") }
      guard tensor.shape == shape else {
        throw DataError.inconsistent("\(path): tensor \"\(name)\" has shape \(tensor.shape), the model needs \(shape)")
      }
      if let index = tensor.values.firstIndex(where: { !$0.isFinite }) {
        throw DataError.inconsistent(
          "\(path): tensor \"\(name)\" holds \(tensor.values[index]) at index \(index): "
            + "a run resumes from finite values")
      }
      return tensor.values
    }
    // Everything is read and checked before the first upload: a refused checkpoint changes nothing.
    var uploads: [(values: [Float], buffer: DeviceBuffer)] = [], best: [[Float]] = []
    for (index, (name, parameter)) in model.namedParameters.enumerated() {
      uploads.append((try tensor(name, parameter.shape), parameter.value))
      for (slot, buffer) in state[index].enumerated() {
        uploads.append((try tensor(CheckpointTensor.state(of: name, slot: slot), parameter.shape), buffer))
      }
      let bestName = CheckpointTensor.best(of: name)
      if tensors[bestName] != nil { best.append(try tensor(bestName, parameter.shape)) }
    }
    for (values, buffer) in uploads { try backend.upload(values, to: buffer) }
    bestWeights = best.count == model.parameters.count ? best : nil
    step = saved.step
    epoch = saved.epoch
    plateauFactor = saved.plateauFactor
    reduceOnPlateau = saved.reduceOnPlateau
    earlyStopping = saved.earlyStopping
    history = saved.history
    try trainingTotals.reset()
  }
}
