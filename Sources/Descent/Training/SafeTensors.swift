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
    let header = try header(tensors, metadata: metadata)
    var bytes = [UInt8]()
    try HostMemory.check(header.count + tensors.reduce(0) { $0 + 4 * $1.tensor.values.count }, of: UInt8.self)
    bytes.reserveCapacity(header.count + tensors.reduce(0) { $0 + 4 * $1.tensor.values.count })
    bytes += header
    for (_, tensor) in tensors { littleEndianBytes(of: tensor.values) { bytes += $0 } }
    return bytes
  }

  /// The 8-byte length and the JSON header (padded with spaces so the data is 8-byte aligned).
  private static func header(
    _ tensors: [(name: String, tensor: Tensor)], metadata: [String: String]
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
    while json.count % 8 != 0 { json.append(0x20) }
    return withUnsafeBytes(of: UInt64(json.count).littleEndian) { Array($0) } + json
  }

  /// Calls `body` with `values` as little-endian bytes: the array's own memory on a little-endian
  /// machine, else converted a chunk at a time.
  private static func littleEndianBytes(of values: [Float], _ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
    #if _endian(little)
    try values.withUnsafeBytes(body)
    #else
    for start in stride(from: 0, to: values.count, by: 1 << 16) {
      let chunk = values[start..<min(values.count, start + 1 << 16)].map { $0.bitPattern.littleEndian }
      try chunk.withUnsafeBytes(body)
    }
    #endif
  }

  /// One tensor's place in a file: where its bytes are, from the start of the data.
  private struct Entry {
    let name: String
    let shape: [Int]
    let count: Int
    let start: Int
  }

  /// The tensors' places and the metadata, from the header (`header`: the bytes after the 8-byte
  /// length) of a file whose data is `dataBytes` long. Checks everything the reference reader
  /// does before any tensor is read: dtypes, shapes against the bytes present, and that the
  /// tensors tile the data exactly.
  private static func layout(
    header bytes: ArraySlice<UInt8>, dataStart: Int, dataBytes: Int, path: String
  ) throws -> (entries: [Entry], metadata: [String: String]) {
    func fail(_ offset: Int, _ expected: String, _ found: String) -> DataError {
      .malformed(path: path, offset: offset, expected: expected, found: found)
    }
    guard let header = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
      throw fail(8, "a JSON object header", "text that does not parse")
    }
    var entries: [Entry] = []
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
      entries.append(Entry(name: name, shape: shape, count: count, start: offsets[0]))
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
    return (entries, metadata)
  }

  /// The header's length from the first 8 bytes, checked against a file of `size` bytes.
  private static func headerLength(_ bytes: some Collection<UInt8>, size: Int, path: String) throws -> Int {
    guard size >= 8, bytes.count >= 8 else {
      throw DataError.malformed(path: path, offset: 0, expected: "an 8-byte header length", found: "\(size) bytes")
    }
    let length = bytes.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    guard length <= UInt64(size - 8) else {
      throw DataError.malformed(
        path: path, offset: 0, expected: "a header of at most \(size - 8) bytes", found: "\(length)")
    }
    return Int(length)
  }

  /// The tensors and metadata in `bytes`, read from `path` (named in errors).
  public static func decode(
    _ bytes: [UInt8], path: String
  ) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
    let dataStart = 8 + (try headerLength(bytes, size: bytes.count, path: path))
    let (entries, metadata) = try layout(
      header: bytes[8..<dataStart], dataStart: dataStart, dataBytes: bytes.count - dataStart, path: path)
    var tensors: [String: Tensor] = [:]
    for entry in entries {
      let begin = dataStart + entry.start
      let values = (0..<entry.count).map { i in
        let at = begin + 4 * i
        return Float(
          bitPattern: UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16
            | UInt32(bytes[at + 3]) << 24)
      }
      tensors[entry.name] = Tensor(shape: entry.shape, values: values)
    }
    return (tensors, metadata)
  }

  /// Writes the file atomically (temporary file, fsync, rename), streaming each tensor from its
  /// own memory: no second copy of the model is made.
  public static func write(
    _ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:],
    to path: String
  ) throws {
    let header = try header(tensors, metadata: metadata)
    try FileSystem.writeAtomically(to: path) { write in
      try header.withUnsafeBytes(write)
      for (_, tensor) in tensors { try littleEndianBytes(of: tensor.values, write) }
    }
  }

  /// Reads a file written by any safetensors writer (F32 tensors): the header first, checked
  /// whole, then each tensor straight from the file into its own array (the file is never held
  /// in memory as well).
  public static func read(_ path: String) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
    let descriptor = open(path, O_RDONLY)
    guard descriptor >= 0 else { throw DataError.unreadable(path: path, reason: String(cString: strerror(errno))) }
    defer { close(descriptor) }
    var status = stat()
    guard fstat(descriptor, &status) == 0 else {
      throw DataError.unreadable(path: path, reason: String(cString: strerror(errno)))
    }
    guard status.st_mode & S_IFMT == S_IFREG else {
      throw DataError.unreadable(path: path, reason: "not a regular file")
    }
    let size = Int(status.st_size)
    /// `count` bytes at `offset` into `buffer`, or an error naming the offset.
    func read(_ buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws {
      var done = 0
      while done < buffer.count {
        let count = pread(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
        guard count > 0 else {
          throw DataError.unreadable(
            path: path,
            reason:
              "at byte \(offset + done): \(count == 0 ? "the file ended early" : String(cString: strerror(errno)))")
        }
        done += count
      }
    }
    var prefix = [UInt8](repeating: 0, count: min(8, size))
    try prefix.withUnsafeMutableBytes { try read($0, at: 0) }
    let length = try headerLength(prefix, size: size, path: path)
    try HostMemory.check(length, of: UInt8.self)
    var header = [UInt8](repeating: 0, count: length)
    try header.withUnsafeMutableBytes { try read($0, at: 8) }
    let dataStart = 8 + length
    let (entries, metadata) = try layout(
      header: header[...], dataStart: dataStart, dataBytes: size - dataStart, path: path)
    var tensors: [String: Tensor] = [:]
    for entry in entries {
      try HostMemory.check(entry.count)
      var values = [Float](repeating: 0, count: entry.count)
      try values.withUnsafeMutableBytes { try read($0, at: dataStart + entry.start) }
      #if _endian(big)
      values = values.map { Float(bitPattern: UInt32(littleEndian: $0.bitPattern)) }
      #endif
      tensors[entry.name] = Tensor(shape: entry.shape, values: values)
    }
    return (tensors, metadata)
  }
}
