import Foundation
import Testing

/// `descent train`: argument errors, a config file with flags on top, outputs, and resuming.
struct TrainCommandTests {
  let cli = CommandLineTests()
  static let dataInstalled = FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")
  static let ci = ProcessInfo.processInfo.environment["CI"] == "true"

  @Test func badArgumentsGetTheUsageAndExit64() throws {
    let cases: [([String], String)] = [
      (["--bogus", "1"], "descent: unknown option '--bogus' for 'train'"),
      (["--bogus"], "descent: unknown option '--bogus' for 'train'"),
      (["--dropout", "1.5"], "descent: --dropout: '1.5' is not a rate in [0, 1)"),
      (["--epochs"], "descent: --epochs needs a value"),
      (["--optimizer", "lion"], "descent: --optimizer: 'lion' is not one of sgd, adagrad, rmsprop, adam, adamw"),
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
      #expect(result.error.contains("train options:"), "\(arguments): the usage follows the message")
    }
  }

  @Test func configFileKeysAreCheckedLikeFlags() throws {
    let folder = try Self.temporaryFolder()
    let config = "\(folder)/config.json"
    try Data(#"{"epochs": 2, "learning-rate": -1}"#.utf8).write(to: URL(fileURLWithPath: config))
    let result = try cli.run(["train", "--config", config])
    #expect(result.status == 64)
    #expect(result.error.hasPrefix("descent: \(config): \"learning-rate\": '-1' is not a positive number"), "\(result.error)")
  }

  @Test func missingDataSaysHowToInstallIt() throws {
    let result = try cli.run(["train", "--data", "/nonexistent", "--quiet"])
    #expect(result.status == 1)
    #expect(result.error.contains("Fashion-MNIST not found at /nonexistent/train-images-idx3-ubyte[.gz]"))
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

    let resumed = try cli.run(["train", "--config", config, "--output", folder, "--checkpoint", checkpoint,
                               "--resume", "--epochs", "2"])
    #expect(resumed.status == 0, "\(resumed.error)")
    // Not a terminal: plain lines, no redrawn bar.
    #expect(resumed.output.contains("resumed from \(checkpoint) after epoch 1\n"), "\(resumed.output)")
    #expect(resumed.output.contains("\nepoch 2/2  loss "), "\(resumed.output)")
    #expect(!resumed.output.contains("\r"))
    let lines = try String(contentsOfFile: "\(folder)/history.csv", encoding: .utf8).split(separator: "\n")
    #expect(lines.count == 3 && lines[1].hasPrefix("1,") && lines[2].hasPrefix("2,"), "\(lines)")
  }

  static func temporaryFolder() throws -> String {
    let path = NSTemporaryDirectory() + "descent-cli-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }
}
