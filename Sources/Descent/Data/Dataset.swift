/// Examples in memory on the host: `rows` feature vectors and their targets, row-major.
/// Targets are one class index per row (`targetWidth == 1`, for cross-entropy) or a vector per row.
public struct Dataset: Sendable {
  public private(set) var features: [Float]
  public let featureCount: Int
  public private(set) var targets: [Float]
  public let targetWidth: Int
  /// A name used in error messages: a file or `"Fashion-MNIST train"`.
  public var name: String
  /// Whether every feature and target is finite, measured when the values are set: training
  /// checks its data at every `fit` call (an epoch, for a study's trials), and this makes the
  /// check free after the first.
  private var allValuesFinite: Bool

  /// - Throws: ``DataError/inconsistent(_:)`` when the arrays do not hold the same number of rows.
  public init(
    features: [Float], featureCount: Int, targets: [Float], targetWidth: Int = 1, name: String = "data"
  ) throws {
    guard featureCount >= 1, targetWidth >= 1, features.count % featureCount == 0,
      targets.count % targetWidth == 0, features.count / featureCount == targets.count / targetWidth
    else {
      throw DataError.inconsistent(
        """
        \(name): \(features.count) feature values of width \(featureCount) and \(targets.count) targets of \
        width \(targetWidth) do not make the same number of rows
        """)
    }
    self.features = features
    self.featureCount = featureCount
    self.targets = targets
    self.targetWidth = targetWidth
    self.name = name
    allValuesFinite = Self.allFinite(features) && Self.allFinite(targets)
  }

  public var rows: Int { targets.count / targetWidth }

  /// The rows at `indices`, in that order.
  public func subset(_ indices: some Collection<Int>, name: String? = nil) -> Dataset {
    var features: [Float] = [], targets: [Float] = []
    features.reserveCapacity(indices.count * featureCount)
    targets.reserveCapacity(indices.count * targetWidth)
    for row in indices {
      features += self.features[row * featureCount..<(row + 1) * featureCount]
      targets += self.targets[row * targetWidth..<(row + 1) * targetWidth]
    }
    return try! Dataset(
      features: features, featureCount: featureCount, targets: targets,
      targetWidth: targetWidth, name: name ?? self.name)
  }

  /// A seeded shuffle split: the first part holds `1 − fraction` of the rows, the second `fraction`
  /// (rounded down), for example a validation set.
  public func split(fraction: Double, seed: UInt64) throws -> (Dataset, Dataset) {
    try ConfigurationError.require(fraction >= 0 && fraction < 1, "split fraction", fraction, "[0, 1)")
    let order = BatchOrder.permutation(rows, seed: seed, epoch: UInt64.max)
    let held = Int(Double(rows) * fraction)
    return (subset(order[held...], name: name), subset(order[..<held], name: "\(name) (held out)"))
  }

  /// Multiplies every feature by `factor` (for example 1/255 for 8-bit pixels).
  public mutating func scale(by factor: Float) {
    for i in features.indices { features[i] *= factor }
    allValuesFinite = Self.allFinite(features) && Self.allFinite(targets)
  }

  /// Throws ``DataError/invalidTarget(source:row:value:allowed:)`` for the first target that is not
  /// a whole number in `0..<classes` (checked before training, so a bad label is named instead of
  /// surfacing later as a NaN loss).
  public func checkClassLabels(classes: Int) throws {
    if let i = targets.firstIndex(where: { !($0 >= 0 && $0 < Float(classes) && $0.rounded() == $0) }) {
      throw DataError.invalidTarget(
        source: "\(name) targets", row: i / targetWidth, value: targets[i],
        allowed: "a class index, a whole number from 0 to \(classes - 1)")
    }
  }

  /// Throws ``DataError/invalidTarget(source:row:value:allowed:)`` for the first target outside
  /// [0, 1] (binary cross-entropy's probabilities).
  public func checkProbabilities() throws {
    if let i = targets.firstIndex(where: { !($0 >= 0 && $0 <= 1) }) {
      throw DataError.invalidTarget(
        source: "\(name) targets", row: i / targetWidth, value: targets[i],
        allowed: "a probability in [0, 1]")
    }
  }

