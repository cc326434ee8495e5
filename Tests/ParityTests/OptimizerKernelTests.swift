import Descent
import DescentOpenCL
import Foundation
import Testing

/// Each optimizer's ``OptimizerUpdate`` against its kernel's signature in `kernels/optim.cl`: the
/// same names in the same order (`count`, `p`, `g`, the state slots, the scalars), buffers for the
/// states and `float`/`int` for the scalars and flags. The OpenCL backend passes the update in its
/// order and the CPU twin reads it by name, so this is what keeps the three in step; every
/// optimizer of the parity suite is checked, so a new one is covered once its cases are listed.
struct OptimizerKernelTests {
  /// The `__kernel` functions of `source`: name → parameters as (type, name).
  static func signatures(_ source: String) -> [String: [(type: String, name: String)]] {
    var result: [String: [(String, String)]] = [:]
    var rest = Substring(source)
    while let start = rest.range(of: "__kernel void ") {
      rest = rest[start.upperBound...]
      guard let open = rest.firstIndex(of: "("), let close = rest.firstIndex(of: ")") else { break }
      let name = String(rest[..<open])
      result[name] = rest[rest.index(after: open)..<close].split(separator: ",").map { parameter in
        let words = parameter.split(whereSeparator: \.isWhitespace)
        let type = words.dropLast().joined(separator: " ").replacingOccurrences(of: " *", with: "*")
        return (type, String(words.last ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "*")))
      }
      rest = rest[close...]
    }
    return result
  }

  @Test(arguments: ParityCase.optimizerSettings.map { OptimizerSetting($0) })
  func updateMatchesItsKernel(_ setting: OptimizerSetting) throws {
    let update = setting.optimizer.update(step: 1, learningRate: 0.1, momentum: nil)
    let kernels = Self.signatures(try #require(KernelSources.files["optim.cl"]))
    let parameters = try #require(kernels[update.kernel], "no kernel \(update.kernel) in optim.cl")
    let expected =
      [("const int", "count"), ("__global float*", "p"), ("__global const float*", "g")]
      + update.states.map { ("__global float*", $0.name) }
      + update.scalars.map { ($0.isFlag ? "const int" : "const float", $0.name) }
    #expect(parameters.map(\.name) == expected.map(\.1), "\(update.kernel)")
    #expect(parameters.map(\.type) == expected.map(\.0), "\(update.kernel)")
  }
}

/// An optimizer as a test argument, named by its settings.
struct OptimizerSetting: CustomTestStringConvertible, Sendable {
  let optimizer: any Optimizer
  init(_ optimizer: any Optimizer) { self.optimizer = optimizer }
  var testDescription: String { "\(optimizer)" }
}
