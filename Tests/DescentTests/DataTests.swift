@testable import Descent
import Foundation
import Testing

/// IDX readers on good and broken files, data sets, ordering and augmentation.
@Suite struct DataTests {
  let folder: String = {
    let path = NSTemporaryDirectory() + "descent-data-\(UUID().uuidString)"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }()

  func file(_ name: String, _ bytes: [UInt8]) throws -> String {
    let path = "\(folder)/\(name)"
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
  }

  func gzip(_ path: String) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/gzip")
    process.arguments = ["-kf", path]
    try process.run()
    process.waitUntilExit()
    return path + ".gz"
  }

  /// Two 2×3 images of unsigned bytes.
  let images: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 255]

  @Test func idxReadsPlainAndGzipFiles() throws {
    let plain = try file("images.idx", images)
    for path in [plain, try gzip(plain)] {
      let idx = try IDXFile(path: path)
      #expect(idx.dimensions == [2, 2, 3])
      #expect(idx.values == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 255])
    }
  }

  @Test func idxReadsOtherTypes() throws {
    let floats = try file("floats.idx", [0, 0, 0x0D, 1, 0, 0, 0, 2, 0x3F, 0x80, 0, 0, 0xC0, 0x20, 0, 0])
    #expect(try IDXFile(path: floats).values == [1, -2.5])
    let shorts = try file("shorts.idx", [0, 0, 0x0B, 1, 0, 0, 0, 2, 0xFF, 0xFE, 0x01, 0x00])
    #expect(try IDXFile(path: shorts).values == [-2, 256])
    // Two values of each remaining type, so each one's stride through the bytes counts.
    let signed = try file("signed.idx", [0, 0, 0x09, 1, 0, 0, 0, 2, 0xFF, 0x7F])
    #expect(try IDXFile(path: signed).values == [-1, 127])
    let ints = try file("ints.idx", [0, 0, 0x0C, 1, 0, 0, 0, 2, 0xFF, 0xFF, 0xFF, 0xFE, 0, 0, 1, 0])
    #expect(try IDXFile(path: ints).values == [-2, 256])
    let doubles = try file(
      "doubles.idx", [0, 0, 0x0E, 1, 0, 0, 0, 2, 0x3F, 0xF0, 0, 0, 0, 0, 0, 0, 0xC0, 0x04, 0, 0, 0, 0, 0, 0])
    #expect(try IDXFile(path: doubles).values == [1, -2.5])
  }

  @Test func idxWriteRoundTrips() throws {
    let path = "\(folder)/written.idx"
    try IDXFile.write([1, 2, 3, 4, 5, 6], dimensions: [3, 2], to: path)
    let idx = try IDXFile(path: path)
    #expect(idx.dimensions == [3, 2] && idx.values == [1, 2, 3, 4, 5, 6])
  }

  @Test func brokenIdxFilesNameTheFileOffsetAndExpectation() throws {
    func error(_ bytes: [UInt8], _ name: String) throws -> String {
      let path = try file(name, bytes)
      do {
        _ = try IDXFile(path: path)
        return "no error"
      } catch {
        return "\(error)"
      }
    }
    var truncated = images
    truncated.removeLast(3)
    #expect(
      try error(truncated, "truncated.idx")
        == "\(folder)/truncated.idx: at byte 16: expected 12 data bytes for dimensions [2, 2, 3], found 9")
    var magic = images
    magic[0] = 0x1F
    #expect(
      try error(magic, "magic.idx") == "\(folder)/magic.idx: at byte 0: expected the IDX magic 00 00, found 1f 00")
    #expect(
      try error(Array(images.prefix(10)), "dimensions.idx")
        == "\(folder)/dimensions.idx: at byte 10: expected 3 dimension sizes (16 header bytes), found end of file")
    var type = images
    type[2] = 0x07
    #expect(try error(type, "type.idx").contains("expected a type code 08, 09, 0b, 0c, 0d or 0e, found 07"))
    #expect(throws: DataError.self) { _ = try IDXFile(path: "\(folder)/missing.idx") }
  }

  @Test func truncatedGzipIsReported() throws {
    let big = [UInt8](repeating: 0, count: 4) + [0, 0, 0x08, 1, 0, 1, 0, 0] + (0..<65536).map { UInt8($0 % 251) }
    let gz = try gzip(try file("big.idx", Array(big.dropFirst(4))))
    let bytes = try Data(contentsOf: URL(fileURLWithPath: gz))
    let cut = try file("cut.idx.gz", [UInt8](bytes.prefix(bytes.count / 2)))
    #expect {
      _ = try IDXFile(path: cut)
    } throws: { error in
      "\(error)".hasPrefix("\(cut): cannot read:") || "\(error)".contains("data bytes")
    }
  }

  @Test func nonFiniteValuesAreReportedWithRowAndColumn() throws {
    let data = try Dataset(features: [1, 2, 3, .nan, 5, 6], featureCount: 3, targets: [0, 1], name: "toy")
    #expect { try data.checkFinite() } throws: { "\($0)" == "toy features: row 1, column 0 is nan" }
    let targets = try Dataset(features: [1, 2], featureCount: 1, targets: [0, .infinity], name: "toy")
    #expect(throws: DataError.nonFinite(source: "toy targets", row: 1, column: 0, value: .infinity)) {
      try targets.checkFinite()
    }
    // The fast pass takes 16 values at once and the rest one by one: each kind of non-finite value
    // at every position of 37 (two blocks and a tail), in the features and in the targets.
    for bad: Float in [.nan, .infinity, -.infinity, .signalingNaN] {
      for index in 0..<37 {
        var values = (0..<37).map { Float($0) - 18.5 }
        let finite = try Dataset(features: values, featureCount: 37, targets: [0], name: "wide")
        try finite.checkFinite()
        values[index] = bad
        #expect(throws: DataError.self, "\(bad) at \(index)") {
          try Dataset(features: values, featureCount: 37, targets: [0], name: "wide").checkFinite()
        }
        #expect(throws: DataError.self, "\(bad) at target \(index)") {
          try Dataset(features: [Float](repeating: 1, count: 37), featureCount: 1, targets: values).checkFinite()
        }
        #expect(Dataset.allFinite(values) == false)
      }
    }
    #expect(Dataset.allFinite([]) && Dataset.allFinite([.greatestFiniteMagnitude, -.greatestFiniteMagnitude]))
    // Finiteness is measured when values are set: scaling can overflow finite values, and the
    // subset of a bad set's good rows is good.
    var large = try Dataset(features: [1, 3e30], featureCount: 1, targets: [0, 1], name: "large")
    try large.checkFinite()
    large.scale(by: 1e10)
    #expect(throws: DataError.nonFinite(source: "large features", row: 1, column: 0, value: .infinity)) {
      try large.checkFinite()
    }
    try large.subset([0]).checkFinite()
  }

  @Test func datasetsCheckShapesSplitAndStandardize() throws {
    #expect(throws: DataError.self) { _ = try Dataset(features: [1, 2, 3], featureCount: 2, targets: [0]) }
    let data = try Dataset(features: (0..<20).map(Float.init), featureCount: 2, targets: (0..<10).map(Float.init))
    let (train, held) = try data.split(fraction: 0.3, seed: 1)
    #expect(train.rows == 7 && held.rows == 3)
    #expect(Set(train.targets + held.targets) == Set((0..<10).map(Float.init)))
    #expect(try data.split(fraction: 0.3, seed: 1).1.targets == held.targets, "a seed repeats the split")
    let standardization = Standardization(fitting: data)
    let standardized = try standardization.apply(to: data)
    for column in 0..<2 {
      let values = stride(from: column, to: 20, by: 2).map { Double(standardized.features[$0]) }
      #expect(abs(values.reduce(0, +) / 10) < 1e-6)
      #expect(abs(values.map { $0 * $0 }.reduce(0, +) / 10 - 1) < 1e-5)
    }
  }

  @Test func batchOrderIsASeededPermutation() {
    let a = BatchOrder.permutation(1000, seed: 3, epoch: 0)
    #expect(a.sorted() == Array(0..<1000))
    #expect(a == BatchOrder.permutation(1000, seed: 3, epoch: 0))
    #expect(a != BatchOrder.permutation(1000, seed: 3, epoch: 1))
    #expect(a != Array(0..<1000))
  }

  @Test func safetensorsRoundTripAndRejectBrokenFiles() throws {
    let path = "\(folder)/t.safetensors"
    try SafeTensors.write(
      [("w", .init(shape: [2, 3], values: [1, 2, 3, 4, 5, -6])), ("b", .init(shape: [1], values: [0.5]))],
      metadata: ["note": "hi"], to: path)
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    let length = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
    #expect(length % 8 == 0, "the data starts 8-byte aligned")
    let header = String(decoding: bytes[8..<8 + length], as: UTF8.self)
    #expect(header.contains(#""dtype":"F32""#) && header.contains(#""data_offsets":[0,24]"#))
    let (tensors, metadata) = try SafeTensors.read(path)
    #expect(tensors["w"] == .init(shape: [2, 3], values: [1, 2, 3, 4, 5, -6]))
    #expect(tensors["b"]?.values == [0.5] && metadata == ["note": "hi"])
    #expect(throws: DataError.self) { _ = try SafeTensors.decode(Array(bytes.prefix(bytes.count - 4)), path: path) }
    #expect(throws: DataError.self) { _ = try SafeTensors.decode([1, 0, 0], path: path) }
  }

  /// What the reference reader refuses: data the tensors do not tile exactly (bytes after the
  /// last tensor, a hole, two tensors sharing bytes) and metadata that is not strings, each named
  /// with its byte offset (issue 31: 39 of 300 fuzzed checkpoints had trailing bytes, 8 overlaps).
  @Test func safetensorsWhoseTensorsDoNotTileTheDataAreRefused() throws {
    func file(_ header: String, dataBytes: Int) -> [UInt8] {
      var json = Array(header.utf8)
      while json.count % 8 != 0 { json.append(0x20) }
      var bytes: [UInt8] = []
      withUnsafeBytes(of: UInt64(json.count).littleEndian) { bytes += $0 }
      return bytes + json + [UInt8](repeating: 0, count: dataBytes)
    }
    let good =
      #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
    #expect(try SafeTensors.decode(file(good, dataBytes: 12), path: "p").tensors.count == 2)
    let cases: [(String, Int, String)] = [
      (good, 16, "the end of the file after the last tensor, found 4 more bytes"),
      (good.replacingOccurrences(of: "[8,12]", with: "[12,16]"), 16, #"tensor "b" to start at data byte 8"#),
      (good.replacingOccurrences(of: "[8,12]", with: "[4,8]"), 8, "an overlap: it starts at 4"),
      (
        #"{"__metadata__":{"n":1},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, 4,
        "__metadata__ as a map of strings to strings"
      ),
    ]
    for (header, dataBytes, message) in cases {
      #expect {
        _ = try SafeTensors.decode(file(header, dataBytes: dataBytes), path: "p")
      } throws: { error in
        "\(error)".contains(message)
      }
    }
  }

  @Test func atomicWritesLeaveTheOldFileWhenTheyFail() throws {
    let path = "\(folder)/weights.safetensors"
    try SafeTensors.write([("w", .init(shape: [1], values: [1]))], to: path)
    #expect(throws: DataError.self) {
      try SafeTensors.write([("w", .init(shape: [1], values: [2]))], to: "\(folder)/missing-folder/weights.safetensors")
    }
    #expect(try SafeTensors.read(path).tensors["w"]?.values == [1])
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".tmp") }
    #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
  }

  @Test func augmentationShiftsAndFlipsDeterministically() throws {
    let flip = try ImageAugmentation(width: 3, height: 2, horizontalFlip: true)
    let image: [Float] = [1, 2, 3, 4, 5, 6]
    var flipped: [[Float]] = []
    for sample in 0..<16 {
      var batch = image
      flip.transform(&batch, samples: [sample], seed: 9, epoch: 0)
      flipped.append(batch)
    }
    #expect(Set(flipped) == [image, [3, 2, 1, 6, 5, 4]], "each sample is either kept or mirrored")
    let shift = try ImageAugmentation(width: 3, height: 2, maxShift: 1)
    var batch = image
    shift.transform(&batch, samples: [4], seed: 9, epoch: 2)
    var again = image
    shift.transform(&again, samples: [4], seed: 9, epoch: 2)
    #expect(batch == again, "a seed repeats the shift")
    // Each output is the image moved by some (dx, dy) in [−1, 1]² with zeros coming in (not an
    // identity, not a wrap-around roll), and 64 samples see all nine shifts.
    func shifted(_ dx: Int, _ dy: Int) -> [Float] {
      (0..<2).flatMap { y in
        (0..<3).map { x in (0..<3).contains(x - dx) && (0..<2).contains(y - dy) ? image[(y - dy) * 3 + x - dx] : 0 }
      }
    }
    let shifts = (-1...1).flatMap { dy in (-1...1).map { dx in shifted(dx, dy) } }
    var seen: Set<[Float]> = []
    for sample in 0..<64 {
      var moved = image
      shift.transform(&moved, samples: [sample], seed: 9, epoch: 2)
      #expect(shifts.contains(moved), "sample \(sample): \(moved) is no zero-filled shift of \(image)")
      seen.insert(moved)
    }
    #expect(seen.count == 9, "\(seen.count) of the 9 shifts occur")
    #expect(throws: ConfigurationError.self) { _ = try ImageAugmentation(width: 3, height: 2, maxShift: 2) }
  }
}
