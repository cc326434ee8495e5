import Descent
import DescentOpenCL
import DescentTuning
import Foundation

/// `descent tune`'s workers, outputs and `--show`.
extension TuneCommand {
  /// One backend per worker: CPU backends share the cores evenly; with `backend opencl` (or
  /// `auto` on a machine with a GPU), workers take the OpenCL devices in turn.
  /// By default one worker per OpenCL device used, or per core for the CPU backend: small
  /// models use a core far better each in its own trial than split across one trial's products
  /// (30 trials of benchmarks/tune.sh on 2 cores: 6.9 s with one 2-thread worker, 4.1 s with two
  /// 1-thread workers).
  func makeBackends(_ settings: TrainConfiguration, count: Int?) throws -> [any Backend] {
    let gpus = settings.backend == "auto" ? ((try? OpenCLDevice.all()) ?? []).filter { $0.kind == .gpu } : []
    if settings.backend == "opencl" || !gpus.isEmpty {
      let devices = gpus.isEmpty ? try OpenCLDevice.all() : gpus
      guard !devices.isEmpty else { throw OpenCLError.noDevice(selector: "any", available: []) }
      return try (0..<(count ?? devices.count)).map { try OpenCLBackend(device: devices[$0 % devices.count]) }
    }
    let cores = Parallel.cores
    let count = min(count ?? cores, max(1, trials))
    let threads = max(1, cores / count)
    return (0..<count).map { _ in count == 1 ? CPUBackend() : CPUBackend(threads: threads) }
  }

  /// trials.csv, trials.json and the plots (the slice plot needs the space).
  func writeOutputs(_ report: StudyReport, space: SearchSpace?) throws {
    try FileSystem.writeAtomically(Array(report.csv.utf8), to: "\(output)/trials.csv")
    try FileSystem.writeAtomically(Array(try report.json().utf8), to: "\(output)/trials.json")
    try FileSystem.writeAtomically(
      Array(StudyPlots.history(report.trials, direction: report.direction).utf8), to: "\(output)/history.svg")
    if let space {
      try FileSystem.writeAtomically(
        Array(StudyPlots.slice(report.trials, space: space).utf8), to: "\(output)/slice.svg")
    }
    try FileSystem.writeAtomically(Array(StudyPlots.intermediate(report.trials).utf8), to: "\(output)/intermediate.svg")
  }

  /// Reads only: a role with read rights alone can show a study that workers are running. With
  /// `--output` it also writes the exports and plots of the trials so far.
  func showStudy() throws -> Int32 {
    let store = try studyStorage(storage!, create: false, readOnly: true)
    let studies = try store.studies()
    guard let stored = studies.first(where: { $0.name == study }) else {
      throw TuningError.noSuchStudy(path: store.location, study: study, available: studies.map(\.name))
    }
    let space = try store.settings(study: stored.id)
      .flatMap { try? JSONDecoder().decode(TuneSettings.self, from: Data($0.utf8)) }
      .map { try TuneSpace(json: Data($0.space.utf8), source: "the space stored with study '\(study)'").space }
    let report = StudyReport(
      trials: try store.trials(study: stored.id), direction: stored.directions[0],
      parameters: space?.parameters.map(\.name))
    print(report.table(limit: 1000), terminator: "")
    for trial in report.trials {
      guard
        let bytes = try store.artifact(
          name: PopulationBasedTraining.lineageName, study: stored.id, number: trial.number),
        let lineage = try? JSONDecoder().decode(PopulationBasedTraining.Lineage.self, from: Data(bytes))
      else { continue }
      // A member's schedule: its start, then each copy with the values it changed.
      let steps = lineage.events.enumerated().map { index, event in
        let before = index > 0 ? lineage.events[index - 1].parameters : [:]
        let changed = event.parameters.filter { before[$0.key] != $0.value }.sorted { $0.key < $1.key }
          .map { "\($0.key)=\($0.value.short)" }.joined(separator: " ")
        return event.donor.map { "after epoch \(event.step) copied member \($0): \(changed)" } ?? "start: \(changed)"
      }
      print("member \(trial.number): " + steps.joined(separator: "; "))
    }
    if stored.directions.count > 1 {
      let objectives =
        try store.settings(study: stored.id)
        .flatMap { try? JSONDecoder().decode(TuneSettings.self, from: Data($0.utf8)) }?.objectives
        ?? stored.directions.indices.map { "objective \($0 + 1)" }
      print(
        ParetoReport(
          trials: report.trials, names: objectives, directions: stored.directions, parameters: report.parameters
        ).table, terminator: "")
    }
    if given.contains("--output") {
      try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
      try writeOutputs(report, space: space)
      print(
        "wrote \(output)/trials.csv, trials.json, history.svg, \(space == nil ? "" : "slice.svg, ")intermediate.svg")
    }
    return 0
  }
}

/// What a study's creator stores for the workers that join it with `--worker`: the space file's
/// text and every option that shapes its trials.
struct TuneSettings: Codable {
  var space: String
  var trials: Int
  var timeout: Double?
  var sampler: String
  var pruner: String
  var folds: Int?
  var validation: Double
  var seed: UInt64
  var limit: Int?
  var retryFailed: Int
  /// The CSV label column (absent in studies stored before CSV data).
  var label: String?
  /// CMA-ES's warm-start study (absent in studies stored before CMA-ES).
  var warmStart: String?
  /// What trials optimize and the bounds they keep (absent before several objectives: accuracy).
  var objectives: [String]?
  var constraints: [String]?
  /// Population-based training's population and interval (absent: not a PBT study).
  var population: Int?
  var interval: Int?
  /// ASHA's bound on paused trials' checkpoints (absent: none, as before it existed).
  var keepPaused: Int?
}
