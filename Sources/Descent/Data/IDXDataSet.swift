/// An image data set stored as IDX files, as MNIST, Fashion-MNIST, EMNIST and KMNIST ship: image
/// files of `[n, height, width]` (or `[n, features]`) values and label files of `[n]` class indices.
public enum IDXDataSet {
  /// A training or test split, by the file names data sets use for it.
  public enum Split: String, Sendable {
    case train
    case test

    /// The prefixes tried, in order: `train`; `t10k` (MNIST's and Fashion-MNIST's) or `test`.
    var prefixes: [String] { self == .train ? ["train"] : ["t10k", "test"] }
  }

  /// The images or labels file of `split` in `directory`: `<prefix>-images-idx3-ubyte` (labels:
  /// `-labels-idx1-ubyte`), also spelled `<prefix>-images.idx3-ubyte`, each plain or `.gz`.
  /// - Throws: ``DataError/missingDataSet(name:path:hint:)`` listing the names tried.
  public static func locate(_ split: Split, labels: Bool, in directory: String) throws -> String {
    let (kind, rank) = labels ? ("labels", 1) : ("images", 3)
    var tried: [String] = []
    for prefix in split.prefixes {
      for separator in ["-", "."] {
        let name = "\(prefix)-\(kind)\(separator)idx\(rank)-ubyte"
        for candidate in ["\(directory)/\(name).gz", "\(directory)/\(name)"] where FileSystem.exists(candidate) {
          return candidate
        }
        tried.append(name)
      }
    }
    throw DataError.missingDataSet(
      name: "the \(split.rawValue) \(kind) file", path: "\(directory)/{\(tried.joined(separator: ","))}[.gz]",
      hint: "name the file explicitly (--\(split.rawValue)-\(kind) FILE)")
  }

  /// A loaded split: its rows, the images' width and height, whether its values are unsigned bytes.
  public typealias Loaded = (dataset: Dataset, image: (width: Int, height: Int)?, unsignedBytes: Bool)

  /// The images of `images` (raw values, not scaled) paired with the class indices in `labels`;
  /// without a labels file every target is 0 (for prediction). Also returns the image's width and
  /// height (`nil` for `[n, features]` files) and whether the images are unsigned bytes (pixels
  /// in 0...255, which ``FashionMNIST/pixelScale`` maps to [0, 1]).
  /// - Throws: ``DataError`` when the files do not pair up (shapes or row counts).
  public static func load(images: String, labels: String?, name: String) throws -> Loaded {
    let imageFile = try IDXFile(path: images)
    let dims = imageFile.dimensions
    guard dims.count == 2 || dims.count == 3, dims.dropFirst().allSatisfy({ $0 >= 1 }) else {
      throw DataError.inconsistent("\(images): dimensions \(dims), expected [n, height, width] or [n, features] images")
    }
    let featureCount = dims.dropFirst().reduce(1, *)
    var targets = [Float](repeating: 0, count: dims[0])
    if let labels {
      let labelFile = try IDXFile(path: labels)
      guard labelFile.dimensions == [dims[0]] else {
        throw DataError.inconsistent(
          """
          \(labels): dimensions \(labelFile.dimensions) do not pair up with the \(dims[0]) images of \(images) \
          (expected [\(dims[0])])
          """)
      }
      targets = labelFile.values
    }
    let dataset = try Dataset(features: imageFile.values, featureCount: featureCount, targets: targets, name: name)
    return (dataset, dims.count == 3 ? (width: dims[2], height: dims[1]) : nil, imageFile.typeCode == 0x08)
  }
}
