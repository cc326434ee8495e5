import CommandFlags
import Foundation

/// The flags of `descent-benchmarks` (see `main.swift` and benchmarks/README.md).
struct BenchmarkOptions {
  var quick = false
  var peers = true
  var training = true
  var tune = false
  var tuneCLBlast = false
  var epochs = 5
  /// The hidden layers given with `--hidden`, one list per training case.
  var givenWidths: [[Int]] = []
  var jsonPath = "benchmark-results.json"
  var rounds = 3
  /// "cpu" or "opencl": one kind of backend only.
  var only: String?
  var caseFilter: String?
  var trainOnly: String?

  static let flags = FlagTable<BenchmarkOptions>(
    "descent-benchmarks",
    [
      .toggle("quick", "GEMM only up to 1024 rows", \.quick),
      .toggle("no-peers", "leave out NumPy, CLBlast, PyTorch and JAX") { $0.peers = !$1 },
      .toggle("no-training", "leave out the Fashion-MNIST training case") { $0.training = !$1 },
      .toggle("tune", "time every GEMM parameter set per OpenCL device first and cache the fastest", \.tune),
      .toggle("tune-clblast", "run CLBlast's own tuner per OpenCL device first (~5 minutes each)", \.tuneCLBlast),
      .value("epochs", "5", "training epochs per contender", \.epochs, expected: "a whole number >= 2") { $0 >= 2 },
      Flag(
        "hidden", "W1,W2", "hidden layer widths of a training case's MLP (repeatable; default 256,128)",
        repeatable: true
      ) { options, text in
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        let units = parts.compactMap { Int($0) }
        guard !units.isEmpty, units.count == parts.count, units.allSatisfy({ $0 > 0 }) else {
          return "units per layer, like 1024,512"
        }
        options.givenWidths.append(units)
        return nil
      },
      .value(
        "rounds", "3", "how many times the contenders take turns (training; the first backend's and NumPy's GEMMs)",
        \.rounds, expected: "a whole number >= 1"
      ) { $0 >= 1 },
      Flag("backend", "cpu|opencl", "one kind of backend only") { options, text in
        guard ["cpu", "opencl"].contains(text) else { return "cpu or opencl" }
        options.only = text
        return nil
      },
      .value(
        "only", "TEXT", "only the GEMM and memory cases whose name contains TEXT", \.caseFilter, expected: "a text"),
      .value("json", "PATH", "where the results go as JSON", \.jsonPath, expected: "a path"),
      .value(
        "train-only", "cpu|INDEX", "(internal) train on this backend alone and print the result as JSON",
        \.trainOnly, expected: "cpu or an OpenCL device index"),
    ])

  static var usage: String { "usage: descent-benchmarks [options]\n\noptions:\n\(flags.help)" }

  init(_ arguments: [String]) throws { try Self.flags.parse(arguments, into: &self) }

  /// The hidden layers of each training case's MLP.
  var widths: [[Int]] { givenWidths.isEmpty ? [[256, 128]] : givenWidths }

  /// Whether a GEMM or memory case runs (see `--only`).
  func selected(_ name: String) -> Bool { caseFilter.map { name.contains($0) } ?? true }
}
