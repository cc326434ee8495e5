import Foundation

/// The trainer's counters and callback states, saved as JSON in a checkpoint's metadata.
struct TrainerState: Codable {
  var format = "descent-checkpoint-1"
  var step: Int
  var epoch: Int
  var plateauFactor: Double
  var reduceOnPlateau: ReduceLROnPlateau?
  var earlyStopping: EarlyStopping?
  var history: History
  var seed: UInt64
  var optimizer: String
  var loss: Loss
}

extension Trainer {
  /// Saves everything a run needs to continue exactly: the weights (named `"0.weight"`, `"0.bias"`,
  /// … with Dense weights stored `inputs × units`, the layout of Keras and Flax; PyTorch's
  /// `nn.Linear` wants the transpose), the optimizer state (`"optimizer.0.weight.0"`, …), the best
  /// weights early stopping keeps (`"best.…"`), and as metadata the step and epoch counters (which
  /// fix every shuffle, dropout mask and noise draw to come), schedule and callback states and the
  /// history. Written atomically: a run killed at any moment leaves the previous file intact.
  public func saveCheckpoint(to path: String) throws {
    var tensors: [(name: String, tensor: SafeTensors.Tensor)] = []
    for (index, (name, parameter)) in model.namedParameters.enumerated() {
      tensors.append((name, .init(shape: parameter.shape, values: try backend.download(parameter.value))))
      for (slot, buffer) in state[index].enumerated() {
        tensors.append(("optimizer.\(name).\(slot)", .init(shape: parameter.shape, values: try backend.download(buffer))))
      }
      if let bestWeights {
        tensors.append(("best.\(name)", .init(shape: parameter.shape, values: bestWeights[index])))
      }
    }
    let trainerState = TrainerState(step: step, epoch: epoch, plateauFactor: plateauFactor,
                                    reduceOnPlateau: reduceOnPlateau, earlyStopping: earlyStopping, history: history,
                                    seed: model.seed, optimizer: "\(optimizer)", loss: loss)
    let json = String(decoding: try JSONEncoder().encode(trainerState), as: UTF8.self)
    try SafeTensors.write(tensors, metadata: ["descent.trainer": json], to: path)
  }

  /// Loads a checkpoint saved by ``saveCheckpoint(to:)`` for the same architecture, so the next
  /// `fit` continues where that run stopped. Throws naming the first tensor that is missing or
  /// has another shape, or a checkpoint made with another seed, loss or optimizer.
  public func restoreCheckpoint(from path: String) throws {
    let (tensors, metadata) = try SafeTensors.read(path)
    guard let json = metadata["descent.trainer"],
          let saved = try? JSONDecoder().decode(TrainerState.self, from: Data(json.utf8)) else {
      throw DataError.inconsistent("\(path): not a Descent checkpoint (no descent.trainer metadata)")
    }
    for (what, mine, theirs) in [("seed", "\(model.seed)", "\(saved.seed)"), ("optimizer", "\(optimizer)", saved.optimizer),
                                 ("loss", loss.rawValue, saved.loss.rawValue)] where mine != theirs {
      throw DataError.inconsistent("\(path): the checkpoint's \(what) is \(theirs), this trainer's is \(mine)")
    }
    func tensor(_ name: String, _ shape: [Int]) throws -> [Float] {
      guard let tensor = tensors[name] else { throw DataError.inconsistent("\(path): no tensor \"\(name)\" \(shape)") }
      guard tensor.shape == shape else {
        throw DataError.inconsistent("\(path): tensor \"\(name)\" has shape \(tensor.shape), the model needs \(shape)")
      }
      return tensor.values
    }
    var best: [[Float]] = []
    for (index, (name, parameter)) in model.namedParameters.enumerated() {
      try backend.upload(try tensor(name, parameter.shape), to: parameter.value)
      for (slot, buffer) in state[index].enumerated() {
        try backend.upload(try tensor("optimizer.\(name).\(slot)", parameter.shape), to: buffer)
      }
      if tensors["best.\(name)"] != nil { best.append(try tensor("best.\(name)", parameter.shape)) }
    }
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
