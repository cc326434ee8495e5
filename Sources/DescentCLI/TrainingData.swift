import CommandFlags
import Descent
import Foundation
import Synchronization

/// Where `descent train` finds its data and what it learns from it: `--data DIR` (IDX files),
/// `--data FILE.csv --label COLUMN`, or the four IDX files named one by one.
struct DataSource {
  var data = FashionMNIST.defaultDirectory
  var label: String?
  var task = Task.classification
  var classes: Int?
  var classNames: [String]?
  var testData: String?
  var testSplit = 0.2
  var idxFiles: [String: String] = [:]

  enum Task: String {
    case classification, regression
  }

  static let idxFlags = ["train-images", "train-labels", "test-images", "test-labels"]

  /// The data flags of a command whose settings keep a `DataSource` at `path`.
  static func flags<Settings>(_ path: WritableKeyPath<Settings, DataSource> & Sendable) -> [Flag<Settings>] {
    func text(
      _ name: String, _ shown: String, _ help: String, _ set: @escaping @Sendable (inout DataSource, String) -> Void
    ) -> Flag<Settings> {
      Flag(name, shown, help) { settings, value in
        set(&settings[keyPath: path], value)
        return nil
      }
    }
    return [
      text(
        "data", "PATH",
        """
        a folder of IDX files (train-/t10k- or test- images and labels, as MNIST
        and Fashion-MNIST name them; default /usr/share/datasets/fashion-mnist)
        or a CSV file with a header line
        """
      ) { $0.data = $1 },
      text("label", "COLUMN", "the CSV column to predict, by header name or index from 0 (default: the last)") {
        $0.label = $1
      },
      Flag(
        "task", "classification",
        """
        classification (softmax cross-entropy, accuracy) or regression (one
        linear output, MSE loss, MSE and MAE)
        """
      ) { settings, value in
        guard let task = Task(rawValue: value) else { return "classification or regression" }
        settings[keyPath: path].task = task
        return nil
      },
      Flag("classes", "N", "the class count (default: the largest label + 1)") { settings, value in
        guard let count = Int(value), count >= 2, count <= TrainingData.maximumClasses else {
          return "a class count from 2 to \(TrainingData.maximumClasses)"
        }
        settings[keyPath: path].classes = count
        return nil
      },
      Flag("class-names", "A,B,...", "class names, saved in the model (Fashion-MNIST's for the default data)") {
        settings, value in
        let names = value.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard names.count >= 2, !names.contains(where: \.isEmpty) else { return "two or more comma-separated names" }
        settings[keyPath: path].classNames = names
        return nil
      },
      text("test-data", "FILE", "a CSV file to test on (default: hold out --test-split of --data)") {
        $0.testData = $1
      },
      Flag("test-split", "0.2", "the fraction of a CSV file held out for the test when no --test-data") {
        settings, value in
        guard let fraction = Double(value), fraction > 0, fraction < 1 else { return "a fraction in (0, 1)" }
        settings[keyPath: path].testSplit = fraction
        return nil
      },
    ]
      + idxFlags.map { name in
        text(name, "FILE", "an IDX file named alone (instead of --data DIR), with the other three") {
          $0.idxFiles[name] = $1
        }
      }
  }

  var isCSV: Bool { idxFiles.isEmpty && data.lowercased().hasSuffix(".csv") }
}

/// The training and test sets `descent train` loaded, raw (before preprocessing), with what the
/// model's output will mean.
struct TrainingData {
  /// The most classes a model may have: labels are class indices, and a label of 16 777 215 made
  /// a 1.1 GB output layer.
  static let maximumClasses = 100_000

  var train: Dataset
  var test: Dataset
  /// The images' size, for augmentation (IDX images only).
  var image: (width: Int, height: Int)?
  var output: ModelOutput
  /// The model's output width: the class count, or 1 for regression.
  var outputWidth: Int
  /// The preprocessing before standardization: the pixel scale of 8-bit images, CSV feature names.
  var preprocessing: Preprocessing
  /// Whether the features are standardized with statistics of the training rows (CSV data).
  var standardize: Bool

