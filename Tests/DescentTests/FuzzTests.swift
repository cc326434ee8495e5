import CZlib
@testable import Descent
import Foundation
import TestSupport
import Testing

/// Mutation fuzzing of every file format Descent reads (`Mutator.cases` cases each, 2 000 by
/// default): each case must end in a `DataError` or a load consistent with its bytes, never a
/// trap or a hang. A crash leaves its input in the temporary folder (`descent-fuzz-<format>`);
/// keep it under `Tests/DescentTests/FuzzRegressions/<format>/`, where `regressionsLoadCleanly`
/// replays every file.
@Suite(.timeLimit(.minutes(5)))
struct FuzzTests {
  static let folder = NSTemporaryDirectory() + "descent-fuzz-\(getpid())"

  init() throws {
    try FileManager.default.createDirectory(atPath: Self.folder, withIntermediateDirectories: true)
  }

  /// Plain IDX files: every element type, ranks 1 to 3, a few values each.
  static let idxSeeds: [[UInt8]] = [
    [0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 2] + (0..<12).map { UInt8($0 * 20) },
    [0, 0, 0x09, 1, 0, 0, 0, 5, 1, 0xFF, 0x80, 0x7F, 3],
    [0, 0, 0x0B, 2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 1, 0xFF, 0xFE, 0x7F, 0xFF, 0x80, 0],
    [0, 0, 0x0C, 1, 0, 0, 0, 2, 0, 0, 0, 9, 0xFF, 0xFF, 0xFF, 0xF7],
    [0, 0, 0x0D, 1, 0, 0, 0, 2, 0x3F, 0x80, 0, 0, 0xC0, 0x20, 0, 0],
    [0, 0, 0x0E, 1, 0, 0, 0, 1, 0x3F, 0xF0, 0, 0, 0, 0, 0, 0],
  ]

  /// A successful IDX load is consistent with the bytes: the header's dimensions, one value each.
  static func checkIDX(_ bytes: [UInt8], path: String) throws {
    do {
      let file = try IDXFile(path: path)
      // (a zero dimension makes any others possible: multiply in order only without one)
      #expect(file.values.count == (file.dimensions.contains(0) ? 0 : file.dimensions.reduce(1, *)))
      #expect(file.dimensions.count == Int(bytes.count > 3 ? bytes[3] : 0) || path.hasSuffix(".gz"))
    } catch is DataError {}
  }

  @Test func idxFiles() throws {
    var mutator = Mutator(seed: 0x1D8)
    let path = "\(Self.folder)/idx"
    try mutator.run(Self.idxSeeds, current: path) { bytes, _ in try Self.checkIDX(bytes, path: path) }
  }

  /// IDX behind gzip, two ways: mutated IDX bytes compressed correctly, and mutated gzip streams.
  @Test func gzippedIDXFiles() throws {
    var mutator = Mutator(seed: 0x621)
    let path = "\(Self.folder)/idx.gz"
    try mutator.run(Self.idxSeeds, cases: Mutator.cases / 2, current: "\(Self.folder)/idx-plain") { bytes, _ in
      try Self.gzip(bytes, to: path)
      try Self.checkIDX(bytes, path: path)
    }
    let compressed = try Self.idxSeeds.map { seed -> [UInt8] in
      try Self.gzip(seed, to: path)
      return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }
    try mutator.run(compressed, cases: Mutator.cases / 2, current: path) { bytes, _ in
      try Self.checkIDX(bytes, path: path)
    }
  }

  static func gzip(_ bytes: [UInt8], to path: String) throws {
    guard let file = gzopen(path, "wb") else { throw DataError.unwritable(path: path, reason: "gzopen") }
    _ = bytes.withUnsafeBytes { gzwrite(file, $0.baseAddress, UInt32($0.count)) }
    gzclose(file)
  }

