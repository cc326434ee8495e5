import CommandFlags
import Descent
import DescentOpenCL
import Foundation

/// Exit codes, following BSD's sysexits.h.
enum ExitCode {
  static let failure: Int32 = 1
  static let usage: Int32 = 64
  static let noDevice: Int32 = 69
}

/// Dispatches to the subcommands.
enum CommandLineTool {
  static let usage = """
    usage: descent <command> [options]

    commands:
      devices            list the CPU backend and every OpenCL device
      check [--size N]   run an N×N×N GEMM (default 257) on every backend against a float64 product
      train [options]    train an MLP on Fashion-MNIST, IDX or CSV data and save the model (options below)
      tune [options]     search train's settings for the best validation accuracy (options below)
      ensemble --storage PATH|URL [--study NAME]   one model from a tune study's best trials (ensemble selection)
      automl --data PATH --time 10m        search, ensemble and export within a time budget
      predict --model FILE --input DATA      write the model's predictions as CSV
      evaluate --model FILE --input DATA     loss and accuracy with a confusion matrix, or MSE and MAE
      export --model FILE --format onnx      write the model as ONNX (opset 17)
      help               show this text

    train options:
    \(TrainConfiguration.help)

    tune options:
    \(TuneCommand.help)

    \(environment)
    (`descent COMMAND --help` shows one command's options.)
    """

  static func run(_ arguments: [String]) throws -> Int32 {
    guard let command = arguments.first else {
      print(usage)
      return 0
    }
    let options = Array(arguments.dropFirst())
    if options.contains("--help") || options.contains("-h"), let help = help(command) {
      print(help)
      return 0
    }
    switch command {
    case "devices":
      try expectNoOptions(options, command)
      return DevicesCommand.run()
    case "check":
      return try CheckCommand(options).run()
    case "train":
      return try TrainCommand(options).run()
    case "tune":
      return try TuneCommand(options).run()
    case "ensemble":
      return try EnsembleCommand(options).run()
    case "automl":
      return try AutoMLCommand(options).run()
    case "predict":
      return try PredictCommand(options).run()
    case "evaluate":
      return try EvaluateCommand(options).run()
    case "export":
      return try ExportCommand(options).run()
    case "help", "--help", "-h":
      print(usage)
      return 0
    default:
      throw UsageError(message: "unknown command '\(command)'")
    }
  }

  static let environment = """
    environment:
      DESCENT_DEVICE     the OpenCL device to use: an index from `descent devices` or part of a name
      DESCENT_KERNEL_PROFILE
                         gpu or cpu: choose OpenCL kernels as for that type of device (default: the
                         device's own type), e.g. gpu to run the GPU code path on PoCL
    """

  /// `descent COMMAND --help`: the command's own usage and options, or nil for an unknown command.
  static func help(_ command: String) -> String? {
    switch command {
    case "devices":
      "usage: descent devices\n\nLists the CPU backend and every OpenCL device, numbered for DESCENT_DEVICE, with the "
        + "kernels each would use.\n\n\(environment)"
    case "check":
      "usage: descent check [--size N]\n\nRuns an N×N×N GEMM (default 257, at most 4096) on every backend against a "
        + "float64 product.\n\n\(environment)"
    case "train": "usage: descent train [options]\n\noptions:\n\(TrainConfiguration.help)\n\n\(environment)"
    case "tune": "usage: descent tune [options]\n\noptions:\n\(TuneCommand.help)\n\n\(environment)"
    case "automl":
      "usage: descent automl --data PATH [--label COLUMN] --time 10m [options]\n\nFits a search space to the data, "
        + "runs a `descent tune` study for 85% of the budget, builds an ensemble of its best trials and writes it "
        + "as a model file and as ONNX.\n\noptions:\n\(AutoMLCommand.help)\n\n\(environment)"
    case "ensemble":
      "usage: descent ensemble --storage PATH|URL [--study NAME] [options]\n\nBuilds one model from a `descent tune` "
        + "study's best trials: Caruana's greedy ensemble selection with replacement on their validation "
        + "predictions.\n\noptions:\n\(EnsembleCommand.help)"
    case "predict":
      "usage: descent predict --model FILE --input DATA [options]\n\nWrites one CSV row per input row: the predicted "
        + "class (and name) or value.\n\noptions:\n\(PredictCommand.help)\n\n\(environment)"
    case "evaluate":
      "usage: descent evaluate --model FILE --input DATA [options]\n\nPrints the loss and accuracy with a confusion "
        + "matrix (drawn as SVG too), or MSE and MAE for "
        + "regression.\n\noptions:\n\(EvaluateCommand.help)\n\n\(environment)"
    case "export":
      "usage: descent export --model FILE --format onnx --output model.onnx\n\nWrites the model, its preprocessing "
        + "included, as an ONNX model (opset 17) with a dynamic batch dimension.\n\noptions:\n\(ExportCommand.help)"
    case "help", "--help", "-h": usage
    default: nil
    }
  }

  static func expectNoOptions(_ options: [String], _ command: String) throws {
    if let first = options.first {
      throw UsageError(message: "'\(command)' takes no options, got '\(first)'")
    }
  }

  /// Writes `descent: warning: <message>` to standard error: something the user should know that
  /// does not stop the command.
  static func warn(_ message: String) {
    FileHandle.standardError.write(Data("descent: warning: \(message)\n".utf8))
  }
}
