import Descent
@testable import DescentCLI
import DescentTuning
import Foundation
import TestSupport
import Testing

/// `descent tune`: malformed spaces, `--show`, tiny real studies on both backends, a study killed
/// with SIGKILL and reopened, two processes sharing one grid.
struct TuneCommandTests {
  let cli = CommandLineTests()
  static let enabled = TrainCommandTests.dataInstalled || TrainCommandTests.ci

  static func space(_ json: String) throws -> (folder: String, path: String) {
    let folder = try TrainCommandTests.temporaryFolder()
    try Data(json.utf8).write(to: URL(fileURLWithPath: "\(folder)/space.json"))
    return (folder, "\(folder)/space.json")
  }

  /// Starts `descent` with `arguments` in the background, its output discarded.
  static func start(_ arguments: [String]) throws -> Process {
    let process = Process()
    process.executableURL = Bundle.main.bundleURL.appendingPathComponent("descent")
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    return process
  }

  /// A space whose trials take a fraction of a second: 1 epoch of 300 images.
  static let tiny =
    #"{"epochs": 1, "backend": "cpu", "hidden": [8], "batch-size": 32, "learning-rate": {"float": [1e-3, 1e-1], "#
    + #""log": true}, "optimizer": {"choice": ["adam", "sgd"]}}"#