  /// Loads and checks everything before any training: labels are class indices (classification)
  /// or finite values, and test and training data have the same features.
  static func load(_ source: DataSource) throws -> TrainingData {
    var data = try source.isCSV ? loadCSV(source) : loadIDX(source)
    try data.train.checkFinite()
    try data.test.checkFinite()
    guard data.test.featureCount == data.train.featureCount else {
      throw DataError.inconsistent(
        """
        \(data.test.name) has \(data.test.featureCount) features, \(data.train.name) has \(data.train.featureCount)
        """)
    }
    if source.task == .regression {
      if source.classes != nil || source.classNames != nil {
        throw UsageError(message: "--classes and --class-names are for --task classification")
      }
      data.output = ModelOutput(kind: .regression, label: data.output.label)
      data.outputWidth = 1
      return data
    }
    // The class count comes from the training labels: a test label beyond them is a mistake.
    let largest = Int(data.train.targets.max() ?? 0)
    if largest >= Self.maximumClasses, let row = data.train.targets.firstIndex(of: Float(largest)) {
      let source = data.trainLines.map { "\($0.path):\($0.numbers[row])" } ?? data.labelFiles?[0] ?? data.train.name
      throw DataError.invalidTarget(
        source: source, row: row, value: Float(largest),
        allowed: "a class index below \(Self.maximumClasses) (labels are class indices from 0; at most "
          + "\(Self.maximumClasses) classes)")
    }
    let names =
      source.classNames ?? data.textClassNames
      ?? (source.data == FashionMNIST.defaultDirectory && source.idxFiles.isEmpty
        && largest < 10 ? FashionMNIST.classNames : nil)
    if let classes = source.classes, let names = source.classNames, names.count != classes {
      throw UsageError(message: "--class-names gives \(names.count) names for --classes \(classes)")
    }
    if let classes = source.classes, let names = data.textClassNames, names.count != classes {
      throw UsageError(
        message:
          "--classes \(classes), but the text labels of \(source.data) name \(names.count): \(CSVFile.list(names))")
    }
    let classes = source.classes ?? names?.count ?? max(2, largest + 1)
    for (index, (set, lines)) in [(data.train, data.trainLines), (data.test, data.testLines)].enumerated() {
      if let row = set.targets.firstIndex(where: { $0 >= Float(classes) }) {
        let source = lines.map { "\($0.path):\($0.numbers[row])" } ?? data.labelFiles?[index] ?? set.name
        throw DataError.invalidTarget(
          source: source, row: row,
          value: set.targets[row], allowed: "a class index below \(classes)")
      }
    }
    data.output = ModelOutput(kind: .classes, classNames: names, label: data.output.label)
    data.outputWidth = classes
    return data
  }

  /// What the CSV columns became, for the user (printed unless --quiet).
  var notes: [String] = []
  /// What the user should know about the data (printed as warnings to standard error).
  var warnings: [String] = []
  /// The class names a CSV file's text labels gave (sorted, or --class-names), if they were text.
  private var textClassNames: [String]?
  /// The IDX label files (training, test), to name the file of a bad label.
  private var labelFiles: [String]?
  /// CSV rows' line numbers, to name the line of a bad label.
  private var trainLines: (path: String, numbers: [Int])?
  private var testLines: (path: String, numbers: [Int])?

  private init(
    train: Dataset, test: Dataset, image: (width: Int, height: Int)?, preprocessing: Preprocessing,
    standardize: Bool, label: String?
  ) {
    (self.train, self.test, self.image, self.preprocessing, self.standardize) = (
      train, test, image, preprocessing,
      standardize
    )
    output = ModelOutput(kind: .values, label: label)
    outputWidth = 1
  }

