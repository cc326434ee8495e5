extension Sequential {
  /// How many rows ``predict(_:rows:batchSize:)`` runs through the model at once unless told:
  /// enough to keep the cores' GEMMs efficient, few enough that a pass's activations (1 MiB for a
  /// 256-wide layer) stay in cache and memory stays bounded for any number of rows.
  public static let predictionBatchSize = 1024

  /// The model's outputs for `inputs` (`rows × inputFeatures` values, row-major, preprocessed as
  /// for `fit`), in inference mode: `rows × outputFeatures` values. Runs `batchSize` rows per
  /// forward pass, through input buffers the model keeps between calls (one pass at a time per
  /// model). A row's outputs do not depend on the other rows, but may differ in the last bits
  /// with the number of rows in its pass (the backends sum products in blocks of that size).
  /// - Throws: ``ModelError/shapeMismatch(_:)`` unless `inputs` holds `rows` rows,
  ///   ``ConfigurationError`` for `batchSize < 1`.
  public func predict(_ inputs: [Float], rows: Int, batchSize: Int = predictionBatchSize) throws -> [Float] {
    try predict(inputs, rows: rows, batchSize: batchSize, preprocessing: nil)
  }

  /// The outputs for raw inputs (as the data files hold them, `rows × inputFeatures`): applies
  /// ``preprocessing`` to each pass's rows, then runs them as ``predict(_:rows:batchSize:)`` does.
  /// - Throws: as ``predict(_:rows:batchSize:)``, and ``DataError`` for preprocessing of another width.
  public func predict(raw inputs: [Float], rows: Int, batchSize: Int = predictionBatchSize) throws -> [Float] {
    try predict(inputs, rows: rows, batchSize: batchSize, preprocessing: preprocessing)
  }

  private func predict(_ inputs: [Float], rows: Int, batchSize: Int, preprocessing: Preprocessing?) throws -> [Float] {
    try Self.inPasses(
      inputs, rows: rows, features: inputFeatures, outputs: outputFeatures, batchSize: batchSize,
      preprocessing: preprocessing
    ) { pass, passRows in
      // One pass at a time on this model: the input buffer and every layer's outputs are shared.
      try passes.withLock {
        let buffer = try inputBuffers.buffer("inputs", pass.count)
        try backend.upload(pass, to: buffer)
        return try backend.download(try forward(buffer, rows: passRows))
      }
    }
  }

  /// Checks that `inputs` holds `rows` rows of `features`, then hands `run` them `batchSize` rows
  /// at a time (each pass preprocessed first when `preprocessing` is given) and joins its
  /// outputs (`outputs` per row): the batching of ``predict(_:rows:batchSize:)`` and of
  /// ``Ensemble``'s predictions.
  static func inPasses(
    _ inputs: [Float], rows: Int, features: Int, outputs width: Int, batchSize: Int, preprocessing: Preprocessing?,
    _ run: (_ pass: [Float], _ rows: Int) throws -> [Float]
  ) throws -> [Float] {
    try ConfigurationError.require(batchSize >= 1, "batchSize", batchSize, ">= 1")
    let (count, overflow) = rows.multipliedReportingOverflow(by: features)
    guard rows >= 0, !overflow, inputs.count == count else {
      throw ModelError.shapeMismatch(
        "the input has \(inputs.count) values, \(rows) rows of \(features) features need "
          + "\(overflow ? "more" : "\(count)")"
      )
    }
    var outputs: [Float] = []
    outputs.reserveCapacity(rows * width)
    var pass: [Float] = []
    for start in stride(from: 0, to: rows, by: batchSize) {
      let passRows = min(batchSize, rows - start)
      pass.removeAll(keepingCapacity: true)
      pass.append(contentsOf: inputs[start * features..<(start + passRows) * features])
      try preprocessing?.apply(to: &pass, featureCount: features, name: "the raw inputs")
      outputs += try run(pass, passRows)
    }
    return outputs
  }
}
