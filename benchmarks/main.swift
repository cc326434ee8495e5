import Descent
import DescentOpenCL
import Foundation

// descent-benchmarks: every case on the CPU backend and on every OpenCL device, with the peers
// (NumPy/OpenBLAS, PyTorch, JAX + optax) in the same run, as a table and a JSON file.
//
//   swift run -c release descent-benchmarks [--quick] [--tune] [--epochs N] [--backend cpu|opencl]
//     [--rounds N] [--tune-clblast] [--no-peers] [--no-training] [--only TEXT] [--json PATH]
// --tune-clblast runs CLBlast's own tuner on each OpenCL device first (~5 min each) and keeps its
// result beside ours (~/.cache/descent/clblast-<device>.json); CLBlast uses it in every later run.
// --rounds N (default 3): the training contenders take turns N times, and so do the first backend's
// GEMMs and NumPy's, shape by shape; each row pools its rounds.
// --only runs just the GEMM and memory cases whose name contains TEXT (e.g. "adam", "mlp fwd").
// --tune times every GEMM parameter set on each OpenCL device first and caches the fastest
// (~/.cache/descent/gemm-tuning.json), which every later OpenCLBackend on that device uses.
//   (benchmarks/run.sh builds for the host CPU first; see benchmarks/README.md)

var arguments = Array(CommandLine.arguments.dropFirst())[...]
if CommandLine.arguments.dropFirst().first == "study-worker" {  // benchmarks/storage.sh starts these
  try StudyWorker.run(Array(CommandLine.arguments.dropFirst(2)))
  exit(0)
}
if CommandLine.arguments.dropFirst().first == "inference" {  // benchmarks/inference.sh runs these
  try InferenceCase.run(Array(CommandLine.arguments.dropFirst(2)))
  exit(0)
}
var quick = false, peers = true, training = true, tune = false, tuneCLBlast = false, epochs = 5
var jsonPath = "benchmark-results.json", rounds = 3
var trainOnly: String?  // "cpu" or an OpenCL device index: train on it alone and print the result as JSON
var only: String?, caseFilter: String?
while let argument = arguments.popFirst() {
  switch argument {
  case "--quick": quick = true
  case "--no-peers": peers = false
  case "--no-training": training = false
  case "--tune": tune = true
  case "--tune-clblast": tuneCLBlast = true
  case "--epochs":
    guard let value = arguments.popFirst().flatMap(Int.init), value >= 2 else {
      FileHandle.standardError.write(Data("--epochs needs a whole number >= 2\n".utf8))
      exit(64)
    }
    epochs = value
  case "--rounds":
    guard let value = arguments.popFirst().flatMap(Int.init), value >= 1 else {
      FileHandle.standardError.write(Data("--rounds needs a whole number >= 1\n".utf8))
      exit(64)
    }
    rounds = value
  case "--backend":
    guard let value = arguments.popFirst(), ["cpu", "opencl"].contains(value) else { exit(64) }
    only = value
  case "--only":
    guard let value = arguments.popFirst() else { exit(64) }
    caseFilter = value
  case "--train-only":  // internal: "cpu" or an OpenCL device index; see the training section
    guard let value = arguments.popFirst() else { exit(64) }
    trainOnly = value
  case "--json":
    guard let value = arguments.popFirst() else { exit(64) }
    jsonPath = value
  default:
    FileHandle.standardError.write(
      Data(
        ("usage: descent-benchmarks [--quick] [--tune] [--epochs N] [--backend cpu|opencl] [--rounds N] "
          + "[--tune-clblast] [--no-peers] [--no-training] [--only TEXT] [--json PATH]\n").utf8))
    exit(64)
  }
}

// The folder holding `peers/`: this source file's, or `benchmarks/` under the current directory
// where the binary was copied to another machine (scripts/gpu-run.sh).
let folder =
  [
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().path,
    FileManager.default.currentDirectoryPath + "/benchmarks",
  ]
  .first { FileManager.default.fileExists(atPath: $0 + "/peers") } ?? "benchmarks"