  @Test func malformedSpacesAndFlagsExit64NamingTheKey() throws {
    let cases: [(String, String)] = [
      (
        #"{"learning-rate": {"float": [0.1, 0.01]}}"#,
        #": "learning-rate": learning-rate = [0.1, 0.01] is out of range (allowed: low < high)"#
      ),
      (
        #"{"learning-rate": {"float": [0, 0.1], "log": true}}"#,
        #": "learning-rate": learning-rate = [0.0, 0.1] with log is out of range (allowed: low > 0 on a log scale)"#
      ),
      (#"{"optimizer": {"choice": []}}"#, #": "optimizer": "choice" must be a non-empty list"#),
      (
        #"{"optimizer": {"choice": ["adam", "lamb"]}}"#,
        #": "optimizer": 'lamb' is not one of "# + OptimizerChoices.all.map(\.name).joined(separator: ", ")
      ),
      (#"{"dropout": {"float": [0, 1.5]}}"#, #": "dropout": '1.5' is not a rate in [0, 1)"#),
      (#"{"wings": 2}"#, #": "wings" is not a setting of `descent train`"#),
      (#"{"wings": {"int": [1, 2]}}"#, #": "wings" is not a setting of `descent train`"#),
      (#"{"dropout": {"range": [0, 0.5]}}"#, #": "dropout" must be a value or one of {"float": [low, high]}"#),
      (
        #"{"dropout": {"float": [0, 0.5], "lg": true}}"#,
        #": "dropout" has an unknown key "lg" (allowed: float, log, step, when)"#
      ),
      (
        #"{"momentum": {"float": [0, 0.9], "when": {"optimiser": "sgd"}}}"#,
        "momentum condition = optimiser is out of range (allowed: the name of a parameter declared before momentum)"
      ),
      (#"{"output": "x"}"#, #": "output" is set by `descent tune` itself"#),
      (
        #"{"hidden": {"layers": {"int": [-1, 2]}, "units": {"int": [4, 8]}}}"#,
        #": "hidden".layers must be whole numbers from 0 to 16 (0: a linear model)"#
      ),
      (#"{"hidden": {"layers": 17, "units": {"int": [4, 8]}}}"#, #": "hidden".layers must be a count from 0 to 16"#),
      (#"{"augment": {"choice": ["none", "spin"]}}"#, #""augment": 'spin' is not like shift=2,flip,noise=0.05"#),
      (#"{"class-names": "a,b"}"#, #": "class-names" is not applied to tuning trials"#),
      (#"{"optimizer": {"choice": ["adam"], "log": true}}"#, #"has an unknown key "log" (allowed: choice, when)"#),
      (#"{"dropout": {"float": [0, 0.5], "step": 1}}"#, "dropout step = 1.0 is out of range (allowed: at most the"),
      (
        #"{"optimizer": {"choice": ["adam", "sgd"]}, "momentum": {"float": [0, 0.9], "when": {"optimizer": "sdg"}}}"#,
        "momentum condition on optimizer = sdg is out of range (allowed: a value optimizer can take"
      ),
      (
        #"{"optimizer": {"choice": ["adam", "sgd"]}, "momentum": {"float": [0, 0.9]}}"#,
        #": a trial with "optimizer": adam would be refused: --momentum does not apply to --optimizer adam"#
      ),
      (
        #"{"optimizer": {"choice": ["adamw", "lion"]}, "amsgrad": true}"#,
        #": a trial with "optimizer": lion would be refused: --amsgrad does not apply to --optimizer lion"#
      ),
      (#"[1, 2]"#, "is not a JSON object"),
    ]
    for (json, message) in cases {
      let (_, path) = try Self.space(json)
      let result = try cli.run(["tune", "--space", path, "--quiet"])
      #expect(result.status == 64, "\(json): \(result.error)")
      #expect(result.error.hasPrefix("descent: ") && result.error.contains(message), "\(json): \(result.error)")
    }
    for (arguments, message) in [
      (["--trials", "0"], "--trials: '0' is not a whole number >= 1"),
      (["--sampler", "cma"], "--sampler: 'cma' is not one of tpe, random, grid, cmaes, nsga2"),
      (["--space", "s.json", "--warm-start", "old"], "--warm-start starts CMA-ES: it needs --sampler cmaes"),
      (["--show"], "--show needs --storage PATH"), ([], "tune needs --space FILE"),
      (["--wings"], "unknown option '--wings' for 'tune'"),
      (["--worker"], "--worker needs --storage PATH|URL"),
      (
        ["--worker", "--storage", "s.sqlite", "--trials", "5", "--sampler", "grid"],
        "--worker takes the study's settings from the store; leave out --sampler, --trials"
      ),
      (["--retry-failed", "-1"], "--retry-failed: '-1' is not a whole number >= 0"),
      (["--keep-paused", "-1"], "--keep-paused: '-1' is not a whole number >= 0"),
      (
        ["--space", "s.json", "--keep-paused", "3"],
        "--keep-paused bounds ASHA's paused trials: it needs --pruner asha (given: median)"
      ),
    ] {
      let result = try cli.run(["tune"] + arguments)
      #expect(result.status == 64 && result.error.hasPrefix("descent: \(message)"), "\(arguments): \(result.error)")
    }
  }

  @Test func showOnAMissingStoreOrStudyIsAClearError() throws {
    let folder = try TrainCommandTests.temporaryFolder()
    let missing = try cli.run(["tune", "--storage", "\(folder)/none.sqlite", "--show"])
    #expect(
      missing.status == 1 && missing.error == "descent: study storage \(folder)/none.sqlite: no such file\n",
      "\(missing.error)")
    #expect(!FileManager.default.fileExists(atPath: "\(folder)/none.sqlite"))
    let store = try SQLiteStorage(path: "\(folder)/study.sqlite")
    _ = try Study(name: "mine", storage: store, direction: .maximize)
    let wrong = try cli.run(["tune", "--storage", "\(folder)/study.sqlite", "--study", "yours", "--show"])
    #expect(
      wrong.status == 1 && wrong.error == "descent: no study 'yours' in \(folder)/study.sqlite (it holds: mine)\n",
      "\(wrong.error)")
    try Data("hello".utf8).write(to: URL(fileURLWithPath: "\(folder)/text.sqlite"))
    let text = try cli.run(["tune", "--storage", "\(folder)/text.sqlite", "--show"])
    #expect(text.status == 1 && text.error.contains("is not a Descent study file"), "\(text.error)")
  }

  /// `--show` reads a store its user may not write, in a folder they may not write either (so
  /// SQLite cannot create the WAL index beside it), and leaves it byte for byte. Run as `nobody`
  /// when the suite runs as root (root may write anywhere).
  @Test func showReadsAReadOnlyStore() throws {
    let folder = try TrainCommandTests.temporaryFolder() + "/locked"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let path = folder + "/study.sqlite"
    do {
      let study = try Study(name: "mine", storage: try SQLiteStorage(path: path), direction: .maximize)
      try study.optimize(trials: 2) { trial, _ in try trial.suggestFloat("x", 0, 1) }
    }
    #expect(waitUntilGone(path + "-wal"), "the study's last connection never closed")
    let before = try Data(contentsOf: URL(fileURLWithPath: path))
    try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: path)
    try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: folder)
    defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder) }
    let show = ["tune", "--storage", path, "--study", "mine", "--show"]
    let binary = Bundle.main.bundleURL.appendingPathComponent("descent").path
    let shown =
      getuid() == 0
      ? try cli.run(show, as: ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", binary])
      : try cli.run(show)
    #expect(shown.status == 0 && shown.output.contains("2 trials: 0 waiting, 0 running"), "\(shown.error)")
    #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["study.sqlite"])
  }

  /// A tiny study end to end on each backend, with cross-validation, pruning, exports and
  /// retraining; its outputs agree with each other and with a second run of the same seed.
  @Test(.enabled(if: enabled, "Fashion-MNIST is not installed (dataset-fashion-mnist)"), arguments: ["cpu", "opencl"])
  func aTinyStudyRunsEndToEnd(backend: String) throws {
    let (folder, path) = try Self.space(
      Self.tiny.replacingOccurrences(of: #""backend": "cpu""#, with: #""backend": "\#(backend)""#))
    // One worker: with several, which trials a pruner compares depends on which finished first.
    let study = [
      "tune", "--space", path, "--trials", "6", "--limit", "300", "--cv", "2", "--pruner", "asha", "--seed", "5",
      "--workers", "1",
    ]
    let result = try cli.run(study + ["--output", "\(folder)/out", "--retrain"])
    #expect(result.status == 0, "\(result.error)")
    let lines = result.output.split(separator: "\n")
    // A line each time a trial stops: ASHA's paused trials that are promoted print again.
    let printed = lines.filter { $0.hasPrefix("trial ") }.map { $0.split(separator: " ")[1] }
    #expect(Set(printed).count == 6 && printed.count >= 6, "\(result.output)")
    #expect(result.output.contains("best: trial ") && result.output.contains("test accuracy "), "\(result.output)")
    for file in [
      "study.sqlite", "trials.csv", "trials.json", "history.svg", "slice.svg", "intermediate.svg",
      "best/weights.safetensors",
    ] {
      #expect(FileManager.default.fileExists(atPath: "\(folder)/out/\(file)"), "\(file) missing")
    }
    let csv = try String(contentsOfFile: "\(folder)/out/trials.csv", encoding: .utf8).split(separator: "\n")
    #expect(csv.first == "number,state,value,fold_std,fold_values,device,started,seconds,learning-rate,optimizer,error")
    #expect(csv.count == 7)
    let trials = try Self.trials("\(folder)/out/trials.json")
    #expect(trials.count == 6)
    // A complete trial's value is the mean of its folds.
    for trial in trials where trial["state"] as? String == "COMPLETE" {
      let folds = try #require(trial["foldValues"] as? [Double]), value = try #require(trial["value"] as? Double)
      #expect(folds.count == 2 && abs(value - folds.reduce(0, +) / 2) < 1e-12, "\(trial)")
    }
    // The printed best is the complete trial of highest value, with its own stored settings, and
    // `--show` ranks it first.
    let best = try #require(
      trials.filter { $0["state"] as? String == "COMPLETE" }.max { ($0["value"] as! Double) < ($1["value"] as! Double) }
    )
    let number = try #require(best["number"] as? Int), parameters = try #require(best["parameters"] as? [String: Any])
    let bestLine = try #require(lines.first { $0.hasPrefix("best: trial ") })
    #expect(bestLine.hasPrefix("best: trial \(number), validation accuracy "), "\(bestLine) vs \(best)")
    #expect(
      bestLine.contains("--learning-rate \(parameters["learning-rate"]!) ")
        && bestLine.hasSuffix("--optimizer \(parameters["optimizer"]!)"), "\(bestLine) vs \(parameters)")
    let shown = try cli.run(["tune", "--storage", "\(folder)/out/study.sqlite", "--show"])
    #expect(shown.status == 0 && shown.output.hasPrefix("rank  trial  state"), "\(shown.output)")
    #expect(shown.output.contains("6 trials: 0 waiting, 0 running"), "\(shown.output)")
    let first = shown.output.split(separator: "\n")[1].split(separator: " ")
    #expect(first.prefix(3) == ["1", "\(number)", "COMPLETE"], "\(shown.output)")
    // The same seed gives the same study: suggestions, pruning decisions and every fold's value.
    let again = try cli.run(study + ["--output", "\(folder)/again", "--quiet"])
    #expect(again.status == 0, "\(again.error)")
    func kept(_ trials: [[String: Any]]) -> [String] {
      trials.map { trial in
        let parameters = (trial["parameters"] as? [String: Any] ?? [:]).sorted { $0.key < $1.key }
        return "\(trial["number"]!) \(trial["state"]!) \(trial["foldValues"]!) \(parameters.map { "\($0)=\($1)" })"
      }
    }
    #expect(kept(try Self.trials("\(folder)/again/trials.json")) == kept(trials))
  }

  /// `--keep-paused 0`: every trial ASHA pauses is pruned at once, its checkpoints deleted and
  /// why stored; the bound is a study setting (workers take it from the store).
  @Test(.enabled(if: enabled, "Fashion-MNIST is not installed (dataset-fashion-mnist)"))
  func keepPausedBoundsThePausedTrials() throws {
    let (folder, path) = try Self.space(Self.tiny.replacingOccurrences(of: #""epochs": 1"#, with: #""epochs": 4"#))
    let result = try cli.run([
      "tune", "--space", path, "--trials", "8", "--limit", "300", "--pruner", "asha", "--keep-paused", "0",
      "--workers", "1", "--output", folder, "--quiet",
    ])
    #expect(result.status == 0, "\(result.error)")
    let storage = try SQLiteStorage(path: "\(folder)/study.sqlite")
    let id = try #require(try storage.studies().first?.id)
    let trials = try storage.trials(study: id)
    #expect(trials.count == 8 && !trials.contains { $0.state == .paused }, "\(trials.map(\.state))")
    let bounded = trials.filter { $0.error?.contains("pruned to keep at most 0 paused trials' checkpoints") == true }
    #expect(!bounded.isEmpty && bounded.allSatisfy { $0.state == .pruned }, "\(trials.map { $0.error ?? "" })")
    for trial in bounded {
      #expect(try storage.artifact(name: Trial.pausedStepName, study: id, number: trial.number) == nil)
      #expect(try storage.artifact(name: Trial.checkpointName(fold: 0), study: id, number: trial.number) == nil)
    }
    #expect(try storage.settings(study: id)?.contains(#""keepPaused":0"#) == true)
  }

  /// The trials of a `trials.json` file.
  static func trials(_ path: String) throws -> [[String: Any]] {
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
    return try #require((json as? [String: Any])?["trials"] as? [[String: Any]])
  }

  /// SIGKILL four times, each a seeded 0–300 ms after one more trial completed (progress, not the
  /// clock, decides, so a loaded machine is only slower), then reopen: completed trials stay, none
  /// stays RUNNING, and the study finishes the requested count (TPE, and CMA-ES, whose run is
  /// replayed from the store).
  @Test(
    .enabled(if: enabled, "Fashion-MNIST is not installed (dataset-fashion-mnist)"), arguments: ["tpe", "cmaes"])
  func aStudyKilledAtRandomMomentsFinishesOnReopening(sampler: String) throws {
    let (folder, path) = try Self.space(Self.tiny)
    let arguments = [
      "tune", "--space", path, "--trials", "12", "--pruner", "none", "--limit", "300", "--output", folder, "--quiet",
      "--sampler", sampler,
    ]
    let seed = TestSeed.make()
    var random = Mutator(seed: seed)
    var completedBefore: [Int: Double] = [:]
    func trials() throws -> [TrialRecord] {
      try Study(storage: try SQLiteStorage(path: "\(folder)/study.sqlite"), direction: .maximize).trials()
    }
    for round in 0..<4 where completedBefore.count < 12 {  // a fast machine may finish before round 4
      let process = try Self.start(arguments)
      let deadline = Date().addingTimeInterval(120)
      while process.isRunning, Date() < deadline {
        let completed =
          FileManager.default.fileExists(atPath: "\(folder)/study.sqlite")
          ? ((try? trials()) ?? []).filter { $0.state == .complete }.count : 0
        if completed > completedBefore.count { break }
        usleep(20_000)
      }
      usleep(UInt32.random(in: 0...300_000, using: &random))
      if process.isRunning { kill(process.processIdentifier, SIGKILL) }
      process.waitUntilExit()
      let trials = try trials()
      #expect(
        trials.filter { $0.state == .complete }.count > completedBefore.count,
        "round \(round): no trial completed within 120 s; \(TestSeed.replay(seed))")
      for (number, value) in completedBefore {
        #expect(trials[number].value == value, "trial \(number) changed; \(TestSeed.replay(seed))")
      }
      #expect(
        !trials.contains { $0.state == .running },
        "a trial stayed RUNNING after its process was killed; \(TestSeed.replay(seed))")
      for trial in trials where trial.state == .complete { completedBefore[trial.number] = trial.value }
    }
    let result = try cli.run(arguments)
    #expect(result.status == 0, "\(result.error)")
    let trials = try Study(storage: try SQLiteStorage(path: "\(folder)/study.sqlite"), direction: .maximize).trials()
    #expect(trials.filter { !$0.lost }.count == 12)
    let unfinished = trials.filter { !$0.lost && $0.state != .complete }
    #expect(unfinished.isEmpty, "\(unfinished.map { "\($0.number) \($0.state) \($0.error ?? "")" })")
    #expect(trials.filter(\.lost).allSatisfy { $0.state == .failed && $0.error?.hasPrefix("lost: ") == true })
    for (number, value) in completedBefore { #expect(trials[number].value == value) }
  }

  /// PBT killed with SIGKILL three times, each a seeded 0–300 ms after one more value was
  /// reported, then run again: the population finishes — as many counted members as asked, each
  /// COMPLETE with a value at every epoch and a lineage — members killed mid-interval paused
  /// again at their checkpoint or, before their first, lost and replaced.
  @Test(.enabled(if: enabled, "Fashion-MNIST is not installed (dataset-fashion-mnist)"))
  func aPopulationKilledAtRandomMomentsFinishesOnReopening() throws {
    let (folder, path) = try Self.space(
      #"{"epochs": 4, "backend": "cpu", "hidden": [64], "batch-size": 32, "#
        + #""learning-rate": {"float": [1e-3, 1e-1], "log": true}, "dropout": {"float": [0, 0.3]}}"#)
    let arguments = [
      "tune", "--space", path, "--pbt", "4", "--interval", "1", "--limit", "3000", "--workers", "2", "--output",
      folder, "--quiet",
    ]
    let seed = TestSeed.make()
    var random = Mutator(seed: seed)
    // Read without opening a Study, so the next `descent tune` is the one that finds the lost trials.
    func reported() -> Int {
      guard let storage = try? SQLiteStorage(path: "\(folder)/study.sqlite"), let id = try? storage.studies().first?.id
      else { return 0 }
      return ((try? storage.trials(study: id)) ?? []).map(\.intermediate.count).reduce(0, +)
    }
    for round in 0..<3 where reported() < 16 {  // a fast machine may finish before round 3
      let before = reported()
      let process = try Self.start(arguments)
      let deadline = Date().addingTimeInterval(120)
      while process.isRunning, Date() < deadline, reported() <= before { usleep(20_000) }
      usleep(UInt32.random(in: 0...300_000, using: &random))
      if process.isRunning { kill(process.processIdentifier, SIGKILL) }
      process.waitUntilExit()
      #expect(reported() > before, "round \(round): nothing reported within 120 s; \(TestSeed.replay(seed))")
    }
    let result = try cli.run(arguments)
    #expect(result.status == 0, "\(result.error); \(TestSeed.replay(seed))")
    let storage = try SQLiteStorage(path: "\(folder)/study.sqlite")
    let id = try #require(try storage.studies().first?.id)
    let trials = try storage.trials(study: id)
    let counted = trials.filter { !$0.lost && !$0.replaced }
    #expect(counted.count == 4, "\(trials.map { "\($0.number) \($0.state) \($0.error ?? "")" })")
    for member in counted {
      #expect(
        member.state == .complete && member.intermediate.keys.sorted() == [1, 2, 3, 4],
        """
        member \(member.number): \(member.state) \(member.error ?? ""), epochs \(member.intermediate.keys.sorted()); \
        trials \(trials.map(Self.summary)); \
        \(TestSeed.replay(seed))
        """)
      #expect(try storage.artifact(name: PopulationBasedTraining.lineageName, study: id, number: member.number) != nil)
    }
    #expect(trials.filter(\.lost).allSatisfy { $0.state == .failed }, "\(TestSeed.replay(seed))")
  }

  /// A trial as a failure message shows it: number, state, lost or replaced, epochs reported, error.
  static func summary(_ trial: TrialRecord) -> String {
    let flags = (trial.lost ? " lost" : "") + (trial.replaced ? " replaced" : "")
    return "\(trial.number) \(trial.state)\(flags) \(trial.intermediate.keys.sorted()) \(trial.error ?? "")"
  }

  /// The worker command `--create` prints survives a store path and a study name with spaces,
  /// quotes, `$` and a line break: the shell hands `descent` exactly those words.
  @Test func thePrintedWorkerCommandIsQuotedForTheShell() throws {
    let (folder, path) = try Self.space(Self.tiny)
    try FileManager.default.createDirectory(atPath: "\(folder)/my studies", withIntermediateDirectories: true)
    let store = "\(folder)/my studies/it's $HOME.sqlite", name = "Ann's \"best\" $(date)\nsecond line"
    let create = try cli.run([
      "tune", "--space", path, "--storage", store, "--study", name, "--trials", "2", "--create",
    ])
    #expect(create.status == 0, "\(create.error)")
    let lines = create.output.split(separator: "\n", omittingEmptySubsequences: false)
    let start = try #require(lines.firstIndex { $0.hasPrefix("  descent tune ") }, "\(create.output)")
    let command = lines[start...].joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
    // The shell prints each word it would pass, one per NUL-ended record.
    let shell = Process()
    shell.executableURL = URL(fileURLWithPath: "/bin/sh")
    shell.arguments = ["-c", "printf '%s\\0' " + command.dropFirst("descent ".count)]
    let output = Pipe()
    shell.standardOutput = output
    try shell.run()
    let words = output.fileHandleForReading.readDataToEndOfFile()
    shell.waitUntilExit()
    #expect(
      String(decoding: words, as: UTF8.self).split(separator: "\0").map(String.init)
        == ["tune", "--storage", store, "--study", name, "--worker"], "\(command)")
  }

  /// `--create` stores the study with its settings and runs nothing; `--worker` (here on an
  /// `sqlite:` location) runs it to the stored trial count with the stored space; a study made by
  /// the library has no settings to join.
  @Test(.enabled(if: enabled, "Fashion-MNIST is not installed (dataset-fashion-mnist)"))
  func aWorkerJoinsAStudyWithItsStoredSettings() throws {
    let (folder, path) = try Self.space(Self.tiny)
    let store = "sqlite:\(folder)/shared.sqlite"
    let create = try cli.run([
      "tune", "--space", path, "--storage", store, "--study", "s", "--trials", "3", "--sampler", "random",
      "--limit", "300", "--create",
    ])
    #expect(
      create.status == 0
        && create.output.contains("descent tune --storage \(folder)/shared.sqlite --study s --worker"),
      "\(create.output) \(create.error)")
    let storage = try SQLiteStorage(path: "\(folder)/shared.sqlite")
    let id = try #require(try storage.studies().first?.id)
    #expect(try storage.trials(study: id).isEmpty)
    let worker = try cli.run(["tune", "--storage", store, "--study", "s", "--worker", "--output", folder, "--quiet"])
    #expect(worker.status == 0, "\(worker.error)")
    let trials = try storage.trials(study: id)
    #expect(
      trials.count == 3
        && trials.allSatisfy { $0.state == .complete && $0.parameters.keys.sorted() == ["learning-rate", "optimizer"] })
    _ = try Study(name: "library", storage: storage, direction: .maximize)
    let bare = try cli.run(["tune", "--storage", store, "--study", "library", "--worker"])
    #expect(bare.status != 0 && bare.error.contains("holds no `descent tune` settings"), "\(bare.error)")
    // Stored settings are input: each damaged value is refused as its flag would refuse it.
    let stored = try #require(try storage.settings(study: id))
    let damaged: [(String, String, String)] = [
      (
        #""sampler":"random""#, #""sampler":"bogus""#,
        #"stored "sampler": 'bogus' is not one of tpe, random, grid, cmaes, nsga2"#
      ),
      (#""limit":300"#, #""limit":-1"#, #"stored "limit": '-1' is not a whole number >= 1"#),
      (#""trials":3"#, #""trials":"three""#, #"its stored "trials" has the wrong type"#),
      (#""trials":3"#, #""trials":3,"#, "its stored settings are not JSON"),
    ]
    for (original, replacement, message) in damaged {
      #expect(stored.contains(original), "\(stored)")
      try storage.storeSettings(stored.replacingOccurrences(of: original, with: replacement), study: id)
      let refused = try cli.run(["tune", "--storage", store, "--study", "s", "--worker", "--output", folder])
      #expect(refused.status == 64 && refused.error.contains(message), "\(replacement): \(refused.error)")
    }
  }

  /// A worker that joins a study whose every trial is taken by another process ends with status 0
  /// and says so: no trial completed yet is not a failure while one still runs elsewhere (a
  /// population's worker finding every member running hit this in the PostgreSQL chaos test).
  @Test(.enabled(if: enabled, "Fashion-MNIST is not installed (dataset-fashion-mnist)"))
  func aWorkerWithNothingLeftToRunEndsCleanly() throws {
    let (folder, path) = try Self.space(
      #"{"epochs": 1000, "backend": "cpu", "hidden": [8], "learning-rate": {"float": [1e-3, 1e-1], "log": true}}"#)
    let store = "\(folder)/busy.sqlite"
    let create = try cli.run([
      "tune", "--space", path, "--storage", store, "--study", "s", "--trials", "1", "--limit", "3000", "--create",
    ])
    try #require(create.status == 0, "\(create.error)")
    let worker = ["tune", "--storage", store, "--study", "s", "--worker", "--output", folder]
    let busy = try Self.start(worker + ["--quiet"])
    defer {
      kill(busy.processIdentifier, SIGKILL)
      busy.waitUntilExit()
    }
    let storage = try SQLiteStorage(path: store)
    let id = try #require(try storage.studies().first?.id)
    let deadline = Date().addingTimeInterval(60)
    while try storage.trials(study: id).first?.state != .running && Date() < deadline {
      Thread.sleep(forTimeInterval: 0.05)
    }
    try #require(try storage.trials(study: id).first?.state == .running)
    let joined = try cli.run(worker)
    #expect(joined.status == 0, "\(joined.output) \(joined.error)")
    #expect(joined.output.contains("no trial completed yet: 1 still running in other workers"), "\(joined.output)")
    #expect(busy.isRunning)
  }

  /// `--sampler cmaes` runs a study, and a second one warm-started from it (stored with its
  /// settings, so a worker joining it starts the same way); an unknown source study is named.
  @Test(.enabled(if: enabled, "Fashion-MNIST is not installed (dataset-fashion-mnist)"))
  func cmaesStudiesAndWarmStarts() throws {
    let (folder, path) = try Self.space(Self.tiny)
    let base = ["tune", "--space", path, "--sampler", "cmaes", "--limit", "300", "--output", folder, "--quiet"]
    let first = try cli.run(base + ["--study", "first", "--trials", "6"])
    #expect(first.status == 0, "\(first.error)")
    let warm = try cli.run(base + ["--study", "second", "--trials", "3", "--warm-start", "first"])
    #expect(warm.status == 0, "\(warm.error)")
    let storage = try SQLiteStorage(path: "\(folder)/study.sqlite")
    for (name, count) in [("first", 6), ("second", 3)] {
      let id = try #require(try storage.studies().first { $0.name == name }?.id)
      let trials = try storage.trials(study: id)
      #expect(trials.count == count && trials.allSatisfy { $0.state == .complete }, "\(name): \(trials)")
    }
    let secondID = try #require(try storage.studies().first { $0.name == "second" }?.id)
    #expect(try storage.settings(study: secondID)?.contains(#""warmStart":"first""#) == true)
    let missing = try cli.run(base + ["--study", "third", "--warm-start", "nosuch"])
    #expect(
      missing.status != 0 && missing.error.contains("nosuch") && missing.error.contains("first"), "\(missing.error)")
  }

  /// `--objectives accuracy,parameters` with a constraint: NSGA-II, no pruning, a front of
  /// feasible trials printed and written (CSV, JSON with hypervolumes, SVG), `--show` prints it
  /// again, `--retrain --pick` names the front's trials when the pick is not one; flags that
  /// cannot rank several objectives are refused before any trial.
  @Test(.enabled(if: enabled, "Fashion-MNIST is not installed (dataset-fashion-mnist)"))
  func severalObjectivesMakeAParetoFront() throws {
    let (folder, path) = try Self.space(
      #"{"epochs": 1, "backend": "cpu", "hidden": {"layers": 1, "units": {"int": [4, 32]}}, "batch-size": 32, "#
        + #""learning-rate": {"float": [1e-3, 1e-1], "log": true}}"#)
    let base = [
      "tune", "--space", path, "--limit", "300", "--output", folder, "--objectives", "accuracy,parameters",
      "--constraints", "parameters<=20000", "--workers", "1",
    ]
    let run = try cli.run(base + ["--trials", "8"])
    #expect(run.status == 0, "\(run.error)")
    #expect(run.output.contains("nsga2 sampler, none pruner") && run.output.contains("Pareto front ("), "\(run.output)")
    #expect(run.output.contains("hypervolume after each 50 trials: "), "\(run.output)")
    let storage = try SQLiteStorage(path: "\(folder)/study.sqlite")
    let study = try #require(try storage.studies().first)
    #expect(study.directions == [.maximize, .minimize])
    let trials = try storage.trials(study: study.id)
    #expect(trials.count == 8 && trials.allSatisfy { $0.state == .complete && $0.values.count == 2 })
    // Each epoch reported both objectives (what --pruner pareto judges); the last equals the result.
    #expect(trials.allSatisfy { $0.intermediateValues[1] == $0.values }, "\(trials.map(\.intermediateValues))")
    for trial in trials {
      let units = try #require(trial.parameters["hidden.units.1"]?.number)
      #expect(trial.values[1] == 784 * units + units + units * 10 + 10)
      #expect(trial.constraints == [trial.values[1] - 20000])
    }
    let csv = try String(contentsOfFile: "\(folder)/pareto.csv", encoding: .utf8)
    #expect(csv.hasPrefix("number,accuracy,parameters,constraint_1,"), "\(csv)")
    let front = Pareto.front(trials, directions: [.maximize, .minimize])
    #expect(csv.split(separator: "\n").count == front.count + 1)
    #expect(try String(contentsOfFile: "\(folder)/pareto.svg", encoding: .utf8).hasPrefix("<svg"))
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(folder)/pareto.json")))
    #expect(((json as? [String: Any])?["hypervolumes"] as? [Double])?.count == 1)
    let show = try cli.run(["tune", "--show", "--storage", "\(folder)/study.sqlite", "--study", "default"])
    #expect(show.status == 0 && show.output.contains("Pareto front (\(front.count) of 8 trials)"), "\(show.error)")
    let notOnFront = trials.first { trial in !front.contains { $0.number == trial.number } }?.number ?? 99
    let pick = try cli.run(base + ["--trials", "9", "--retrain", "--pick", "\(notOnFront)"])
    #expect(pick.status == 64 && pick.error.contains("--pick \(notOnFront) is not on the front"), "\(pick.error)")
    for (arguments, message) in [
      (["--objectives", "accuracy,wings"], "--objectives: 'accuracy,wings' is not distinct names from accuracy"),
      (["--objectives", "accuracy,loss", "--sampler", "cmaes"], "--sampler cmaes ranks trials by one value"),
      (["--objectives", "accuracy,loss", "--pruner", "median"], "--pruner median judges one value"),
      (["--pruner", "pareto"], "--pruner pareto judges several objectives: give --objectives"),
      (["--objectives", "accuracy,loss", "--retrain"], "--retrain with several objectives needs --pick TRIAL"),
      (["--constraints", "parameters<200"], "--constraints: 'parameters<200' is not METRIC<=NUMBER"),
      (["--sampler", "nsga2"], "--sampler nsga2 searches several objectives"),
    ] {
      let result = try cli.run(["tune", "--space", path] + arguments)
      #expect(result.status == 64 && result.error.contains(message), "\(arguments): \(result.error)")
    }
  }

  /// `--pbt 4 --interval 2`: four members on two workers, each reporting at epochs 2 and 4; the
  /// bottom one copies a top one at epoch 2 and `--show` prints every member's schedule; flags
  /// and spaces PBT cannot run are refused naming why.
  @Test(.enabled(if: enabled, "Fashion-MNIST is not installed (dataset-fashion-mnist)"))
  func populationBasedTrainingRunsAndShowsLineages() throws {
    let (folder, path) = try Self.space(
      #"{"epochs": 4, "backend": "cpu", "hidden": [8], "batch-size": 32, "#
        + #""learning-rate": {"float": [1e-3, 1e-1], "log": true}, "dropout": {"float": [0, 0.3]}}"#)
    let run = try cli.run([
      "tune", "--space", path, "--pbt", "4", "--interval", "2", "--limit", "300", "--workers", "2", "--output", folder,
      "--quiet",
    ])
    #expect(run.status == 0, "\(run.error)")
    let storage = try SQLiteStorage(path: "\(folder)/study.sqlite")
    let id = try #require(try storage.studies().first?.id)
    let trials = try storage.trials(study: id)
    #expect(
      trials.count == 4 && trials.allSatisfy { $0.state == .complete && $0.intermediate.keys.sorted() == [2, 4] })
    let show = try cli.run(["tune", "--show", "--storage", "\(folder)/study.sqlite", "--study", "default"])
    let lines = show.output.split(separator: "\n").filter { $0.hasPrefix("member ") }
    #expect(lines.count == 4, "\(show.output)")
    #expect(lines.count { $0.contains("after epoch 2 copied member ") } == 1, "\(show.output)")
    for (arguments, message) in [
      (["--pbt", "4", "--trials", "5"], "--pbt 4 trains 4 members with its own schedule: leave out --trials"),
      (["--interval", "2"], "--interval is the epochs between PBT's copies: it needs --pbt N"),
      (["--pbt", "1"], "--pbt: '1' is not a whole number >= 2"),
    ] {
      let result = try cli.run(["tune", "--space", path] + arguments)
      #expect(result.status == 64 && result.error.contains(message), "\(arguments): \(result.error)")
    }
    for (json, message) in [
      (
        #"{"epochs": 2, "batch-size": {"choice": [32, 64]}, "dropout": {"float": [0, 0.3]}}"#,
        #"members share "batch-size""#
      ),
      (#"{"epochs": 2, "optimizer": {"choice": ["adam", "sgd"]}}"#, "--pbt perturbs learning-rate, momentum, dropout"),
    ] {
      let (other, space) = try Self.space(json)
      let result = try cli.run(["tune", "--space", space, "--pbt", "4", "--limit", "300", "--output", other])
      #expect(result.status == 64 && result.error.contains(message), "\(json): \(result.error)")
    }
  }

  /// Two processes on one study file share a grid: every point runs exactly once.
  @Test(.enabled(if: enabled, "Fashion-MNIST is not installed (dataset-fashion-mnist)"))
  func twoProcessesShareAGridWithoutDuplicates() throws {
    let (folder, path) = try Self.space(
      #"{"epochs": 1, "backend": "cpu", "hidden": [8], "learning-rate": {"choice": [0.001, 0.003, 0.01, 0.03, 0.1]}, "#
        + #""optimizer": {"choice": ["adam", "sgd"]}}"#
    )
    // No pruner: whether the median pruner stops a trial depends on which others finished first.
    let arguments = [
      "tune", "--space", path, "--sampler", "grid", "--trials", "100", "--pruner", "none", "--limit", "200",
      "--output", folder, "--quiet",
    ]
    let processes = try (0..<2).map { _ in try Self.start(arguments) }
    for process in processes {
      process.waitUntilExit()
      #expect(process.terminationStatus == 0)
    }
    let trials = try Study(storage: try SQLiteStorage(path: "\(folder)/study.sqlite"), direction: .maximize).trials()
    #expect(trials.count == 10)
    #expect(Set(trials.map(\.parameters)).count == 10)
    #expect(trials.allSatisfy { $0.state == .complete })
  }
}

/// A PostgreSQL URL whose server accepts the connection (the kernel completes the handshake) and
/// never answers (issue 31): the password is hidden from the process list meanwhile, and the wait
/// ends after the connect timeout.
struct SilentServerTests {
  /// A socket listening on 127.0.0.1 that never accepts or answers, and its port.
  static func silentServer() throws -> (socket: Int32, port: UInt16) {
    let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    try withUnsafeMutablePointer(to: &address) { pointer in
      try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        try #require(bind(listener, $0, length) == 0 && listen(listener, 4) == 0)
        try #require(getsockname(listener, $0, &length) == 0)
      }
    }
    return (listener, UInt16(bigEndian: address.sin_port))
  }

  /// libpq alone waits forever; Descent's default connect timeout (10 s) ends it with a message.
  @Test func aServerThatNeverAnswersTimesOut() throws {
    let (listener, port) = try Self.silentServer()
    defer { close(listener) }
    let process = Process()
    process.executableURL = Bundle.main.bundleURL.appendingPathComponent("descent")
    process.arguments = [
      "tune", "--storage", "postgresql://descent@127.0.0.1:\(port)/studies", "--study", "s", "--show",
    ]
    let error = Pipe()
    (process.standardOutput, process.standardError) = (FileHandle.nullDevice, error)
    try process.run()
    var waited = 0
    while process.isRunning && waited < 600 {  // 60 s: the 10 s timeout with room for a loaded machine
      usleep(100_000)
      waited += 1
    }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
    let message = String(decoding: error.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    #expect(process.terminationReason == .exit && process.terminationStatus == 1, "still waiting after 60 s")
    #expect(message.contains("cannot connect") && message.contains("timeout"), "\(message)")
  }

  @Test func aStoragePasswordIsHiddenFromTheProcessList() throws {
    let (listener, port) = try Self.silentServer()
    defer { close(listener) }
    let password = "TopSecret42"
    let process = try TuneCommandTests.start([
      "tune", "--storage", "postgresql://descent:\(password)@127.0.0.1:\(port)/studies", "--study", "s", "--show",
    ])
    defer {
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
    }
    var arguments = ""
    for _ in 0..<200 where !arguments.contains("xxxxxxxxxxx") {
      usleep(50_000)
      let bytes = FileManager.default.contents(atPath: "/proc/\(process.processIdentifier)/cmdline") ?? Data()
      arguments = String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\0", with: " ")
    }
    #expect(arguments.contains("postgresql://descent:xxxxxxxxxxx@127.0.0.1:\(port)/studies"), "\(arguments)")
    #expect(!arguments.contains(password), "\(arguments)")
  }
}