  /// safetensors files (two tensors, metadata) and checkpoints of a small trainer.
  @Test func safetensorsFiles() throws {
    let seeds = try [
      SafeTensors.encode(
        [
          ("a", .init(shape: [2, 3], values: (0..<6).map(Float.init))),
          ("b", .init(shape: [1], values: [7])),
        ], metadata: ["k": "v"]),
      SafeTensors.encode([("empty", .init(shape: [0, 4], values: []))]),
    ]
    var mutator = Mutator(seed: 0x5AFE)
    let path = "\(Self.folder)/tensors.safetensors"
    try mutator.run(seeds, current: path) { _, _ in
      do {
        let (tensors, _) = try SafeTensors.read(path)
        for tensor in tensors.values {
          #expect(tensor.values.count == (tensor.shape.contains(0) ? 0 : tensor.shape.reduce(1, *)))
        }
      } catch is DataError {}
    }
  }

  static func tinyTrainer() throws -> Trainer {
    let model = try Sequential(inputFeatures: 3, backend: CPUBackend(), seed: 4) {
      try Dense(4, activation: .relu)
      try Dense(2)
    }
    return try Trainer(
      model: model, loss: .softmaxCrossEntropy, optimizer: Adam(learningRate: 0.01),
      reduceOnPlateau: ReduceLROnPlateau(factor: 0.5, patience: 1),
      earlyStopping: try EarlyStopping(monitor: "loss", patience: 3, restoreBestWeights: true))
  }

  /// Checkpoints: mutated bytes and mutated metadata numbers (epoch, step, patience, history).
  /// A checkpoint that loads leaves a trainer that trains another epoch.
  @Test func checkpoints() throws {
    let trainer = try Self.tinyTrainer()
    _ = try trainer.fit(try Self.toyData(), epochs: 2, batchSize: 4, progress: .silent)
    let path = "\(Self.folder)/checkpoint.safetensors"
    try trainer.saveCheckpoint(to: path)
    let seed = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    var mutator = Mutator(seed: 0xC4EC)
    try mutator.run([seed], current: path) { _, _ in try Self.restoreAndTrain(path) }
  }

