import Descent
@testable import DescentCLI
import Foundation
import TestSupport
import Testing

/// `descent train`: argument errors, a config file with flags on top, outputs, and resuming.
struct TrainCommandTests {
  let cli = CommandLineTests()
  static let dataInstalled = FileManager.default.fileExists(
    atPath: "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")
  static let ci = ProcessInfo.processInfo.environment["CI"] == "true"

  @Test func badArgumentsGetTheUsageAndExit64() throws {
    let cases: [([String], String)] = [
      (["--bogus", "1"], "descent: unknown option '--bogus' for 'train'"),
      (["--bogus"], "descent: unknown option '--bogus' for 'train'"),
      (["--dropout", "1.5"], "descent: --dropout: '1.5' is not a rate in [0, 1)"),
      (["--epochs"], "descent: --epochs needs a value"),
      (
        ["--optimizer", "lamb"],
        "descent: --optimizer: 'lamb' is not one of \(OptimizerChoices.all.map(\.name).joined(separator: ", "))"
      ),
      (["--optimizer", "adam", "--nesterov"], "descent: --nesterov does not apply to --optimizer adam (its flags: "),
      (["--epochs", "2", "--epochs", "3"], "descent: --epochs is given twice"),
      (["--beta1", "1.5"], "descent: --beta1: '1.5' is out of range for --optimizer adam (allowed: [0, 1))"),
      (["--schedule", "step:0,0.5"], "descent: --schedule: 'step:0,0.5' is not a schedule"),
      (["--schedule", "multistep:3;x,0.1"], "descent: --schedule: 'multistep:3;x,0.1' is not a schedule"),
      (["--penalty", "l3:1"], "descent: --penalty: 'l3:1' is not l1:L, l2:L or elastic:L1,L2 with L >= 0"),
      (["stray"], "descent: unexpected argument 'stray' for 'train'"),
      (["--config", "/nonexistent.json"], "descent: --config: cannot read /nonexistent.json"),
    ]
    for (arguments, message) in cases {
      let result = try cli.run(["train"] + arguments)
      #expect(result.status == 64, "\(arguments): \(result.error)")
      #expect(result.error.hasPrefix(message), "\(arguments): \(result.error)")
      #expect(
        result.error.hasSuffix("\n\n(`descent train --help` lists its options)\n"),
        "\(arguments): the hint follows the message")
    }
  }

  @Test func configFileKeysAreCheckedLikeFlags() throws {
    let folder = try Self.temporaryFolder()
    let config = "\(folder)/config.json"
    try Data(#"{"epochs": 2, "learning-rate": -1}"#.utf8).write(to: URL(fileURLWithPath: config))
    let result = try cli.run(["train", "--config", config])
    #expect(result.status == 64)
    #expect(
      result.error.hasPrefix("descent: \(config): \"learning-rate\": '-1' is not a number >= 0"), "\(result.error)")
  }

  @Test func missingDataSaysHowToInstallIt() throws {
    let result = try cli.run(["train", "--data", "/nonexistent", "--quiet"])
    #expect(result.status == 1)
    #expect(
      result.error.contains(
        "the train images file not found at /nonexistent/{train-images-idx3-ubyte,train-images.idx3-ubyte}[.gz]"),
      "\(result.error)")
    #expect(result.error.contains("apt-get install dataset-fashion-mnist"))
  }

  /// A config file sets a tiny run, flags add outputs; a second call resumes to 2 epochs.
  @Test(.enabled(if: dataInstalled || ci, "Fashion-MNIST is not installed (dataset-fashion-mnist)"))
  func aTinyRunWritesOutputsAndResumes() throws {
    let folder = try Self.temporaryFolder()
    let config = "\(folder)/config.json"
    try Data(#"{"hidden": [16], "epochs": 1, "limit": 300, "backend": "cpu"}"#.utf8)
      .write(to: URL(fileURLWithPath: config))
    let checkpoint = "\(folder)/checkpoints/run.safetensors"
    let first = try cli.run(["train", "--config", config, "--output", folder, "--checkpoint", checkpoint, "--quiet"])
    #expect(first.status == 0, "\(first.error)")
    #expect(first.output.hasPrefix("test accuracy "), "\(first.output)")
    for file in ["history.csv", "history.json", "history.svg", "weights.safetensors"] {
      #expect(FileManager.default.fileExists(atPath: "\(folder)/\(file)"), "\(file) missing")
    }
    #expect(try String(contentsOfFile: "\(folder)/history.svg", encoding: .utf8).hasPrefix("<svg"))
    let csv = try String(contentsOfFile: "\(folder)/history.csv", encoding: .utf8).split(separator: "\n")
    #expect(csv.first == "epoch,loss,accuracy,validation loss,validation accuracy,learning rate,seconds")
    #expect(csv.count == 2)

    let resumed = try cli.run([
      "train", "--config", config, "--output", folder, "--checkpoint", checkpoint,
      "--resume", "--epochs", "2",
    ])
    #expect(resumed.status == 0, "\(resumed.error)")
    // Not a terminal: plain lines, no redrawn bar.
    #expect(resumed.output.contains("resumed from \(checkpoint) after epoch 1\n"), "\(resumed.output)")
    #expect(resumed.output.contains("\nepoch 2/2  loss "), "\(resumed.output)")
    #expect(!resumed.output.contains("\r"))
    let lines = try String(contentsOfFile: "\(folder)/history.csv", encoding: .utf8).split(separator: "\n")
    #expect(lines.count == 3 && lines[1].hasPrefix("1,") && lines[2].hasPrefix("2,"), "\(lines)")
  }

  /// A device selector that matches nothing, or one the CPU backend would ignore, is an error.
  @Test func deviceSelectorsThatSelectNothingAreErrors() throws {
    let ignored = try cli.run(["train", "--backend", "cpu", "--device", "0"])
    #expect(ignored.status == 64)
    #expect(ignored.error.hasPrefix("descent: --device 0 chooses an OpenCL device, but --backend cpu uses none"))
    let ignoredEnvironment = try cli.run(["train", "--backend", "cpu"], environment: ["DESCENT_DEVICE": "pocl"])
    #expect(
      ignoredEnvironment.error.hasPrefix("descent: DESCENT_DEVICE=pocl chooses an OpenCL device, but --backend cpu"))
    let unknown = try cli.run(["train", "--data", "/nonexistent"], environment: ["DESCENT_DEVICE": "no-such-gpu"])
    #expect(unknown.status != 0)
    #expect(
      unknown.error.contains("no OpenCL device matches \"no-such-gpu\"")
        || unknown.error.contains("no OpenCL platform"),
      "\(unknown.error)")
  }

  /// Outputs are checked before any work: a checkpoint that is an output file, and an output
  /// folder that cannot be created, fail at once naming the paths (no data is loaded first).
  @Test func outputsAreCheckedBeforeTraining() throws {
    let folder = try Self.temporaryFolder()
    let clash = try cli.run([
      "train", "--data", "/nonexistent", "--output", folder,
      "--checkpoint", "\(folder)/./weights.safetensors",
    ])
    #expect(clash.status == 64)
    #expect(
      clash.error.hasPrefix(
        "descent: --checkpoint \(folder)/./weights.safetensors is the output file \(folder)/weights.safetensors"),
      "\(clash.error)")
    #expect(FileManager.default.createFile(atPath: "\(folder)/plain-file", contents: Data()))
    let blocked = try cli.run(["train", "--data", "/nonexistent", "--output", "\(folder)/plain-file/out"])
    #expect(blocked.status == 1)
    #expect(
      blocked.error == "descent: \(folder)/plain-file/out: cannot write: cannot create the folder (Not a directory)\n",
      "\(blocked.error)")
  }

  /// Labels outside the classes are named by data set, file and row before training, not reported
  /// later as a NaN loss with advice about the learning rate.
  @Test func outOfRangeLabelsAreNamedBeforeTraining() throws {
    let folder = try Self.temporaryFolder()
    try Self.writeTinyFashionMNIST(rows: 4, to: folder, testLabels: [0, 1, 12, 2])
    let result = try cli.run([
      "train", "--data", folder, "--output", "\(folder)/out", "--backend", "cpu", "--epochs", "1",
      "--validation", "0", "--classes", "10", "--quiet",
    ])
    #expect(result.status == 1)
    #expect(
      result.error
        == "descent: \(folder)/t10k-labels-idx1-ubyte: row 2 has target 12.0, expected a class index below 10\n",
      "\(result.error)")
    #expect(
      !FileManager.default.fileExists(atPath: "\(folder)/out/history.csv"), "trained before checking the test labels")
  }

  /// A model too large for the process's address space (as under a container's limit, here
  /// `ulimit -v`) is a clear error wherever the limit falls: the parameters, the model's buffer of
  /// all values, the products' scratch, a download, the saved file. Never a trap.
  @Test(arguments: [700_000, 1_300_000, 2_300_000])
  func allocationsPastTheAddressSpaceAreErrors(kilobytes: Int) throws {
    let folder = try Self.temporaryFolder()
    let header = (0..<64).map { "f\($0)" }.joined(separator: ",") + ",y\n"
    let rows = (0..<16).map { row in (0..<64).map { "\(($0 * 7 + row) % 10)" }.joined(separator: ",") + ",\(row % 2)\n"
    }
    try Data((header + rows.joined()).utf8).write(to: URL(fileURLWithPath: "\(folder)/wide.csv"))
    let binary = Bundle.main.bundleURL.appendingPathComponent("descent").path
    let result = try cli.run(
      [
        "train", "--data", "\(folder)/wide.csv", "--validation", "0", "--hidden", "2000000", "--batch-size", "16",
        "--epochs", "1", "--optimizer", "sgd", "--momentum", "0", "--backend", "cpu", "--output", "\(folder)/run",
        "--quiet",
      ], as: ["/bin/sh", "-c", "ulimit -v \(kilobytes) && exec \"$0\" \"$@\"", binary])
    #expect(result.status == 0 || result.status == 1, "signal or trap: \(result.status) \(result.error.prefix(300))")
    #expect(result.status == 0 || result.error.hasPrefix("descent: cannot allocate "), "\(result.error.prefix(300))")
    // 2 million units of 64 inputs are 1 GB of values and gradients: more than 700 MB can hold.
    #expect(kilobytes > 700_000 || result.status == 1)
  }

  /// Labels are class indices: one past the class limit is refused naming its line before any
  /// memory is taken for the layer (a label of 16 777 215 made a 1.1 GB model); a model of more
  /// classes than a confusion matrix is drawn for is evaluated without one.
  @Test func classCountsAreBounded() throws {
    let folder = try Self.temporaryFolder()
    let csv = "x,label\n" + (0...100).map { "\(Double($0) / 100),\($0)\n" }.joined()
    try Data(csv.utf8).write(to: URL(fileURLWithPath: "\(folder)/many.csv"))
    let huge = "x,label\n0.5,1\n0.25,16777215\n" + (0..<8).map { "0.\($0),\($0 % 2)\n" }.joined()
    try Data(huge.utf8).write(to: URL(fileURLWithPath: "\(folder)/huge.csv"))
    let refused = try cli.run(["train", "--data", "\(folder)/huge.csv", "--output", "\(folder)/huge", "--quiet"])
    #expect(refused.status == 1 && refused.error.contains("huge.csv:3"), "\(refused.error)")
    #expect(refused.error.contains("at most 100000 classes"), "\(refused.error)")
    let many = try cli.run([
      "train", "--data", "\(folder)/many.csv", "--output", "\(folder)/many", "--hidden", "", "--epochs", "1",
      "--validation", "0", "--test-data", "\(folder)/many.csv", "--backend", "cpu", "--quiet",
    ])
    #expect(many.status == 0, "\(many.error)")
    let evaluated = try cli.run([
      "evaluate", "--model", "\(folder)/many/weights.safetensors", "--input", "\(folder)/many.csv",
      "--svg", "\(folder)/matrix.svg",
    ])
    #expect(evaluated.status == 0, "\(evaluated.error)")
    #expect(evaluated.output.contains("no confusion matrix: 101 classes"), "\(evaluated.output)")
    #expect(!FileManager.default.fileExists(atPath: "\(folder)/matrix.svg"))
  }

  /// Runs killed with SIGKILL 16 times while they write a checkpoint every epoch, driven by
  /// progress, never by the clock (a loaded machine only makes it slower): even rounds kill a
  /// seeded 0–20 ms after a checkpoint write finished, odd rounds a seeded 0–2 ms after seeing one
  /// under way (its temporary file). Each time the checkpoint left is a complete file the next run
  /// resumes from: each even round saw an epoch written, so a run that does not resume leaves
  /// fewer than 8 epochs behind, and a writer that is not atomic leaves a checkpoint the next run
  /// cannot load. The temporary files of killed writes are gone after the next good write.
  @Test func killedRunsLeaveAResumableCheckpoint() throws {
    let folder = try Self.temporaryFolder()
    try Self.writeTinyFashionMNIST(rows: 8, to: folder)
    let checkpoint = "\(folder)/checkpoints/run.safetensors"
    let arguments = [
      "train", "--data", folder, "--output", "\(folder)/out", "--checkpoint", checkpoint, "--resume",
      "--backend", "cpu", "--hidden", "256", "--validation", "0", "--quiet",
    ]
    let seed = TestSeed.make()
    var random = Mutator(seed: seed)
    var killsDuringWrites = 0
    func stamp() -> String {
      let attributes = try? FileManager.default.attributesOfItem(atPath: checkpoint)
      return "\(attributes?[.size] ?? -1) \(attributes?[.modificationDate] ?? "none")"
    }
    for round in 0..<16 {
      let process = Process()
      process.executableURL = Bundle.main.bundleURL.appendingPathComponent("descent")
      process.arguments = arguments + ["--epochs", "1000000"]
      process.standardOutput = FileHandle.nullDevice
      let errors = Pipe()
      process.standardError = errors
      let before = stamp()
      try process.run()
      let temporary = "\(folder)/checkpoints/.run.safetensors.\(process.processIdentifier).tmp"
      let writing = { FileManager.default.fileExists(atPath: temporary) }
      // Generous: progress, not speed, decides; only a run that never writes waits this long.
      let deadline = Date().addingTimeInterval(120)
      var progressed = false, sawWrite = false
      while process.isRunning, Date() < deadline {
        sawWrite = round % 2 == 1 && writing()
        progressed = round % 2 == 0 ? stamp() != before && !writing() : sawWrite || stamp() != before
        if progressed { break }
        usleep(100)
      }
      #expect(progressed, "round \(round): no checkpoint write began within 120 s; \(TestSeed.replay(seed))")
      killsDuringWrites += sawWrite ? 1 : 0
      usleep(UInt32.random(in: 0...(round % 2 == 0 ? 20_000 : 2_000), using: &random))
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
      let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      #expect(
        process.terminationReason == .uncaughtSignal,
        "round \(round) ended by itself: \(message); \(TestSeed.replay(seed))")
    }
    // Odd rounds catch a write under way (8 of 8 here) and kill within 2 ms: atomicity is what they
    // test. A writer without a temporary file is never caught.
    #expect(
      killsDuringWrites >= 2, "\(killsDuringWrites) of 8 odd rounds saw a write under way; \(TestSeed.replay(seed))")
    // Each killed run resumed from what the one before left; a last run finishes one more epoch.
    let last = try cli.run(arguments + ["--epochs", "1"])  // ≤ the epochs done: resumes and stops at once
    #expect(last.status == 0, "\(last.error); \(TestSeed.replay(seed))")
    let epochs =
      try String(contentsOfFile: "\(folder)/out/history.csv", encoding: .utf8).split(separator: "\n").count - 1
    #expect(epochs >= 8, "\(epochs) epochs over 16 killed runs: the runs did not resume; \(TestSeed.replay(seed))")
    let finish = try cli.run(arguments + ["--epochs", "\(epochs + 1)"])
    #expect(finish.status == 0, "\(finish.error); \(TestSeed.replay(seed))")
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: "\(folder)/checkpoints").filter {
      $0.hasSuffix(".tmp")
    }
    #expect(leftovers.isEmpty, "temporary files survived a good write: \(leftovers)")
  }

  /// A batch larger than the data is all of it: the largest Int trains one batch an epoch (it
  /// trapped on overflow in fit's batch arithmetic, issue 31).
  @Test func aBatchLargerThanTheDataIsAllOfIt() throws {
    let folder = try Self.temporaryFolder()
    try Self.writeTinyFashionMNIST(rows: 8, to: folder)
    let result = try cli.run([
      "train", "--data", folder, "--output", "\(folder)/out", "--backend", "cpu", "--hidden", "4", "--epochs", "2",
      "--batch-size", "\(Int.max)", "--validation", "0", "--quiet",
    ])
    #expect(result.status == 0, "\(result.error)")
  }

  /// A checkpoint of the previous format (`descent-checkpoint-1`, which stored the optimizer as its
  /// description), written by `descent train` before the format changed (Fixtures/, with its CSV):
  /// the same command resumes it and trains a third epoch, writing the current format; other
  /// optimizer settings are refused naming the setting.
  @Test func aCheckpointOfThePreviousFormatResumes() throws {
    let fixtures = TrainCommandTests.fixtures
    let folder = try Self.temporaryFolder()
    try FileManager.default.copyItem(
      atPath: "\(fixtures)/checkpoint-v1.safetensors", toPath: "\(folder)/checkpoint.safetensors")
    let arguments = [
      "train", "--data", "\(fixtures)/checkpoint-v1.csv", "--label", "kind", "--hidden", "5", "--optimizer", "adam",
      "--batch-size", "8", "--backend", "cpu", "--seed", "7", "--checkpoint", "\(folder)/checkpoint.safetensors",
      "--resume", "--output", "\(folder)/out", "--quiet",
    ]
    let refused = try cli.run(arguments + ["--weight-decay", "0.02", "--epochs", "3"])
    #expect(refused.status != 0)
    #expect(
      refused.error.contains("the checkpoint's Adam weightDecay is 0.01, this trainer's is 0.02"), "\(refused.error)")
    let resumed = try cli.run(arguments + ["--weight-decay", "0.01", "--epochs", "3"])
    #expect(resumed.status == 0, "\(resumed.error)")
    let history = try String(contentsOfFile: "\(folder)/out/history.csv", encoding: .utf8).split(separator: "\n")
    #expect(history.count == 4, "two epochs from the checkpoint and one more: \(history)")
    let bytes = try Data(contentsOf: URL(fileURLWithPath: "\(folder)/checkpoint.safetensors"))
    #expect(String(decoding: bytes.prefix(4096), as: UTF8.self).contains("descent-checkpoint-2"))
  }

  /// Fashion-MNIST's four IDX files with `rows` 28×28 images in each split, labels 0...9 (or
  /// `testLabels` for the test split).
  static func writeTinyFashionMNIST(rows: Int, to folder: String, testLabels: [UInt8]? = nil) throws {
    for split in ["train", "t10k"] {
      try IDXFile.write(
        (0..<rows * 784).map { UInt8($0 * 7 % 256) }, dimensions: [rows, 28, 28],
        to: "\(folder)/\(split)-images-idx3-ubyte")
      let labels = (split == "t10k" ? testLabels : nil) ?? (0..<rows).map { UInt8($0 % 10) }
      try IDXFile.write(
        labels, dimensions: [rows],
        to: "\(folder)/\(split)-labels-idx1-ubyte")
    }
  }

  /// Tests/DescentCLITests/Fixtures: files the tests read by path (a checkpoint of the first format
  /// and the CSV it was trained on; penguins.csv, text labels, by make-penguins.py).
  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    .path

  static func temporaryFolder() throws -> String {
    let path = NSTemporaryDirectory() + "descent-cli-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }
}