  /// Throws ``DataError/nonFinite(source:row:column:value:)`` for the first NaN or infinity in the
  /// features or targets, so bad data is reported before training starts.
  public func checkFinite() throws {
    guard !allValuesFinite else { return }
    if let i = features.firstIndex(where: { !$0.isFinite }) {
      throw DataError.nonFinite(
        source: "\(name) features", row: i / featureCount, column: i % featureCount, value: features[i])
    }
    if let i = targets.firstIndex(where: { !$0.isFinite }) {
      throw DataError.nonFinite(
        source: "\(name) targets", row: i / targetWidth, column: i % targetWidth, value: targets[i])
    }
  }
}

extension Dataset {
  /// Whether every value is finite, 16 at a time: x − x is 0 for a finite x and NaN for an
  /// infinity or a NaN, and a NaN stays NaN through the sums.
  static func allFinite(_ values: [Float]) -> Bool {
    values.withUnsafeBufferPointer { buffer in
      var sum = SIMD16<Float>()
      var index = 0
      if let base = UnsafeRawPointer(buffer.baseAddress) {
        while index + 16 <= buffer.count {
          let lanes = base.loadUnaligned(fromByteOffset: index * 4, as: SIMD16<Float>.self)
          sum += lanes - lanes
          index += 16
        }
      }
      var tail: Float = 0
      for value in buffer[index...] { tail += value - value }
      return sum.sum() + tail == 0
    }
  }
}

/// Per-feature mean and standard deviation, measured on one data set (the training set) and
/// applied to others, so validation and test data are scaled the same way.
public struct Standardization: Sendable, Hashable, Codable {
  public let means: [Float]
  public let deviations: [Float]

  /// Given statistics (for example read from a model file).
  public init(means: [Float], deviations: [Float]) {
    self.means = means
    self.deviations = deviations
  }

  /// Measures `dataset`'s features (in `Double`); a constant feature gets deviation 1.
  public init(fitting dataset: Dataset) {
    let width = dataset.featureCount, rows = max(1, dataset.rows)
    var sums = [Double](repeating: 0, count: width), squares = sums
    for row in 0..<dataset.rows {
      for column in 0..<width {
        let value = Double(dataset.features[row * width + column])
        sums[column] += value
        squares[column] += value * value
      }
    }
    means = sums.map { Float($0 / Double(rows)) }
    deviations = zip(sums, squares).map { sum, square in
      let variance = max(0, square / Double(rows) - (sum / Double(rows)) * (sum / Double(rows)))
      return variance > 0 ? Float(variance.squareRoot()) : 1
    }
  }

  /// `(x − mean) / deviation` in place, for row-major rows of `means.count` values (the caller
  /// checked the width: ``Preprocessing/apply(to:featureCount:name:)``).
  func standardize(_ features: inout [Float]) {
    for i in features.indices {
      let column = i % means.count
      features[i] = (features[i] - means[column]) / deviations[column]
    }
  }

  /// `(x − mean) / deviation`, feature by feature.
  public func apply(to dataset: Dataset) throws -> Dataset {
    try Preprocessing(standardization: self).apply(to: dataset)
  }
}

/// The order rows are visited in: a seeded Fisher–Yates shuffle from Philox, a new one per epoch,
/// computed from `(seed, epoch)` alone so a resumed run visits the same rows.
public enum BatchOrder {
  public static func permutation(_ count: Int, seed: UInt64, epoch: UInt64) -> [Int] {
    var order = Array(0..<count)
    guard count > 1 else { return order }
    let key = RandomKey(seed: seed, stream: epoch)
    for i in stride(from: count - 1, to: 0, by: -1) {
      let block = Philox.block(index: UInt64(i), key: key)
      let random = UInt64(block[0]) << 32 | UInt64(block[1])
      order.swapAt(i, Int(random % UInt64(i + 1)))
    }
    return order
  }
}
