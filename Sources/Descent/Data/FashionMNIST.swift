/// Fashion-MNIST (Xiao, Rasul & Vollgraf, 2017): 60 000 training and 10 000 test images of 28×28
/// 8-bit pixels in 10 classes, as IDX files (Debian's `dataset-fashion-mnist` installs them gzipped).
public enum FashionMNIST {
  /// Where Debian's `dataset-fashion-mnist` package puts the files.
  public static let defaultDirectory = "/usr/share/datasets/fashion-mnist"
  public static let classNames = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
    "Sneaker", "Bag", "Ankle boot",
  ]
  /// The factor that maps 8-bit pixels to [0, 1].
  public static let pixelScale: Float = 1 / 255

  /// The training or test split from `directory`, pixels scaled to [0, 1], labels 0–9.
  /// Reads `train-…` or `t10k-…` `images-idx3-ubyte[.gz]` and `labels-idx1-ubyte[.gz]`.
  public static func load(_ split: IDXDataSet.Split, directory: String = defaultDirectory) throws -> Dataset {
    func locate(labels: Bool) throws -> String {
      do {
        return try IDXDataSet.locate(split, labels: labels, in: directory)
      } catch DataError.missingDataSet(_, let path, _) {
        throw DataError.missingDataSet(
          name: "Fashion-MNIST", path: path,
          hint:
            "install Debian's package with `sudo apt-get install dataset-fashion-mnist`, or give the folder holding "
            + "the IDX files"
        )
      }
    }
    var (dataset, _, _) = try IDXDataSet.load(
      images: try locate(labels: false), labels: try locate(labels: true),
      name: "Fashion-MNIST \(split.rawValue) (\(directory))")
    dataset.scale(by: pixelScale)
    return dataset
  }
}