// The training case runs in a process of its own for each backend, as each Python peer does, so
// what earlier cases leave behind (PoCL's threads, hundreds of MB just freed) cannot slow it: in
// one process the CPU backend's step measured 1.2–1.8 ms after PoCL's probes, 0.96–1.0 ms alone.
if let which = trainOnly {
  let backend: any Backend = which == "cpu" ? CPUBackend() : try OpenCLBackend(DeviceSelector(which))
  let result = try TrainingCase.run(
    backend, train: try FashionMNIST.load(.train), test: try FashionMNIST.load(.test),
    epochs: epochs)
  let json = try JSONSerialization.data(withJSONObject: [
    "epoch_seconds": result.epochSeconds, "accuracy": result.accuracy,
  ])
  print(String(decoding: json, as: UTF8.self))
  exit(0)
}
var backends: [any Backend] = only == "opencl" ? [] : [CPUBackend()]
var openCLDevices: [String: OpenCLDevice] = [:]  // backend name → its device, for the CLBlast peer
var header: [String: String] = [
  "date": ISO8601DateFormatter().string(from: Date()),
  "cpu": (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.split(separator: "\n")
    .first { $0.hasPrefix("model name") }?.split(separator: ":").last?.trimmingCharacters(in: .whitespaces)
    ?? "unknown",
  "cores": "\(ProcessInfo.processInfo.activeProcessorCount)",
  "cpu backend build": CPUBackend.buildDescription,
  "timing":
    "warm-up run, then 3-15 samples of back-to-back calls (>= 2 ms each) within a time budget; "
    + "median and best per call",
]
/// A backend's peak FLOP/s and triad bandwidth, from its probes.
func measureProbes(_ probe: PerformanceProbes) throws -> [String: Double] {
  ["flops": try probe.measurePeakFlops(), "bandwidth": try probe.measureBandwidth()]
}

// The CPU's limits first, before OpenCL work (GEMM tuning, PoCL's threads) can share its cores.
var probes: [String: [String: Double]] = [:]
for backend in backends {
  if let probe = backend as? PerformanceProbes { probes[backend.name] = try measureProbes(probe) }
}

do {
  for device in try OpenCLDevice.all() where only != "cpu" {
    let backend = try OpenCLBackend(device: device)
    if tune {
      let shapes = Cases.gemmShapes.map(\.1).filter { $0.m <= 1024 && $0.flops > 1e6 }
      for (variant, seconds) in try backend.tuneGemm(shapes: shapes) {
        FileHandle.standardError.write(
          Data("tuning \(device.name): \(variant): \(String(format: "%.2f", seconds * 1e3)) ms\n".utf8))
      }
    }
    backends.append(backend)
    openCLDevices[backend.name] = device
    header["opencl \(device.index)"] =
      "\(device.name), \(device.platform), \(device.version), driver \(device.driverVersion); \(backend.kernelChoices)"
  }
} catch {
  header["opencl"] = "\(error)"
}

/// Whether a GEMM or memory case runs (see --only).
@MainActor func selected(_ name: String) -> Bool { caseFilter.map { name.contains($0) } ?? true }

/// NumPy's OpenBLAS on one GEMM shape (peers/numpy_gemm.py), or nil when NumPy cannot run (the
/// header says why, and later calls do not try again).
@MainActor func numpyTiming(_ name: String, _ shape: GemmShape) -> Timing? {
  guard header["peer numpy"] == nil else { return nil }
  let json = String(
    decoding: try! JSONSerialization.data(withJSONObject: [
      [
        name, shape.m, shape.n, shape.k,
        shape.transposeA, shape.transposeB,
      ]
    ]),
    as: UTF8.self)
  switch Peers.run("numpy_gemm.py", [json], folder: folder) {
  case let .success(result):
    guard let seconds = (result as? [[String: Any]])?.first?["seconds"] as? [Double], !seconds.isEmpty else {
      header["peer numpy"] = "not run: numpy_gemm.py printed no timings"
      return nil
    }
    return Timing(samples: seconds)
  case let .failure(error):
    header["peer numpy"] = "not run: \(error.reason)"
    return nil
  }
}

/// The first backend's GEMM rows and NumPy's, shape by shape, the two taking turns `rounds` times
/// with each row pooling its samples: this VM's speed drifts over a run by 10–40%, and rows
/// minutes apart compared that drift as much as the two libraries.
@MainActor func gemmRowsBesideNumPy(_ backend: any Backend, peak: Double) throws -> (ours: [Row], numpy: [Row]) {
  var ours: [Row] = [], numpy: [Row] = []
  for (name, shape) in Cases.selectedGemmShapes(quick: quick, selected: selected) {
    var mine: [Timing] = [], theirs: [Timing] = []
    for _ in 1...rounds {
      mine.append(try Cases.timeGemm(backend, shape))
      if let timing = numpyTiming(name, shape) { theirs.append(timing) }
    }
    ours.append(Cases.gemmRow(name, shape, Timing(pooling: mine), backend: backend.name, peak: peak))
    if !theirs.isEmpty {
      var row = Cases.gemmRow(name, shape, Timing(pooling: theirs), backend: "numpy (OpenBLAS)", peak: peak)
      row.percentOfPeak = probes["cpu"].map { 100 * row.value * 1e9 / $0["flops"]! }
      numpy.append(row)
    }
  }
  return (ours, numpy)
}

var rows: [Row] = []
for (position, backend) in backends.enumerated() {
  guard let probe = backend as? PerformanceProbes else { continue }
  let measured = try probes[backend.name] ?? measureProbes(probe)
  probes[backend.name] = measured
  let peak = measured["flops"]!
  FileHandle.standardError.write(Data("\(backend.name): probes done, GEMM…\n".utf8))
  // NumPy takes turns with the first backend (the CPU, unless --backend opencl).
  let (ours, numpy) =
    peers && position == 0
    ? try gemmRowsBesideNumPy(backend, peak: peak)
    : (try Cases.gemm(backend, peak: peak, quick: quick, selected: selected), [])
  rows += ours
  rows += try Cases.memory(backend, bandwidth: probe.measureBandwidth, selected: selected)
  rows += numpy
  if peers, let device = openCLDevices[backend.name] {
    do {
      let clblast = try CLBlastPeer(device: device)
      let tuningFile = URL(fileURLWithPath: GemmTuningCache.defaultPath).deletingLastPathComponent()
        .appendingPathComponent("clblast-\(backend.name.split(separator: ":").last ?? "device").json").path
      if tuneCLBlast {
        FileHandle.standardError.write(Data("CLBlast's tuner on \(backend.name) (about 5 minutes)…\n".utf8))
        try CLBlastPeer.tune(device: device, into: tuningFile)
      }
      if let parameters = try? CLBlastPeer.parameters(fromTunerFile: tuningFile) {
        try clblast.useParameters(parameters)
        header["peer clblast \(device.index)"] =
          "tuned by clblast_tuner_xgemm (\(tuningFile)): "
          + parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
      } else {
        header["peer clblast \(device.index)"] =
          "parameters shipped with CLBlast (no tuning in \(tuningFile); see --tune-clblast)"
      }
      FileHandle.standardError.write(Data("CLBlast on \(backend.name)…\n".utf8))
      for (name, shape) in Cases.selectedGemmShapes(quick: quick, selected: selected) {
        rows.append(
          Cases.gemmRow(
            name, shape, try clblast.gemm(shape),
            backend: "clblast:" + backend.name.dropFirst("opencl:".count), peak: peak))
      }
    } catch let error as Peers.PeerError {
      header["peer clblast"] = "not run: \(error.reason)"
    }
  }
}

if training {
  // Every contender trains in a process of its own, and they take turns `rounds` times, so a burst
  // of load on a shared machine falls on all of them; each row pools its steady epochs.
  let executable = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
  var contenders: [(label: String, isPeer: Bool, run: () -> Result<Any, Peers.PeerError>)] = backends.map { backend in
    let which = openCLDevices[backend.name].map { "\($0.index)" } ?? "cpu"
    return (
      backend.name, false,
      { Peers.runProcess(executable, ["--train-only", which, "--epochs", "\(epochs)"], folder: folder) }
    )
  }
  if peers {
    // The GPU rows say "not run: no cuda device" on a machine without one.
    for (script, device, label) in [
      ("torch_mlp.py", "cpu", "pytorch (eager)"), ("jax_mlp.py", "cpu", "jax + optax (jit)"),
      ("torch_mlp.py", "cuda", "pytorch (eager, cuda)"),
      ("jax_mlp.py", "gpu", "jax + optax (jit, gpu)"),
    ] {
      contenders.append((label, true, { Peers.run(script, ["\(epochs)", device], folder: folder) }))
    }
  }
  var steadyEpochs: [String: [Double]] = [:], accuracies: [String: Double] = [:]
  for round in 1...rounds {
    for contender in contenders {
      FileHandle.standardError.write(
        Data("\(contender.label): training \(epochs) epochs, round \(round) of \(rounds)…\n".utf8))
      switch contender.run() {
      case let .success(result):
        let entry = result as? [String: Any] ?? [:]
        steadyEpochs[contender.label, default: []] += (entry["epoch_seconds"] as? [Double] ?? [.nan]).dropFirst()
        accuracies[contender.label] = accuracies[contender.label] ?? entry["accuracy"] as? Double ?? .nan
        if let version = entry["version"] {
          header["peer \(contender.label)"] = "\(version)" + ((entry["device"] as? String).map { " on \($0)" } ?? "")
        }
      case let .failure(error):
        header[(contender.isPeer ? "peer " : "training ") + contender.label] = "not run: \(error.reason)"
      }
    }
  }
  for contender in contenders {
    guard let seconds = steadyEpochs[contender.label], let accuracy = accuracies[contender.label] else { continue }
    rows += TrainingCase.rows(steadyEpochSeconds: seconds, accuracy: accuracy, backend: contender.label, epochs: epochs)
  }
}

// Ratios against the peers, side by side from this run: of the medians, then of the best times
// (noise on a shared VM only ever adds time, so the best is the steadier estimate of the cost).
func ratioNotes(_ rows: inout [Row]) {
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
      $0.backend != rows[index].backend && ($0.backend.hasPrefix("pytorch") || $0.backend.hasPrefix("jax"))
    }
    let ratios = others.map { ratio(rows[index], $0, $0.backend) }
    if !ratios.isEmpty { rows[index].note += "; time " + ratios.joined(separator: ", ") }
  }
}
ratioNotes(&rows)
let report = Report(header: header, probes: probes, rows: rows)
report.printTable()
try report.write(to: jsonPath)
print("wrote \(jsonPath)")
