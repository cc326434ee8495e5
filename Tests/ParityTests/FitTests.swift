import Descent
import Foundation
import Testing

/// `fit`, `evaluate`, `predict` and checkpoints, on every backend.
@Suite struct FitTests {
  static let backends: [any Backend] = [TestBackends.cpu] + TestBackends.openCLSuites

  /// 6×6 "images" in 4 classes: class c adds 0.4·c to every pixel of uniform noise on [0, 0.3],
  /// so shifts and flips keep the class.
  static func toyImages(rows: Int, seed: UInt64) throws -> Dataset {
    let noise = Inputs.uniform(rows * 36, seed: seed, in: 0...0.5)
    var features: [Float] = [], labels: [Float] = []
    for row in 0..<rows {
      let label = row % 4
      features += (0..<36).map { noise[row * 36 + $0] * 0.6 + 0.4 * Float(label) }
      labels.append(Float(label))
    }
    return try Dataset(features: features, featureCount: 36, targets: labels, name: "toy images")
  }

  static func trainer(on backend: any Backend) throws -> Trainer {
    let model = try Sequential(inputFeatures: 36, backend: backend, seed: 21) {
      try Dense(16, activation: .relu, initializer: .heUniform)
      try Dropout(0.25)
      try Dense(4)
    }
    return try Trainer(
      model: model, loss: .softmaxCrossEntropy, optimizer: Adam(learningRate: 0.01),
      schedule: .cosine(period: 4), reduceOnPlateau: ReduceLROnPlateau(factor: 0.5, patience: 0),
      earlyStopping: try EarlyStopping(monitor: "loss", patience: 10, restoreBestWeights: true),
      metrics: [.accuracy, .topKAccuracy(2)])
  }

