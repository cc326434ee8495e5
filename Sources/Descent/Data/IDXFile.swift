/// An IDX file, the format of MNIST and Fashion-MNIST: two zero bytes, a type code, the number of
/// dimensions, each dimension as a big-endian 32-bit count, then the values in row-major order.
/// Plain and gzip-compressed files both load.
public struct IDXFile: Sendable {
  /// The sizes of each dimension: `[60000, 28, 28]` for Fashion-MNIST's training images.
  public let dimensions: [Int]
  /// Every value, converted to `Float`.
  public let values: [Float]
  /// The element type's code: 0x08 unsigned byte, 0x09 signed byte, 0x0b short, 0x0c int,
  /// 0x0d float, 0x0e double.
  public let typeCode: UInt8

  /// Reads and checks `path`: the magic bytes, a known type code (unsigned/signed byte, short, int,
  /// float, double), and exactly as many data bytes as the dimensions need.
  public init(path: String) throws {
    let bytes = try FileBytes.read(path)
    func fail(_ offset: Int, _ expected: String, _ found: String) -> DataError {
      .malformed(path: path, offset: offset, expected: expected, found: found)
    }
    guard bytes.count >= 4 else { throw fail(0, "a 4-byte IDX header", "\(bytes.count) bytes") }
    guard bytes[0] == 0, bytes[1] == 0 else {
      throw fail(0, "the IDX magic 00 00", String(format: "%02x %02x", bytes[0], bytes[1]))
    }
    let sizes: [UInt8: Int] = [0x08: 1, 0x09: 1, 0x0B: 2, 0x0C: 4, 0x0D: 4, 0x0E: 8]
    guard let size = sizes[bytes[2]] else {
      throw fail(2, "a type code 08, 09, 0b, 0c, 0d or 0e", String(format: "%02x", bytes[2]))
    }
    let rank = Int(bytes[3])
    guard rank >= 1 else { throw fail(3, "at least one dimension", "0") }
    guard bytes.count >= 4 + 4 * rank else {
      throw fail(bytes.count, "\(rank) dimension sizes (\(4 + 4 * rank) header bytes)", "end of file")
    }
    let dimensions = (0..<rank).map { Int(Self.bigEndian(bytes, 4 + 4 * $0, 4)) }
    let start = 4 + 4 * rank
    // Checked, so crafted dimensions cannot overflow the product or its byte count.
    guard let count = Checked.product(dimensions, atMost: Int.max / size) else {
      throw fail(4, "dimensions whose product of \(size)-byte values fits in memory", "dimensions \(dimensions)")
    }
    guard bytes.count - start == count * size else {
      throw fail(start, "\(count * size) data bytes for dimensions \(dimensions)", "\(bytes.count - start)")
    }
    let kind = bytes[2]
    values = [Float](unsafeUninitializedCapacity: count) { output, initialized in
      bytes.withUnsafeBufferPointer { input in
        // One loop per type, so the bytes' (images': 47 million for Fashion-MNIST) vectorizes.
        switch kind {
        case 0x08: for i in 0..<count { output[i] = Float(input[start + i]) }
        case 0x09: for i in 0..<count { output[i] = Float(Int8(bitPattern: input[start + i])) }
        case 0x0B:
          for i in 0..<count { output[i] = Float(Int16(truncatingIfNeeded: Self.bigEndian(bytes, start + 2 * i, 2))) }
        case 0x0C:
          for i in 0..<count { output[i] = Float(Int32(truncatingIfNeeded: Self.bigEndian(bytes, start + 4 * i, 4))) }
        case 0x0D:
          for i in 0..<count {
            output[i] = Float(bitPattern: UInt32(truncatingIfNeeded: Self.bigEndian(bytes, start + 4 * i, 4)))
          }
        default: for i in 0..<count { output[i] = Float(Double(bitPattern: Self.bigEndian(bytes, start + 8 * i, 8))) }
        }
      }
      initialized = count
    }
    self.dimensions = dimensions
    typeCode = kind
  }

  /// Writes unsigned bytes (type code 08) with `dimensions` as a plain IDX file, atomically.
  public static func write(_ values: [UInt8], dimensions: [Int], to path: String) throws {
    guard !dimensions.isEmpty, dimensions.count < 256, dimensions.reduce(1, *) == values.count,
      dimensions.allSatisfy({ $0 >= 0 && $0 <= Int(UInt32.max) })
    else {
      throw DataError.inconsistent("\(path): \(values.count) values do not fill dimensions \(dimensions)")
    }
    var bytes: [UInt8] = [0, 0, 0x08, UInt8(dimensions.count)]
    for size in dimensions { bytes += [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: size >> $0) } }
    try FileSystem.writeAtomically(bytes + values, to: path)
  }

  /// The `width`-byte big-endian number at `offset` (a double's bits need all 64).
  private static func bigEndian(_ bytes: [UInt8], _ offset: Int, _ width: Int) -> UInt64 {
    (0..<width).reduce(0) { $0 << 8 | UInt64(bytes[offset + $1]) }
  }
}
