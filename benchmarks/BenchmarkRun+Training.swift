import Descent
import DescentOpenCL
import Foundation

extension BenchmarkRun {
  /// The Fashion-MNIST MLP of each `--hidden` width on every backend and peer. Each contender
  /// trains in a process of its own (`--train-only`), and they take turns `rounds` times, so a burst
  /// of load on a shared machine falls on all of them; each row pools its steady epochs.
  func train() {
    let executable = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
    let epochs = options.epochs, folder = folder
    var contenders: [(label: String, isPeer: Bool, run: ([Int]) -> Result<Any, Peers.PeerError>)] = backends.map {
      backend in
      let which = openCLDevices[backend.name].map { "\($0.index)" } ?? "cpu"
      return (
        backend.name, false,
        { hidden in
          Peers.runProcess(
            executable, ["--train-only", which, "--epochs", "\(epochs)", "--hidden", Self.list(hidden)], folder: folder)
        }
      )
    }
    if options.peers {
      // The GPU rows say "not run: no cuda device" on a machine without one.
      for (script, device, label) in [
        ("torch_mlp.py", "cpu", "pytorch (eager)"), ("jax_mlp.py", "cpu", "jax + optax (jit)"),
        ("torch_mlp.py", "cuda", "pytorch (eager, cuda)"), ("jax_mlp.py", "gpu", "jax + optax (jit, gpu)"),
      ] {
        contenders.append(
          (label, true, { hidden in Peers.run(script, ["\(epochs)", device, Self.list(hidden)], folder: folder) }))
      }
    }
    // Keyed by contender and model.
    func key(_ label: String, _ hidden: [Int]) -> String { label + " " + TrainingCase.architecture(hidden) }
    var steadyEpochs: [String: [Double]] = [:], accuracies: [String: Double] = [:]
    var kernelsPerStep: [String: Double] = [:]
    for round in 1...options.rounds {
      for hidden in options.widths {
        for contender in contenders {
          let key = key(contender.label, hidden)
          FileHandle.standardError.write(
            Data(
              "\(key): training \(epochs) epochs, round \(round) of \(options.rounds)…\n".utf8))
          switch contender.run(hidden) {
          case let .success(result):
            let entry = result as? [String: Any] ?? [:]
            steadyEpochs[key, default: []] += (entry["epoch_seconds"] as? [Double] ?? [.nan]).dropFirst()
            accuracies[key] = accuracies[key] ?? entry["accuracy"] as? Double ?? .nan
            kernelsPerStep[key] = kernelsPerStep[key] ?? entry["kernels_per_step"] as? Double
            if let version = entry["version"] {
              header["peer \(contender.label)"] =
                "\(version)" + ((entry["device"] as? String).map { " on \($0)" } ?? "")
            }
          case let .failure(error):
            header[(contender.isPeer ? "peer " : "training ") + contender.label] = "not run: \(error.reason)"
          }
        }
      }
    }
    for hidden in options.widths {
      for contender in contenders {
        let key = key(contender.label, hidden)
        guard let seconds = steadyEpochs[key], let accuracy = accuracies[key] else { continue }
        rows += TrainingCase.rows(
          steadyEpochSeconds: seconds, accuracy: accuracy, kernelsPerStep: kernelsPerStep[key],
          backend: contender.label, hidden: hidden, epochs: epochs)
      }
    }
  }

  /// "256,128": hidden widths as the flag and the peers take them.
  static func list(_ hidden: [Int]) -> String { hidden.map(String.init).joined(separator: ",") }

  /// Trains on one backend ("cpu" or an OpenCL device index) and prints the result as JSON: the
  /// training case's own process, so what earlier cases leave behind (PoCL's threads, hundreds of
  /// MB just freed) cannot slow it: in one process the CPU backend's step measured 1.2–1.8 ms
  /// after PoCL's probes, 0.96–1.0 ms alone.
  nonisolated static func trainAlone(on which: String, hidden: [Int], epochs: Int) throws {
    let backend: any Backend = which == "cpu" ? CPUBackend() : try OpenCLBackend(DeviceSelector(which))
    let result = try TrainingCase.run(
      backend, hidden: hidden, train: try FashionMNIST.load(.train), test: try FashionMNIST.load(.test), epochs: epochs)
    var entry: [String: Any] = ["epoch_seconds": result.epochSeconds, "accuracy": result.accuracy]
    if let kernels = result.kernelsPerStep { entry["kernels_per_step"] = kernels }
    let json = try JSONSerialization.data(withJSONObject: entry)
    print(String(decoding: json, as: UTF8.self))
  }

  /// Ratios against the peers, side by side from this run: of the medians, then of the best times
  /// (noise on a shared VM only ever adds time, so the best is the steadier estimate of the cost).
  static func addRatioNotes(_ rows: inout [Row]) {
    func ratio(_ row: Row, _ peer: Row, _ name: String) -> String {
      String(format: "%.2fx ", row.value / peer.value) + name + String(format: " (best %.2fx)", row.best / peer.best)
    }
    for index in rows.indices where rows[index].group == "gemm" && !rows[index].backend.hasPrefix("numpy") {
      var notes: [String] = []
      if let blas = rows.first(where: { $0.backend.hasPrefix("numpy") && $0.name == rows[index].name }) {
        notes.append(ratio(rows[index], blas, "OpenBLAS"))
      }
      let device = rows[index].backend.drop { $0 != ":" }
      if rows[index].backend.hasPrefix("opencl:"),
        let clblast = rows.first(where: { $0.backend == "clblast" + device && $0.name == rows[index].name })
      {
        notes.append(ratio(rows[index], clblast, "CLBlast"))
      }
      rows[index].note = notes.joined(separator: ", ")
    }
    let epochRows = rows.filter { $0.group == "training" && $0.unit == "s" }
    for index in rows.indices where rows[index].group == "training" && rows[index].unit == "s" {
      let others = epochRows.filter {
        $0.name == rows[index].name && $0.backend != rows[index].backend
          && ($0.backend.hasPrefix("pytorch") || $0.backend.hasPrefix("jax"))
      }
      let ratios = others.map { ratio(rows[index], $0, $0.backend) }
      if !ratios.isEmpty { rows[index].note += "; time " + ratios.joined(separator: ", ") }
    }
  }
}
