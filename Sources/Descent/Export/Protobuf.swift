/// A protocol-buffers message writer, enough for ONNX: varints, 32-bit floats, strings, bytes and
/// nested messages, each field written as tag (`field << 3 | wire type`) then value.
struct ProtobufMessage {
  private(set) var bytes: [UInt8] = []

  private mutating func varint(_ value: UInt64) {
    var value = value
    while value >= 0x80 {
      bytes.append(UInt8(value & 0x7F) | 0x80)
      value >>= 7
    }
    bytes.append(UInt8(value))
  }

  private mutating func tag(_ field: Int, _ wireType: UInt64) { varint(UInt64(field) << 3 | wireType) }

  /// An `int32`, `int64` or enum field (wire type 0; negative numbers as 10-byte two's complement).
  mutating func int(_ field: Int, _ value: Int) {
    tag(field, 0)
    varint(UInt64(bitPattern: Int64(value)))
  }

  /// A `float` field (wire type 5, little-endian).
  mutating func float(_ field: Int, _ value: Float) {
    tag(field, 5)
    withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
  }

  /// A `bytes` field (wire type 2).
  mutating func bytes(_ field: Int, _ value: [UInt8]) {
    tag(field, 2)
    varint(UInt64(value.count))
    bytes += value
  }

  mutating func string(_ field: Int, _ value: String) { bytes(field, Array(value.utf8)) }

  /// A nested message field.
  mutating func message(_ field: Int, _ build: (inout ProtobufMessage) -> Void) {
    var inner = ProtobufMessage()
    build(&inner)
    bytes(field, inner.bytes)
  }
}
