import Foundation

/// The flags of `descent-benchmarks` (see `main.swift` and benchmarks/README.md).
struct BenchmarkOptions {
  /// GEMM only up to 1024 rows.
  var quick = false
  /// NumPy, CLBlast, PyTorch and JAX beside Descent.
  var peers = true
  /// The Fashion-MNIST training case.
  var training = true
  /// Time every GEMM parameter set per OpenCL device first and cache the fastest.
  var tune = false
  /// Run CLBlast's own tuner per OpenCL device first (~5 minutes each).
  var tuneCLBlast = false
  var epochs = 5
  /// The hidden layers of each training case's MLP (`--hidden 1024,512`, repeatable).
  var widths: [[Int]] = [[256, 128]]
  var jsonPath = "benchmark-results.json"
  /// How many times the contenders take turns (training; the first backend's GEMMs and NumPy's).
  var rounds = 3
  /// "cpu" or "opencl": one kind of backend only.
  var only: String?
  /// Only the GEMM and memory cases whose name contains this text.
  var caseFilter: String?
  /// Internal: "cpu" or an OpenCL device index: train on it alone and print the result as JSON.
  var trainOnly: String?

  static let usage =
    "usage: descent-benchmarks [--quick] [--tune] [--epochs N] [--backend cpu|opencl] [--rounds N] "
    + "[--tune-clblast] [--no-peers] [--no-training] [--hidden W1,W2,...]... [--only TEXT] [--json PATH]"

  /// A usage mistake, printed with ``usage``.
  struct UsageError: Error {
    let message: String
  }

  init(_ arguments: [String]) throws {
    var arguments = arguments[...]
    func value(_ flag: String) throws -> String {
      guard let value = arguments.popFirst() else { throw UsageError(message: "\(flag) needs a value") }
      return value
    }
    func whole(_ flag: String, minimum: Int) throws -> Int {
      guard let number = Int(try value(flag)), number >= minimum else {
        throw UsageError(message: "\(flag) needs a whole number >= \(minimum)")
      }
      return number
    }
    var givenWidths: [[Int]] = []
    while let argument = arguments.popFirst() {
      switch argument {
      case "--quick": quick = true
      case "--no-peers": peers = false
      case "--no-training": training = false
      case "--tune": tune = true
      case "--tune-clblast": tuneCLBlast = true
      case "--epochs": epochs = try whole(argument, minimum: 2)
      case "--rounds": rounds = try whole(argument, minimum: 1)
      case "--backend":
        let backend = try value(argument)
        guard ["cpu", "opencl"].contains(backend) else { throw UsageError(message: "--backend is cpu or opencl") }
        only = backend
      case "--only": caseFilter = try value(argument)
      case "--train-only": trainOnly = try value(argument)
      case "--hidden":
        let parts = try value(argument).split(separator: ",")
        let units = parts.compactMap { Int($0) }
        guard !units.isEmpty, units.count == parts.count, units.allSatisfy({ $0 > 0 }) else {
          throw UsageError(message: "--hidden needs units per layer, like 1024,512")
        }
        givenWidths.append(units)
      case "--json": jsonPath = try value(argument)
      default: throw UsageError(message: "unknown argument '\(argument)'")
      }
    }
    if !givenWidths.isEmpty { widths = givenWidths }
  }

  /// Whether a GEMM or memory case runs (see `--only`).
  func selected(_ name: String) -> Bool { caseFilter.map { name.contains($0) } ?? true }
}
