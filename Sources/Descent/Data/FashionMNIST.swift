/// Fashion-MNIST (Xiao, Rasul & Vollgraf, 2017): 60 000 training and 10 000 test images of 28×28
/// 8-bit pixels in 10 classes, as IDX files (Debian's `dataset-fashion-mnist` installs them gzipped).
public enum FashionMNIST {
  /// Where Debian's `dataset-fashion-mnist` package puts the files.
  public static let defaultDirectory = "/usr/share/datasets/fashion-mnist"
  public static let classNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                                  "Sneaker", "Bag", "Ankle boot"]

  /// The training or test split from `directory`, pixels scaled to [0, 1], labels 0–9.
  /// Reads `<prefix>-images-idx3-ubyte[.gz]` and `<prefix>-labels-idx1-ubyte[.gz]`.
  public static func load(_ split: Split, directory: String = defaultDirectory) throws -> Dataset {
    let images = try IDXFile(path: try locate("\(split.rawValue)-images-idx3-ubyte", in: directory))
    let labels = try IDXFile(path: try locate("\(split.rawValue)-labels-idx1-ubyte", in: directory))
    guard images.dimensions.count == 3, labels.dimensions.count == 1, images.dimensions[0] == labels.dimensions[0] else {
      throw DataError.inconsistent("""
        Fashion-MNIST \(split.rawValue) in \(directory): images \(images.dimensions) and labels \(labels.dimensions) \
        do not pair up (expected [n, 28, 28] and [n])
        """)
    }
    var dataset = try Dataset(features: images.values, featureCount: images.dimensions[1] * images.dimensions[2],
                              targets: labels.values, name: "Fashion-MNIST \(split.rawValue) (\(directory))")
    dataset.scale(by: 1 / 255)
    return dataset
  }

  public enum Split: String, Sendable {
    case train
    case test = "t10k"
  }

  private static func locate(_ name: String, in directory: String) throws -> String {
    for candidate in ["\(directory)/\(name).gz", "\(directory)/\(name)"] where FileSystem.exists(candidate) {
      return candidate
    }
    throw DataError.missingDataSet(
      name: "Fashion-MNIST", path: "\(directory)/\(name)[.gz]",
      hint: "install Debian's package with `sudo apt-get install dataset-fashion-mnist`, or give the folder holding the IDX files")
  }
}