  /// 4 epochs equal 2 epochs + save + load into a fresh model + 2 epochs, bit for bit: shuffles,
  /// dropout, augmentation (shifts, flips, noise), optimizer state, schedule, plateau and early
  /// stopping all continue exactly.
  @Test func resumingContinuesBitForBit() throws {
    let train = try Self.toyImages(rows: 400, seed: 1), validation = try Self.toyImages(rows: 40, seed: 2)
    let augmentation = try ImageAugmentation(
      width: 6, height: 6, maxShift: 1, horizontalFlip: true, noiseDeviation: 0.05)
    for backend in Self.backends {
      let straight = try Self.trainer(on: backend)
      try straight.fit(
        train, validation: validation, epochs: 4, batchSize: 32, augmentation: augmentation, progress: .silent)

      let path = NSTemporaryDirectory() + "descent-resume-\(UUID().uuidString).safetensors"
      defer { try? FileManager.default.removeItem(atPath: path) }
      let first = try Self.trainer(on: backend)
      try first.fit(
        train, validation: validation, epochs: 2, batchSize: 32, augmentation: augmentation,
        callbacks: [.checkpoint(path: path)], progress: .silent)
      let resumed = try Self.trainer(on: backend)
      try resumed.restoreCheckpoint(from: path)
      #expect(resumed.epoch == 2 && resumed.step == first.step)
      try resumed.fit(
        train, validation: validation, epochs: 4, batchSize: 32, augmentation: augmentation, progress: .silent)

      let expected = try straight.model.weights().map { $0.map(\.bitPattern) }
      #expect(try resumed.model.weights().map { $0.map(\.bitPattern) } == expected, "\(backend.name): weights differ")
      let losses = { (t: Trainer) in t.history.epochs.map { [$0.loss, $0.validationLoss ?? .nan, $0.learningRate] } }
      #expect(losses(resumed) == losses(straight), "\(backend.name): histories differ")
      #expect(resumed.history.epochs.map(\.metrics) == straight.history.epochs.map(\.metrics))
      let trainingLosses = straight.history.epochs.map(\.loss)
      #expect(
        trainingLosses.last! < trainingLosses.first! * 0.9, "\(backend.name): the run must learn: \(trainingLosses)")
    }
  }

  /// `fit` visits epoch e's rows in `BatchOrder.permutation(rows, seed: model seed, epoch: e)`
  /// order, batch by batch: the same steps taken by hand give its weights bit for bit (a `fit` that
  /// reused the first epoch's order, or did not shuffle, fails).
  @Test func eachEpochVisitsTheRowsInItsOwnShuffledOrder() throws {
    let data = try Self.toyImages(rows: 70, seed: 4)
    func trainer() throws -> Trainer {
      let model = try Sequential(inputFeatures: 36, backend: TestBackends.cpu, seed: 33) {
        try Dense(8, activation: .tanh)
        try Dense(4)
      }
      return try Trainer(model: model, loss: .softmaxCrossEntropy, optimizer: SGD(learningRate: 0.1, momentum: 0.5))
    }
    let fitted = try trainer()
    try fitted.fit(data, epochs: 3, batchSize: 16, progress: .silent)
    let byHand = try trainer()
    let backend = TestBackends.cpu
    for epoch in 0..<3 {
      let order = BatchOrder.permutation(data.rows, seed: 33, epoch: UInt64(epoch))
      for start in stride(from: 0, to: data.rows, by: 16) {
        let rows = Array(order[start..<min(start + 16, data.rows)])
        let inputs = rows.flatMap { data.features[$0 * 36..<($0 + 1) * 36] }
        let targets = rows.map { data.targets[$0] }
        try byHand.trainStep(inputs: try backend.buffer(inputs), targets: try backend.buffer(targets), rows: rows.count)
      }
    }
    let expected = try byHand.model.weights().map { $0.map(\.bitPattern) }
    #expect(try fitted.model.weights().map { $0.map(\.bitPattern) } == expected)
    #expect(
      BatchOrder.permutation(data.rows, seed: 33, epoch: 0) != BatchOrder.permutation(data.rows, seed: 33, epoch: 1))
  }

  /// Early stopping with `restoreBestWeights` leaves the weights of the best epoch: bit for bit
  /// those of a run stopped there. The validation labels are shifted by one class, so the better
  /// the model fits the training rows, the worse its validation loss (a fit that kept the last
  /// epoch's weights fails).
  @Test func earlyStoppingRestoresTheBestEpochsWeights() throws {
    let train = try Self.toyImages(rows: 200, seed: 6), clean = try Self.toyImages(rows: 40, seed: 7)
    let shifted = try Dataset(
      features: clean.features, featureCount: 36, targets: clean.targets.map { Float((Int($0) + 1) % 4) },
      name: "shifted labels")
    func trainer(stopping: EarlyStopping?) throws -> Trainer {
      let model = try Sequential(inputFeatures: 36, backend: TestBackends.cpu, seed: 8) {
        try Dense(8, activation: .relu)
        try Dense(4)
      }
      return try Trainer(
        model: model, loss: .softmaxCrossEntropy, optimizer: Adam(learningRate: 0.02), earlyStopping: stopping)
    }
    let stopping = try EarlyStopping(monitor: "validation loss", patience: 2, restoreBestWeights: true)
    let stopped = try trainer(stopping: stopping)
    try stopped.fit(train, validation: shifted, epochs: 20, batchSize: 16, progress: .silent)
    let best = try #require(stopped.earlyStopping?.bestEpoch)
    let epochs = stopped.history.epochs.count
    #expect(epochs == best + 3 && epochs < 20, "stopped after \(epochs) epochs, best \(best + 1)")
    let reference = try trainer(stopping: nil)
    try reference.fit(train, validation: shifted, epochs: best + 1, batchSize: 16, progress: .silent)
    let expected = try reference.model.weights().map { $0.map(\.bitPattern) }
    #expect(try stopped.model.weights().map { $0.map(\.bitPattern) } == expected)
  }

  /// Finite inputs too large for float32 arithmetic (3e38: the first layer's products overflow)
  /// make that batch's loss non-finite: fit stops naming epoch and batch, and the weights are those
  /// after the batches before it. (Invalid labels no longer get this far: they are named first.)
  @Test func aNonFiniteLossStopsWithTheLastGoodWeights() throws {
    let clean = try Self.toyImages(rows: 96, seed: 3)
    var features = clean.features
    for column in 0..<36 { features[70 * 36 + column] = 3e38 }  // batch 3 of 32 rows, without shuffling
    let broken = try Dataset(features: features, featureCount: 36, targets: clean.targets, name: "broken")
    for backend in Self.backends {
      let trainer = try Self.trainer(on: backend)
      #expect {
        try trainer.fit(broken, epochs: 1, batchSize: 32, shuffle: false, progress: .silent)
      } throws: { error in
        guard case let TrainingError.nonFiniteLoss(epoch, batch, value) = error else { return false }
        return epoch == 1 && batch == 3 && !value.isFinite
      }
      let reference = try Self.trainer(on: backend)
      try reference.fit(clean.subset(0..<64), epochs: 1, batchSize: 32, shuffle: false, progress: .silent)
      #expect(
        try trainer.model.weights() == reference.model.weights(), "\(backend.name): weights moved past the bad batch")
    }
  }

  @Test func nonFiniteInputsAreReportedBeforeTraining() throws {
    var features = try Self.toyImages(rows: 8, seed: 4).features
    features[5 * 36 + 7] = .infinity
    let data = try Dataset(features: features, featureCount: 36, targets: (0..<8).map { Float($0 % 4) }, name: "toy")
    let trainer = try Self.trainer(on: TestBackends.cpu)
    #expect(throws: DataError.nonFinite(source: "toy features", row: 5, column: 7, value: .infinity)) {
      try trainer.fit(data, epochs: 1, progress: .silent)
    }
    #expect(trainer.step == 0)
  }

  @Test func evaluateAndPredictAgree() throws {
    let data = try Self.toyImages(rows: 100, seed: 5)
    for backend in Self.backends {
      let trainer = try Self.trainer(on: backend)
      try trainer.fit(data, epochs: 2, batchSize: 16, progress: .silent)
      let outputs = try trainer.predict(data, batchSize: 7)
      let correct = (0..<data.rows).filter { row in
        let logits = outputs[row * 4..<row * 4 + 4]
        return logits.firstIndex(of: logits.max()!)! - row * 4 == Int(data.targets[row])
      }.count
      let result = try trainer.evaluate(data, batchSize: 33)
      #expect(abs(result.metrics["accuracy"]! - Double(correct) / Double(data.rows)) < 1e-9, "\(backend.name)")
      #expect(result.metrics["top-2 accuracy"]! >= result.metrics["accuracy"]!)
    }
  }

  /// Train → save → load on the same backend → predict equals the in-memory model bit for bit, with
  /// the preprocessing applied from the file; loaded on the CPU, the outputs agree to float32 GEMM
  /// rounding (1e-5 of the largest logit).
  @Test func savedModelsPredictBitForBitOnEveryBackend() throws {
    let data = try Self.toyImages(rows: 64, seed: 6)
    let raw = data.features.map { $0 * 255 }
    for backend in Self.backends {
      let trainer = try Self.trainer(on: backend)
      try trainer.fit(data, epochs: 2, batchSize: 16, progress: .silent)
      let model = trainer.model
      (model.output, model.preprocessing) = (ModelOutput(kind: .classes), Preprocessing(scale: 1 / 255))
      let path = NSTemporaryDirectory() + "descent-fit-model-\(UUID().uuidString).safetensors"
      defer { unlink(path) }
      try model.save(to: path)
      let expected = try model.predict(raw: raw, rows: data.rows)
      let loaded = try Sequential.load(contentsOf: path, backend: backend)
      #expect(try loaded.predict(raw: raw, rows: data.rows) == expected, "\(backend.name)")
      let onCPU = try Sequential.load(contentsOf: path, backend: TestBackends.cpu).predict(raw: raw, rows: data.rows)
      let scale = expected.map(abs).max()!
      #expect(zip(onCPU, expected).allSatisfy { abs($0 - $1) <= 1e-5 * scale }, "\(backend.name) vs the CPU")
    }
  }

  /// Regression metrics against the same quantities computed on the host from `predict`.
  @Test func regressionMetricsMatchTheirDefinitions() throws {
    let x = Inputs.uniform(60 * 3, seed: 6), noise = Inputs.uniform(60 * 2, seed: 7, in: -0.1...0.1)
    var y: [Float] = []
    for r in 0..<60 {
      y.append(x[3 * r] - 2 * x[3 * r + 1] + noise[2 * r])
      y.append(x[3 * r + 2] * 0.5 + noise[2 * r + 1])
    }
    let data = try Dataset(features: x, featureCount: 3, targets: y, targetWidth: 2, name: "regression")
    let targets = y.doubles
    for backend in Self.backends {
      let model = try Sequential(
        [try Dense(8, activation: .tanh), try Dense(2)], inputFeatures: 3, backend: backend, seed: 2)
      let trainer = try Trainer(
        model: model, loss: .meanSquaredError, optimizer: Adam(learningRate: 0.02),
        metrics: [.meanSquaredError, .meanAbsoluteError])
      try trainer.fit(data, epochs: 3, batchSize: 16, progress: .silent)
      let predictions = try trainer.predict(data).doubles
      let errors: [Double] = zip(predictions, targets).map { $0 - $1 }
      let result = try trainer.evaluate(data, batchSize: 25)
      let mse = errors.map { $0 * $0 }.reduce(0, +) / Double(errors.count)
      let mae = errors.map { abs($0) }.reduce(0, +) / Double(errors.count)
      // Sums of 120 float32 terms: far inside 1e-5 relative.
      #expect(abs(result.metrics["mse"]! - mse) <= 1e-5 * mse, "\(backend.name): mse \(result.metrics), host \(mse)")
      #expect(abs(result.metrics["mae"]! - mae) <= 1e-5 * mae, "\(backend.name): mae \(result.metrics), host \(mae)")
      #expect(abs(result.loss - mse) <= 1e-5 * mse, "without penalties the loss is the mse")
    }
  }

  /// Fashion-MNIST's test file split in two (2 000 rows to train, 1 000 to test), or generated
  /// images in its format when the package is absent outside CI.
  static func fashionSubset() throws -> (train: Dataset, test: Dataset)? {
    let directory: String
    if FileManager.default.fileExists(atPath: FashionMNIST.defaultDirectory + "/t10k-images-idx3-ubyte.gz") {
      directory = FashionMNIST.defaultDirectory
    } else if TestBackends.requireOpenCL {
      return nil  // CI installs the package; its absence fails the test below
    } else {
      directory = try SyntheticFashion.write()
    }
    let all = try FashionMNIST.load(.test, directory: directory)
    // The name says which data it is, so a run without the package never reads as Fashion-MNIST's.
    let name =
      directory == FashionMNIST.defaultDirectory
      ? "Fashion-MNIST subset"
      : "synthetic bars in Fashion-MNIST's format (dataset-fashion-mnist is not installed)"
    return (all.subset(0..<2000, name: name), all.subset(2000..<3000, name: name + ", test rows"))
  }

  /// 5 epochs of a 784-64-10 MLP with dropout on 2 000 images: ≥ 75% on 1 000 others on every
  /// backend (a model that does not learn scores ~10%).
  @Test func shortFashionMNISTRunLearnsOnEveryBackend() throws {
    let subset = try Self.fashionSubset()
    try #require(subset != nil, "CI=true but Fashion-MNIST is not installed (dataset-fashion-mnist)")
    let (train, test) = subset!
    for backend in Self.backends {
      let model = try Sequential(inputFeatures: 784, backend: backend, seed: 1) {
        try Dense(64, activation: .relu, initializer: .heUniform)
        try Dropout(0.2)
        try Dense(10)
      }
      let trainer = try Trainer(model: model, loss: .softmaxCrossEntropy, optimizer: Adam(), metrics: [.accuracy])
      try trainer.fit(train, epochs: 5, batchSize: 64, progress: .silent)
      let accuracy = try trainer.evaluate(test).metrics["accuracy"]!
      print("\(train.name) on \(backend.name): test accuracy \(accuracy)")
      #expect(accuracy >= 0.75, "\(backend.name): test accuracy \(accuracy)")
    }
  }
}

/// Fashion-MNIST-shaped IDX files for machines without the package: class c is a bright bar at
/// row 2c + 4 with noise, so a model can learn it.
enum SyntheticFashion {
  static func write() throws -> String {
    let folder = NSTemporaryDirectory() + "descent-synthetic-fashion"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let count = 3000
    let noise = Inputs.uniform(count * 784, seed: 8, in: 0...100)
    var images: [UInt8] = [], labels: [UInt8] = []
    for image in 0..<count {
      let label = image % 10
      images += (0..<784).map { UInt8(min(255, noise[image * 784 + $0] + ($0 / 28 == 2 * label + 4 ? 150 : 0))) }
      labels.append(UInt8(label))
    }
    try IDXFile.write(images, dimensions: [count, 28, 28], to: "\(folder)/t10k-images-idx3-ubyte")
    try IDXFile.write(labels, dimensions: [count], to: "\(folder)/t10k-labels-idx1-ubyte")
    return folder
  }
}