  /// Model files: mutated bytes of a file whose description lists every layer type, an output
  /// declaration and preprocessing. Each loads to a `DataError` or to a model that predicts.
  @Test func modelFiles() throws {
    let model = try Sequential(inputFeatures: 3, backend: CPUBackend(), seed: 2) {
      try Dense(4, activation: .leakyReLU(slope: 0.1))
      try Dropout(0.5)
      ActivationLayer(.gelu)
      try Dense(3, bias: false)
      Softmax()
    }
    model.output = ModelOutput(kind: .classes, classNames: ["a", "b", "c"], label: "y")
    model.preprocessing = Preprocessing(
      featureNames: ["p", "q", "r"], scale: 0.5,
      standardization: Standardization(means: [1, 2, 3], deviations: [4, 5, 6]))
    let path = "\(Self.folder)/model.safetensors"
    try model.save(to: path)
    var mutator = Mutator(seed: 0x30DE1)
    try mutator.run([[UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))], current: path) { _, _ in
      do {
        let loaded = try Sequential.load(contentsOf: path, backend: CPUBackend(threads: 1))
        #expect(
          try loaded.predict(raw: [Float](repeating: 1, count: loaded.inputFeatures), rows: 1).count
            == loaded.outputFeatures)
      } catch is DataError {}
    }
  }

  static func toyData() throws -> Dataset {
    try Dataset(
      features: (0..<30).map { Float($0 % 7) / 7 }, featureCount: 3, targets: (0..<10).map { Float($0 % 2) },
      name: "toy")
  }

  /// Restores `path` into a fresh tiny trainer and, if it loads, trains one more epoch.
  static func restoreAndTrain(_ path: String) throws {
    let restored = try tinyTrainer()
    do {
      try restored.restoreCheckpoint(from: path)
    } catch is DataError {
      return
    }
    do {
      _ = try restored.fit(try toyData(), epochs: restored.epoch + 1, batchSize: 4, progress: .silent)
    } catch is TrainingError {}  // mutated weights may be NaN: a clean stop
  }

  /// CSV files with a header, a label column, numbers of every shape, text and missing cells, quoted
  /// or not, with every line ending, read as a training file is (column kinds inferred): each case
  /// reads exactly as ``referenceCSV(_:)`` (a second, plain reading of the same grammar) says,
  /// columns, labels and line numbers, or fails where it fails.
  @Test func csvFiles() throws {
    let seeds = [
      "x,y,label\n0.5,-1,0\n1e3,2.5,1\n\n-0,3,2\n",
      "a,b\r\n1,2\r\n3,4\r\n",
      "\u{FEFF}\"a,1\",\" b \"\"c\"\"\r\n\" ,c\r\n \"1.5\" ,.25, 0\r\n\r\n5.,-7e-3,\"2\"",
      "p\rq\r1\r2\r",
      "n,c,b,y\r\n1,Biscoe,True,A\r\n,\"Dream, x\",,B\r\nNA,NaN,false,A\r\n2,1,TRUE,C\r\n",
    ].map { Array($0.utf8) }
    var mutator = Mutator(seed: 0xC5F)
    let path = "\(Self.folder)/data.csv"
    try mutator.run(seeds, text: true, current: path) { input, caseNumber in
      let expected = Self.referenceCSV(input)
      do {
        let file = try CSVFile(path: path, hasHeader: true, label: .index(-1), types: .inferred)
        let (columns, labels, texts, lines) = try #require(
          expected, "case \(caseNumber): read, but the reference refuses it")
        #expect(file.columns.count == columns.count, "case \(caseNumber)")
        for (read, reference) in zip(file.columns, columns) {
          switch (read, reference) {
          case let (.numbers(got), .numbers(want)):
            #expect(got.elementsEqual(want) { $0 == $1 || $0.isNaN && $1.isNaN }, "case \(caseNumber)")
          case let (.texts(got), .texts(want)): #expect(got == want, "case \(caseNumber)")
          default: Issue.record("case \(caseNumber): \(read) read, the reference reads \(reference)")
          }
        }
        #expect(file.labels.elementsEqual(labels) { $0 == $1 || $0.isNaN && $1.isNaN }, "case \(caseNumber)")
        #expect(file.labelTexts == texts, "case \(caseNumber)")
        #expect(file.lineNumbers == lines, "case \(caseNumber)")
      } catch is DataError {
        #expect(expected == nil, "case \(caseNumber): refused, but the reference reads it")
      }
    }
  }

  /// The CSV grammar of ``CSVReader`` and ``CSVNumber``, read the plain way: Unicode scalars one at
  /// a time, numbers by a regular expression. A header, then rows, the last column the label (text,
  /// not empty, when any label is not a number); each other column numbers (NaN for a missing
  /// cell) or, when a cell is neither a number nor missing, text ("" for missing); nil for a file
  /// the grammar refuses.
  static func referenceCSV(
    _ bytes: [UInt8]
  ) -> (columns: [CSVColumn], labels: [Double], texts: [String]?, lines: [Int])? {
    guard var text = String(validating: bytes, as: UTF8.self), !text.unicodeScalars.contains("\0") else { return nil }
    if text.unicodeScalars.first == "\u{FEFF}" { text.unicodeScalars.removeFirst() }
    var records: [(line: Int, fields: [String])] = []
    var scalars = Array(text.unicodeScalars)[...], line = 1
    while !scalars.isEmpty {
      let start = line
      var fields: [String] = [], quotedOnly = [false]
      while true {
        var field = "", quoted = false
        while scalars.first == " " || scalars.first == "\t" { scalars.removeFirst() }
        if scalars.first == "\"" {
          quoted = true
          scalars.removeFirst()
          while true {
            guard let next = scalars.popFirst() else { return nil }
            if next == "\"" {
              if scalars.first == "\"" { field.unicodeScalars.append(scalars.removeFirst()) } else { break }
            } else {
              if next == "\n" || (next == "\r" && scalars.first != "\n") { line += 1 }
              field.unicodeScalars.append(next)
            }
          }
          while scalars.first == " " || scalars.first == "\t" { scalars.removeFirst() }
          if let next = scalars.first, !",\r\n".unicodeScalars.contains(next) { return nil }
        } else {
          while let next = scalars.first, !",\r\n".unicodeScalars.contains(next) {
            if next == "\"" { return nil }
            field.unicodeScalars.append(scalars.removeFirst())
          }
          field = String(field.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
        }
        fields.append(field)
        quotedOnly[0] = quoted
        if scalars.first == "," {
          scalars.removeFirst()
          continue
        }
        if scalars.first == "\r" { scalars.removeFirst() }
        if scalars.first == "\n" { scalars.removeFirst() }
        line += 1
        break
      }
      if !(fields.count == 1 && fields[0].isEmpty && !quotedOnly[0]) { records.append((start, fields)) }
    }
    guard let header = records.first else { return nil }
    let number = try! NSRegularExpression(
      pattern: "^[+-]?(([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?|(?i:nan|inf|infinity))$")
    var cells: [[String]] = Array(repeating: [], count: max(0, header.fields.count - 1))
    var labels: [Double] = [], texts: [String] = [], lines: [Int] = []
    func value(_ field: String) -> Double? {
      guard number.firstMatch(in: field, range: NSRange(field.startIndex..., in: field)) != nil else { return nil }
      return Double(field.lowercased())
    }
    func inRange(_ value: Double, _ field: String) -> Bool {
      Float(value).isFinite || field.lowercased().contains { $0 == "n" }
    }
    for (line, fields) in records.dropFirst() {
      guard fields.count == header.fields.count else { return nil }
      for (column, field) in fields.dropLast().enumerated() { cells[column].append(field) }
      guard let label = fields.last, !label.isEmpty else { return nil }
      texts.append(label)
      lines.append(line)
    }
    var columns: [CSVColumn] = []
    for column in cells {
      let missing = column.map { $0.isEmpty || CSVFile.missingWords.contains($0) }
      if zip(column, missing).contains(where: { !$1 && value($0) == nil }) {
        columns.append(.texts(zip(column, missing).map { $1 ? "" : $0 }))
        continue
      }
      var numbers: [Float] = []
      for (field, isMissing) in zip(column, missing) {
        guard !isMissing else {
          numbers.append(.nan)
          continue
        }
        guard inRange(value(field)!, field) else { return nil }
        numbers.append(Float(value(field)!))
      }
      columns.append(.numbers(numbers))
    }
    guard texts.allSatisfy({ value($0) != nil }) else { return (columns, [], texts, lines) }
    for text in texts {
      guard inRange(value(text)!, text) else { return nil }
      labels.append(value(text)!)
    }
    return (columns, labels, nil, lines)
  }

  /// Every input a fuzzer ever crashed on, kept as a file, loads to a clean error or a value.
  @Test func regressionsLoadCleanly() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("FuzzRegressions")
    let formats = try FileManager.default.contentsOfDirectory(atPath: root.path)
    #expect(Set(formats).isSuperset(of: ["idx", "safetensors", "checkpoint"]))
    for format in formats {
      for name in try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(format).path) {
        let path = root.appendingPathComponent(format).appendingPathComponent(name).path
        do {
          switch format {
          case "idx": _ = try IDXFile(path: path)
          case "safetensors": _ = try SafeTensors.read(path)
          case "checkpoint": try Self.restoreAndTrain(path)
          case "model": _ = try Sequential.load(contentsOf: path, backend: CPUBackend(threads: 1))
          default: Issue.record("unknown regression format \(format)")
          }
        } catch is DataError {}
      }
    }
  }
}
