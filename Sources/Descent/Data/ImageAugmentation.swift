/// Random changes to training images, drawn fresh for every sample in every epoch: shifts by up to
/// `maxShift` pixels on each axis (uncovered pixels become 0), horizontal flips with probability
/// 1/2, and Gaussian noise. Shifts and flips come from the Philox stream of `(seed, epoch)` at the
/// sample's index and run on the host while the device trains; noise is drawn on the device from
/// the stream of the training step. So a seed gives the same augmented batches on every backend
/// and after a resume.
public struct ImageAugmentation: Sendable, Hashable, Codable {
  public var width: Int
  public var height: Int
  public var maxShift: Int
  public var horizontalFlip: Bool
  /// The standard deviation of the added noise, in feature units (0: none).
  public var noiseDeviation: Float

  /// - Throws: ``ConfigurationError`` for a non-positive size, a negative shift or shift as large
  ///   as the image, or a negative noise deviation.
  public init(
    width: Int, height: Int, maxShift: Int = 0, horizontalFlip: Bool = false,
    noiseDeviation: Float = 0
  ) throws {
    try ConfigurationError.require(width >= 1 && height >= 1, "image size", "\(width)x\(height)", ">= 1x1")
    try ConfigurationError.require(
      maxShift >= 0 && maxShift < min(width, height), "maxShift", maxShift,
      "[0, \(min(width, height)))")
    try ConfigurationError.require(noiseDeviation >= 0 && noiseDeviation.isFinite, "noise", noiseDeviation, ">= 0")
    self.width = width
    self.height = height
    self.maxShift = maxShift
    self.horizontalFlip = horizontalFlip
    self.noiseDeviation = noiseDeviation
  }

  /// Whether shifts or flips are on (noise is applied separately, on the device).
  var movesPixels: Bool { maxShift > 0 || horizontalFlip }

  /// Shifts and flips each image of `batch` (`rows × width·height`) in place; row `r` is sample
  /// `samples[r]` of the data set.
  func transform(_ batch: inout [Float], samples: [Int], seed: UInt64, epoch: Int) {
    guard movesPixels else { return }
    let key = RandomKey(seed: seed, stream: 0xA5 << 56 | UInt64(epoch))
    let size = width * height, span = UInt32(2 * maxShift + 1)
    batch.withUnsafeMutableBufferPointer { pixels in
      let pixels = UncheckedSendable(pixels)  // each task writes only its own rows
      Parallel.all.chunks(samples.count, minimumChunk: 16) { rows in
        var image = [Float](repeating: 0, count: size)
        for row in rows {
          let words = Philox.block(index: UInt64(samples[row]), key: key)
          let dx = maxShift > 0 ? Int(words[0] % span) - maxShift : 0
          let dy = maxShift > 0 ? Int(words[1] % span) - maxShift : 0
          let flip = horizontalFlip && words[2] & 1 == 1
          let base = pixels.value.baseAddress! + row * size
          for i in 0..<size { image[i] = base[i] }
          for y in 0..<height {
            for x in 0..<width {
              let sourceX = (flip ? width - 1 - x : x) - dx, sourceY = y - dy
              let inside = sourceX >= 0 && sourceX < width && sourceY >= 0 && sourceY < height
              base[y * width + x] = inside ? image[sourceY * width + sourceX] : 0
            }
          }
        }
      }
    }
  }
}
