import Descent
import DescentOpenCL
import Foundation

/// One `descent-benchmarks` run: every case on the CPU backend and on every OpenCL device, with
/// the peers (NumPy/OpenBLAS, CLBlast, PyTorch, JAX + optax) in the same run; then the table and
/// the JSON file (`Report`).
@MainActor final class BenchmarkRun {
  let options: BenchmarkOptions
  /// The folder holding `peers/`: this source file's, or `benchmarks/` under the current directory
  /// where the binary was copied to another machine (scripts/gpu-run.sh).
  let folder =
    [
      URL(fileURLWithPath: #filePath).deletingLastPathComponent().path,
      FileManager.default.currentDirectoryPath + "/benchmarks",
    ]
    .first { FileManager.default.fileExists(atPath: $0 + "/peers") } ?? "benchmarks"
  var backends: [any Backend] = []
  /// Backend name → its device, for the CLBlast peer and the training processes.
  var openCLDevices: [String: OpenCLDevice] = [:]
  /// What the run was (machine, builds, peers' versions or why they did not run).
  var header: [String: String] = [
    "date": ISO8601DateFormatter().string(from: Date()),
    "cpu": (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.split(separator: "\n")
      .first { $0.hasPrefix("model name") }?.split(separator: ":").last?.trimmingCharacters(in: .whitespaces)
      ?? "unknown",
    "cores": "\(ProcessInfo.processInfo.activeProcessorCount)",
    "cpu backend build": CPUBackend.buildDescription,
    "openblas kernels": ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"].map { "\($0) (OPENBLAS_CORETYPE)" }
      ?? "chosen by OpenBLAS for this CPU",
    "timing":
      "warm-up run, then 3-15 samples of back-to-back calls (>= 2 ms each) within a time budget; "
      + "median and best per call",
  ]
  /// Each backend's peak FLOP/s and triad bandwidth, from its probes.
  var probes: [String: [String: Double]] = [:]
  var rows: [Row] = []

  init(_ options: BenchmarkOptions) {
    self.options = options
  }

  func run() throws {
    try setUpBackends()
    try measureKernels()
    if options.training { train() }
    Self.addRatioNotes(&rows)
    let report = Report(header: header, probes: probes, rows: rows)
    report.printTable()
    try report.write(to: options.jsonPath)
    print("wrote \(options.jsonPath)")
  }

  /// The CPU backend, probed first (before OpenCL work, GEMM tuning and PoCL's threads, can share
  /// its cores), then every OpenCL device, tuned first with `--tune`.
  func setUpBackends() throws {
    if options.only != "opencl" {
      let cpu = CPUBackend()
      backends.append(cpu)
      probes[cpu.name] = try Self.measureProbes(cpu)
    }
    do {
      for device in try OpenCLDevice.all() where options.only != "cpu" {
        let backend = try OpenCLBackend(device: device)
        if options.tune {
          let shapes = Cases.gemmShapes(widths: [[256, 128]]).map(\.1).filter { $0.m <= 1024 && $0.flops > 1e6 }
          for (variant, seconds) in try backend.tuneGemm(shapes: shapes) {
            FileHandle.standardError.write(
              Data("tuning \(device.name): \(variant): \(String(format: "%.2f", seconds * 1e3)) ms\n".utf8))
          }
        }
        backends.append(backend)
        openCLDevices[backend.name] = device
        header["opencl \(device.index)"] =
          "\(device.name), \(device.platform), \(device.version), driver \(device.driverVersion); "
          + "\(backend.kernelChoices)"
      }
    } catch {
      header["opencl"] = "\(error)"
    }
  }

  static func measureProbes(_ probe: PerformanceProbes) throws -> [String: Double] {
    ["flops": try probe.measurePeakFlops(), "bandwidth": try probe.measureBandwidth()]
  }

  /// The GEMM and memory-bound cases on every backend, NumPy taking turns with the first one and
  /// CLBlast on each OpenCL device.
  func measureKernels() throws {
    for (position, backend) in backends.enumerated() {
      guard let probe = backend as? PerformanceProbes else { continue }
      let measured = try probes[backend.name] ?? Self.measureProbes(probe)
      probes[backend.name] = measured
      let peak = measured["flops"]!
      FileHandle.standardError.write(Data("\(backend.name): probes done, GEMM…\n".utf8))
      // NumPy takes turns with the first backend (the CPU, unless --backend opencl).
      let (ours, numpy) =
        options.peers && position == 0
        ? try gemmRowsBesideNumPy(backend, peak: peak)
        : (try Cases.gemm(backend, peak: peak, options), [])
      rows += ours
      rows += try Cases.memory(backend, bandwidth: probe.measureBandwidth, selected: options.selected)
      rows += numpy
      if options.peers, let device = openCLDevices[backend.name] {
        try clblastRows(backend, device, peak: peak)
      }
    }
  }

  /// NumPy's OpenBLAS on one GEMM shape (peers/numpy_gemm.py), or nil when NumPy cannot run (the
  /// header says why, and later calls do not try again).
  func numpyTiming(_ name: String, _ shape: GemmShape) -> Timing? {
    guard header["peer numpy"] == nil else { return nil }
    let json = String(
      decoding: try! JSONSerialization.data(withJSONObject: [
        [name, shape.m, shape.n, shape.k, shape.transposeA, shape.transposeB]
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

  /// The first backend's GEMM rows and NumPy's, shape by shape, the two taking turns `rounds`
  /// times with each row pooling its samples: this VM's speed drifts over a run by 10–40%, and
  /// rows minutes apart compared that drift as much as the two libraries.
  func gemmRowsBesideNumPy(_ backend: any Backend, peak: Double) throws -> (ours: [Row], numpy: [Row]) {
    var ours: [Row] = [], numpy: [Row] = []
    for (name, shape) in Cases.selectedGemmShapes(options) {
      var mine: [Timing] = [], theirs: [Timing] = []
      for _ in 1...options.rounds {
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

  /// CLBlast's GEMM rows on `device`, with its own tuner's parameters when there are some.
  func clblastRows(_ backend: any Backend, _ device: OpenCLDevice, peak: Double) throws {
    do {
      let clblast = try CLBlastPeer(device: device)
      let tuningFile = URL(fileURLWithPath: GemmTuningCache.defaultPath).deletingLastPathComponent()
        .appendingPathComponent("clblast-\(backend.name.split(separator: ":").last ?? "device").json").path
      if options.tuneCLBlast {
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
      for (name, shape) in Cases.selectedGemmShapes(options) {
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