  private static func loadIDX(_ source: DataSource) throws -> TrainingData {
    if source.testData != nil {
      throw UsageError(message: "--test-data is for CSV data; give --test-images and --test-labels")
    }
    var paths: [String: String] = [:]
    for flag in DataSource.idxFlags {
      if let path = source.idxFiles[flag] { paths[flag] = path; continue }
      guard source.idxFiles.isEmpty else {
        throw UsageError(message: "--\(flag) is missing (the four IDX files go together)")
      }
      do {
        paths[flag] = try IDXDataSet.locate(
          flag.hasPrefix("train") ? .train : .test, labels: flag.hasSuffix("labels"),
          in: source.data)
      } catch let DataError.missingDataSet(name, path, _) {
        throw DataError.missingDataSet(
          name: name, path: path,
          hint: """
            give a folder of IDX files (Fashion-MNIST: `sudo apt-get install dataset-fashion-mnist`), a CSV file, or \
            --train-images, --train-labels, --test-images and --test-labels
            """)
      }
    }
    // The two splits load at once (inflating the training images is most of a short study's
    // start-up); when both fail, the training files' error is the one reported, as read in turn.
    let files = paths
    let loaded = Mutex([Result<IDXDataSet.Loaded, any Error>?](repeating: nil, count: 2))
    DispatchQueue.concurrentPerform(iterations: 2) { index in
      let split = index == 0 ? "train" : "test"
      let result = Result {
        try IDXDataSet.load(
          images: files["\(split)-images"]!, labels: files["\(split)-labels"]!, name: files["\(split)-images"]!)
      }
      loaded.withLock { $0[index] = result }
    }
    let train = try loaded.withLock { $0[0]! }.get()
    let test = try loaded.withLock { $0[1]! }.get()
    for (set, labels) in [(train.dataset, paths["train-labels"]!), (test.dataset, paths["test-labels"]!)] {
      try checkLabels(set.targets.map(Double.init), classification: source.task == .classification) {
        row, value, allowed in
        DataError.invalidTarget(source: labels, row: row, value: Float(value), allowed: allowed)
      }
    }
    let bytes = train.unsignedBytes
    var data = TrainingData(
      train: train.dataset, test: test.dataset, image: train.image,
      preprocessing: Preprocessing(scale: bytes ? FashionMNIST.pixelScale : 1), standardize: !bytes,
      label: nil)
    data.labelFiles = [paths["train-labels"]!, paths["test-labels"]!]
    return data
  }

  private static func loadCSV(_ source: DataSource) throws -> TrainingData {
    if !source.idxFiles.isEmpty { throw UsageError(message: "--train-images and the like are for IDX data, not CSV") }
    let column: CSVFile.LabelColumn =
      source.label.map { label in
        Int(label).map(CSVFile.LabelColumn.index) ?? .name(label)
      } ?? .index(-1)
    /// The training file decides what text labels name: --class-names, else its labels, sorted.
    var textClassNames: [String]?
    func targets(of file: CSVFile, path: String) throws -> [Float] {
      guard let labelColumn = file.labelColumn else { preconditionFailure("a label column was asked for") }
      func failure(_ row: Int, _ expected: String, _ found: String) -> DataError {
        .invalidLine(path: path, line: file.lineNumbers[row], column: labelColumn + 1, expected: expected, found: found)
      }
      guard let texts = file.labelTexts else {
        try checkLabels(file.labels, classification: source.task == .classification) { row, value, allowed in
          failure(row, allowed, "\(value)")
        }
        return file.labels.map(Float.init)
      }
      guard source.task == .classification else {
        let row = texts.firstIndex { CSVNumber.parse(ArraySlice($0.utf8)) == nil } ?? 0
        throw failure(row, "a number (a regression target)", "\"\(texts[row])\"")
      }
      if textClassNames == nil {
        let names = source.classNames ?? Set(texts).sorted()
        guard names.count <= maximumClasses else {
          throw DataError.inconsistent(
            "\(path): the label column names \(names.count) classes, more than \(maximumClasses)")
        }
        textClassNames = names
      }
      return try classes(of: texts, names: textClassNames!, described: "the classes", failure)
    }
    // Column kinds come from the whole file; medians and categories from the training rows alone.
    let file = try CSVFile(path: source.data, label: column, types: .inferred)
    let fileTargets = try targets(of: file, path: source.data)
    var trainRows = Array(0..<file.rows), testRows: [Int] = []
    if source.testData == nil {
      let order = BatchOrder.permutation(file.rows, seed: 0x7E57, epoch: 0)
      let held = Int(Double(file.rows) * source.testSplit)
      guard held >= 1, held < file.rows else {
        throw DataError.inconsistent(
          "\(source.data): \(file.rows) rows are too few to hold out a test split of \(source.testSplit)")
      }
      (trainRows, testRows) = (Array(order[held...]), Array(order[..<held]))
    }
    let encoding = try TableEncoding(fitting: file, rows: trainRows, path: source.data)
    var warnings = mostlyNumbers(file, encoding, path: source.data)
    func encoded(_ file: CSVFile, path: String, targets: [Float]) throws -> Dataset {
      let (features, unseen) = try encoding.encode(file, path: path)
      warnings += unseen.map { Self.unseenWarning($0, path: path, names: file.featureNames) }
      return try Dataset(features: features, featureCount: encoding.width, targets: targets, name: path)
    }
    let all = try encoded(file, path: source.data, targets: fileTargets)
    var train = all, test: Dataset
    var trainLines = (path: source.data, numbers: file.lineNumbers), testLines = trainLines
    if let testPath = source.testData {
      let testFile = try CSVFile(path: testPath, label: column, types: .text(encoding.textColumns))
      guard testFile.featureNames == file.featureNames else {
        throw DataError.inconsistent(
          "\(testPath): columns \(testFile.header ?? []) differ from \(source.data)'s \(file.header ?? [])")
      }
      test = try encoded(testFile, path: testPath, targets: try targets(of: testFile, path: testPath))
      testLines = (testPath, testFile.lineNumbers)
    } else {
      (train, test) = (all.subset(trainRows), all.subset(testRows, name: "\(source.data) (test split)"))
      trainLines.numbers = trainRows.map { file.lineNumbers[$0] }
      testLines.numbers = testRows.map { file.lineNumbers[$0] }
    }
    var data = TrainingData(
      train: train, test: test, image: nil,
      preprocessing: Preprocessing(featureNames: file.featureNames, encoding: encoding),
      standardize: true, label: file.labelColumn.flatMap { column in file.header?[column] })
    (data.trainLines, data.testLines) = (trainLines, testLines)
    data.textClassNames = textClassNames
    data.notes = ["\(source.data): " + encoding.summary(names: file.featureNames)]
    data.warnings = warnings
    return data
  }

