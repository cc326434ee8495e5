/// A backend op was called with buffers or values it cannot work on. Nothing was written.
public enum BackendError: Error, Equatable, CustomStringConvertible {
  /// A buffer's size does not match the shape the op was given.
  case shapeMismatch(op: String, detail: String)
  /// A value is outside what the op accepts.
  case invalidArgument(op: String, parameter: String, value: String, allowed: String)
  /// A buffer made by another backend (or another device) was passed.
  case foreignBuffer(op: String, backend: String)
  /// A buffer of `bytes` bytes cannot be had on `device`; `reason` says what limit it passed.
  case outOfMemory(bytes: Int, device: String, reason: String)

  public var description: String {
    switch self {
    case let .shapeMismatch(op, detail):
      "\(op): shape mismatch: \(detail)"
    case let .invalidArgument(op, parameter, value, allowed):
      "\(op): \(parameter) = \(value) is invalid (allowed: \(allowed))"
    case let .foreignBuffer(op, backend):
      "\(op): a buffer from another backend was passed to \(backend)"
    case let .outOfMemory(bytes, device, reason):
      "cannot allocate \(bytes) bytes (\(bytes >> 20) MiB) on \(device): \(reason)"
    }
  }
}

/// Size checks shared by every backend, so each op rejects the same calls with the same message.
package enum Check {
  /// Throws unless `buffer` holds exactly `expected` floats.
  package static func count(
    _ op: String, _ role: String, _ buffer: DeviceBuffer, _ expected: Int,
    _ shape: @autoclosure () -> String
  ) throws {
    guard buffer.count == expected else {
      throw BackendError.shapeMismatch(
        op: op, detail: "\(role) has \(buffer.count) elements, \(shape()) needs \(expected)")
    }
  }

  /// Throws unless `buffer` fits `rows.count` rows of `width` and every row is one of `values`'.
  package static func rows(_ rows: [Int], of values: [Float], width: Int, into buffer: DeviceBuffer) throws {
    try count("uploadRows", "buffer", buffer, rows.count * width, "\(rows.count) rows of \(width)")
    let available = width > 0 ? values.count / width : 0
    if let bad = rows.first(where: { $0 < 0 || $0 >= available }) {
      throw BackendError.shapeMismatch(
        op: "uploadRows", detail: "row \(bad) is outside the \(available) rows of \(width) in \(values.count) values")
    }
  }

  /// Throws unless every buffer holds as many floats as the first.
  package static func sameCount(_ op: String, _ buffers: [(String, DeviceBuffer)]) throws {
    guard let (firstRole, first) = buffers.first else { return }
    for (role, buffer) in buffers.dropFirst() where buffer.count != first.count {
      throw BackendError.shapeMismatch(
        op: op, detail: "\(role) has \(buffer.count) elements but \(firstRole) has \(first.count)")
    }
  }

  /// Throws unless every buffer holds a `rows × columns` matrix.
  package static func matrices(_ op: String, rows: Int, columns: Int, _ buffers: [(String, DeviceBuffer)]) throws {
    for (role, buffer) in buffers { try count(op, role, buffer, rows * columns, "\(rows)x\(columns)") }
  }

  /// Throws unless `value >= 0`.
  package static func nonNegative(_ op: String, _ parameter: String, _ value: Int) throws {
    guard value >= 0 else {
      throw BackendError.invalidArgument(op: op, parameter: parameter, value: "\(value)", allowed: ">= 0")
    }
  }
}

extension Check {
  /// Throws unless `0 ≤ rate < 1`.
  package static func dropoutRate(_ rate: Float) throws {
    guard rate >= 0, rate < 1 else {
      throw BackendError.invalidArgument(op: "dropout", parameter: "rate", value: "\(rate)", allowed: "[0, 1)")
    }
  }
}

extension Check {
  /// Throws unless the gradient and every state buffer match the parameter and there are as many
  /// state buffers as the update keeps.
  package static func updateArguments(
    _ update: OptimizerUpdate, parameter: DeviceBuffer, gradient: DeviceBuffer,
    state: [DeviceBuffer]
  ) throws {
    let op = update.kernel
    guard state.count == update.stateCount else {
      throw BackendError.shapeMismatch(
        op: op, detail: "\(state.count) state buffers given, the update keeps \(update.stateCount)")
    }
    try sameCount(
      op,
      [("parameter", parameter), ("gradient", gradient)]
        + state.enumerated().map { ("state[\($0.offset)]", $0.element) })
  }
}

extension Check {
  /// Throws unless logits and gradient are `rows × classes` and labels and losses have `rows`.
  package static func crossEntropy(
    logits: DeviceBuffer, labels: DeviceBuffer, losses: DeviceBuffer,
    gradient: DeviceBuffer, rows: Int, classes: Int
  ) throws {
    let op = "softmax_cross_entropy", shape = "\(rows)x\(classes)"
    try count(op, "logits", logits, rows * classes, shape)
    try count(op, "labels", labels, rows, "\(rows) rows")
    try count(op, "losses", losses, rows, "\(rows) rows")
    try count(op, "gradient", gradient, rows * classes, shape)
  }
}

extension Check {
  /// Throws unless logits are `rows × classes`, labels have `rows`, count is one value, and `k ≥ 1`.
  package static func topK(
    logits: DeviceBuffer, labels: DeviceBuffer, count hits: DeviceBuffer, rows: Int,
    classes: Int, k: Int
  ) throws {
    let op = "top_k_hits"
    guard k >= 1 else {
      throw BackendError.invalidArgument(op: op, parameter: "k", value: "\(k)", allowed: ">= 1")
    }
    try count(op, "logits", logits, rows * classes, "\(rows)x\(classes)")
    try count(op, "labels", labels, rows, "\(rows) rows")
    try count(op, "count", hits, 1, "a count of hits")
  }
}

extension Check {
  /// Throws unless the output, its gradient and the input gradient are `rows × columns`.
  package static func softmaxBackward(
    output y: DeviceBuffer, outputGradient dy: DeviceBuffer,
    inputGradient dx: DeviceBuffer, rows: Int, columns: Int
  ) throws {
    try matrices(
      "softmax_backward", rows: rows, columns: columns,
      [("output", y), ("outputGradient", dy), ("inputGradient", dx)])
  }
}
