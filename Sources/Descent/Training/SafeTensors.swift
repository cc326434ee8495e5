import Foundation

/// The safetensors file format (Hugging Face): an 8-byte little-endian header length, a JSON header
/// mapping each tensor name to its dtype, shape and byte range (plus an optional `__metadata__` map
/// of strings), then the raw little-endian data. PyTorch (`safetensors.torch.load_file`), JAX and
/// NumPy (`safetensors.numpy`) read it. Descent writes and reads `F32` tensors.
public enum SafeTensors {
  /// A named tensor of 32-bit floats.
  public struct Tensor: Sendable, Hashable {
    public var shape: [Int]
    public var values: [Float]

    public init(shape: [Int], values: [Float]) {
      self.shape = shape
      self.values = values
    }
  }

  /// The file's bytes for `tensors` (in the given order) and `metadata`.
  public static func encode(
    _ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:]
  ) throws -> [UInt8] {
    var header: [String: Any] = [:]
    if !metadata.isEmpty { header["__metadata__"] = metadata }
    var offset = 0
    for (name, tensor) in tensors {
      let size = tensor.values.count * 4
      header[name] = ["dtype": "F32", "shape": tensor.shape, "data_offsets": [offset, offset + size]] as [String: Any]
      offset += size
    }
    var json = [UInt8](try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
    while json.count % 8 != 0 { json.append(0x20) }  // pad with spaces so the data is 8-byte aligned
    var bytes = [UInt8]()
    try HostMemory.check(8 + json.count + offset, of: UInt8.self)
    bytes.reserveCapacity(8 + json.count + offset)
    withUnsafeBytes(of: UInt64(json.count).littleEndian) { bytes += $0 }
    bytes += json
    for (_, tensor) in tensors {
      for value in tensor.values { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 } }
    }
    return bytes
  }

  /// The tensors and metadata in `bytes`, read from `path` (named in errors).
  public static func decode(
    _ bytes: [UInt8], path: String
  ) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
    func fail(_ offset: Int, _ expected: String, _ found: String) -> DataError {
      .malformed(path: path, offset: offset, expected: expected, found: found)
    }
    guard bytes.count >= 8 else { throw fail(0, "an 8-byte header length", "\(bytes.count) bytes") }
    let length = bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    guard length <= UInt64(bytes.count - 8) else {
      throw fail(0, "a header of at most \(bytes.count - 8) bytes", "\(length)")
    }
    let dataStart = 8 + Int(length)
    let dataBytes = bytes.count - dataStart
    guard let header = try? JSONSerialization.jsonObject(with: Data(bytes[8..<dataStart])) as? [String: Any] else {
      throw fail(8, "a JSON object header", "text that does not parse")
    }
    var tensors: [String: Tensor] = [:]
    var ranges: [(start: Int, end: Int, name: String)] = []
    for (name, entry) in header where name != "__metadata__" {
      guard let entry = entry as? [String: Any], let dtype = entry["dtype"] as? String,
        let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2
      else {
        throw fail(8, "dtype, shape and data_offsets for tensor \"\(name)\"", "\(entry)")
      }
      guard dtype == "F32" else { throw fail(8, "dtype F32 for \"\(name)\"", dtype) }
      // Shape and offsets are bounded by the data actually present before any arithmetic.
      guard let count = Checked.product(shape, atMost: dataBytes / 4) else {
        throw fail(8, "a shape of \"\(name)\" with sizes >= 0 that fits the file's \(dataBytes) data bytes", "\(shape)")
      }
      guard offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataBytes, offsets[1] - offsets[0] == 4 * count
      else {
        throw fail(
          dataStart + min(max(0, offsets[0]), dataBytes), "\(4 * count) bytes of \"\(name)\" \(shape)",
          "offsets \(offsets) in \(dataBytes) data bytes")
      }
      ranges.append((offsets[0], offsets[1], name))
      let begin = dataStart + offsets[0]
      let values = (0..<count).map { i in
        let at = begin + 4 * i
        return Float(
          bitPattern: UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16
            | UInt32(bytes[at + 3]) << 24)
      }
      tensors[name] = Tensor(shape: shape, values: values)
    }
    // As the reference reader requires: the tensors tile the data exactly, with no byte unread,
    // none read twice and nothing after the last (a hole or trailing bytes hide data; an overlap
    // makes two tensors share bytes).
    var end = 0
    for range in ranges.sorted(by: { ($0.start, $0.end, $0.name) < ($1.start, $1.end, $1.name) }) {
      guard range.start == end else {
        throw fail(
          dataStart + min(range.start, end), "tensor \"\(range.name)\" to start at data byte \(end)",
          range.start < end ? "an overlap: it starts at \(range.start)" : "a hole: it starts at \(range.start)")
      }
      end = range.end
    }
    guard end == dataBytes else {
      throw fail(dataStart + end, "the end of the file after the last tensor", "\(dataBytes - end) more bytes")
    }
    let metadata = header["__metadata__"] ?? [String: String]()
    guard let metadata = metadata as? [String: String] else {
      throw fail(8, "__metadata__ as a map of strings to strings", "\(metadata)")
    }
    return (tensors, metadata)
  }

  /// Writes the file atomically (temporary file, fsync, rename).
  public static func write(
    _ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:],
    to path: String
  ) throws {
    try FileSystem.writeAtomically(try encode(tensors, metadata: metadata), to: path)
  }

  /// Reads a file written by any safetensors writer (F32 tensors).
  public static func read(_ path: String) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
    let bytes: [UInt8]
    do {
      let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
      try HostMemory.check(2 * size, of: UInt8.self)  // the Data and the array made from it
      bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    } catch let error as BackendError {
      throw error
    } catch {
      throw DataError.unreadable(path: path, reason: (error as NSError).localizedDescription)
    }
    return try decode(bytes, path: path)
  }
}