  /// A warning for each category column whose cells are mostly numbers: most likely a number
  /// column with a typo, which the user should see before the model trains on it as text.
  private static func mostlyNumbers(_ file: CSVFile, _ encoding: TableEncoding, path: String) -> [String] {
    encoding.categoryColumns.compactMap { column in
      guard case let .texts(texts) = file.columns[column] else { return nil }
      let filled = texts.indices.filter { !texts[$0].isEmpty }
      let isNumber = filled.map { CSVNumber.parse(ArraySlice(texts[$0].utf8)) != nil }
      let numbers = isNumber.count { $0 }
      guard numbers * 2 > filled.count, let text = zip(filled, isNumber).first(where: { !$0.1 })?.0 else { return nil }
      let name = file.featureNames.map { "\"\($0[column])\"" } ?? "\(file.fileColumn(ofFeature: column) + 1)"
      return "\(path): column \(name) is read as categories, though \(numbers) of its \(filled.count) filled cells are "
        + "numbers: line \(file.lineNumbers[text]) holds \"\(texts[text])\"; empty that cell (or write NA) to read the "
        + "column as numbers"
    }
  }

  /// The warning for category cells a model's training rows never held.
  static func unseenWarning(_ unseen: TableEncoding.Unseen, path: String, names: [String]?) -> String {
    let column = names.map { "\"\($0[unseen.column])\"" } ?? "\(unseen.column + 1)"
    let cells = unseen.count == 1 ? "1 cell holds a category" : "\(unseen.count) cells hold categories"
    return "\(path): column \(column): \(cells) the training rows did not (first: \"\(unseen.first)\"), "
      + "encoded as all zeros"
  }

  /// Each text label's class, its index in `names`; a label outside them is
  /// `failure(row, "one of <described> …", label)`.
  static func classes(
    of texts: [String], names: [String], described: String, _ failure: (Int, String, String) -> DataError
  ) throws -> [Float] {
    let index = Dictionary(names.enumerated().map { ($1, $0) }) { first, _ in first }
    return try texts.enumerated().map { row, text in
      guard let target = index[text] else {
        throw failure(row, "one of \(described) \(CSVFile.list(names))", "\"\(text)\"")
      }
      return Float(target)
    }
  }

  /// Classification labels must be whole numbers >= 0 (the class count is checked once known),
  /// judged on the value as read, before it is rounded to `Float`.
  static func checkLabels(
    _ labels: [Double], classification: Bool,
    _ error: (Int, Double, String) -> DataError
  ) throws {
    guard classification else { return }
    if let row = labels.firstIndex(where: { !($0 >= 0 && $0.rounded() == $0 && $0 < 16_777_216) }) {
      throw error(row, labels[row], "a class index (a whole number >= 0)")
    }
  }
}
