import Descent
import Testing

/// One op on one set of inputs, checked element by element against a float64 reference.
struct ParityCase: Sendable, CustomTestStringConvertible {
  /// "gemm 33x7x127 (AᵀB)", "adam step 5": names the op and sizes, so a failure says which.
  let name: String
  /// Runs the op on a backend and returns every output, downloaded and concatenated.
  let run: @Sendable (any Backend) throws -> [Float]
  /// The float64 result and each element's allowed error.
  let reference: @Sendable () -> Expected

  var testDescription: String { name }

  /// Runs the case on a backend forced to one kernel variant; a variant that could not be created
  /// fails with its label.
  func check(on variant: TestBackends.Variant) throws {
    switch variant.backend {
    case let .success(backend): try check(on: backend)
    case let .failure(error): Issue.record("\(name): could not create \(variant.label): \(error)")
    }
  }

  /// Runs the case and records an issue for every element outside its bound (NaN always fails).
  func check(on backend: any Backend) throws {
    let got = try run(backend)
    let expected = reference()
    try #require(
      got.count == expected.values.count,
      "\(name) on \(backend.name): \(got.count) outputs, reference has \(expected.values.count)")
    var failures: [String] = []
    for index in got.indices {
      let difference = abs(Double(got[index]) - expected.values[index])
      guard difference <= expected.bounds[index] else {
        failures.append("[\(index)] got \(got[index]), expected \(expected.values[index]) ± \(expected.bounds[index])")
        continue
      }
    }
    #expect(
      failures.isEmpty,
      """
      \(name) on \(backend.name): \(failures.count) of \(got.count) elements outside the tolerance \
      (\(expected.why)); first: \(failures.prefix(4).joined(separator: "; "))
      """)
  }
}

/// Reference values with a bound per element and the reason for the bound.
struct Expected: Sendable {
  var values: [Double]
  var bounds: [Double]
  var why: String

  /// Each element within `absolute + relative·|value|`.
  init(_ values: [Double], absolute: Double, relative: Double, why: String) {
    self.values = values
    bounds = values.map { absolute + relative * abs($0) }
    self.why = why
  }

  /// Element `i` within `bounds[i]`.
  init(_ values: [Double], bounds: [Double], why: String) {
    precondition(values.count == bounds.count, "one bound per value")
    self.values = values
    self.bounds = bounds
    self.why = why
  }

  /// The outputs of several ops, in order.
  static func + (lhs: Expected, rhs: Expected) -> Expected {
    Expected(lhs.values + rhs.values, bounds: lhs.bounds + rhs.bounds, why: "\(lhs.why); \(rhs.why)")
  }
}

/// The unit roundoff of Float, 2⁻²⁴: one correctly rounded operation errs by at most `u·|result|`.
let u = 0x1p-24

/// Higham's γₙ = n·u / (1 − n·u): the relative error bound of n chained float operations, as in a
/// sum or dot product of n terms, in any order (Accuracy and Stability of Numerical Algorithms, §3.1).
func gamma(_ n: Int) -> Double { Double(n) * u / (1 - Double(n) * u) }

/// Deterministic test inputs from the Philox generator (any stream of floats would do).
enum Inputs {
  static func uniform(_ count: Int, seed: UInt64, in range: ClosedRange<Float> = -1...1) -> [Float] {
    (0..<count).map { index in
      let word = Philox.block(index: UInt64(index), key: RandomKey(seed: seed, stream: 77))[0]
      return range.lowerBound + (range.upperBound - range.lowerBound) * PortableMath.unitInterval(word)
    }
  }

  /// Buffers on `backend` holding `values`.
  static func buffers(_ backend: any Backend, _ values: [Float]...) throws -> [DeviceBuffer] {
    try values.map { try backend.buffer($0) }
  }

  /// An output buffer filled with NaN, so an element the op skips fails the comparison.
  static func output(_ backend: any Backend, _ count: Int) throws -> DeviceBuffer {
    let buffer = try backend.allocate(count)
    try backend.fill(buffer, with: .nan)
    return buffer
  }
}

/// `Array(0..<n).map(Double.init)`-style conversion used by references.
extension Array where Element == Float {
  var doubles: [Double] { map(Double.init) }
}
