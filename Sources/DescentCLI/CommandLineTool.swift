import Descent
import DescentOpenCL
import Foundation

/// Exit codes, following BSD's sysexits.h.
enum ExitCode {
  static let failure: Int32 = 1
  static let usage: Int32 = 64
  static let noDevice: Int32 = 69
}

/// A mistake in the command line, reported with the usage text.
struct UsageError: Error {
  let message: String
  /// Whether the mistake is an option the command does not have.
  var isUnknownOption = false
}

/// Dispatches to the subcommands.
enum CommandLineTool {
  static let usage = """
    usage: descent <command> [options]

    commands:
      devices            list the CPU backend and every OpenCL device
      check [--size N]   run an N×N×N GEMM (default 257) on every backend against a float64 product
      train [options]    train an MLP on Fashion-MNIST and print its test accuracy (options below)
      tune [options]     search train's settings for the best validation accuracy (options below)
      help               show this text

    train options:
    \(TrainConfiguration.help)

    tune options:
    \(TuneCommand.help)

    environment:
      DESCENT_DEVICE     the OpenCL device to use: an index from `descent devices` or part of a name
      DESCENT_KERNEL_PROFILE
                         gpu or cpu: choose OpenCL kernels as for that type of device (default: the
                         device's own type), e.g. gpu to run the GPU code path on PoCL
    """

  static func run(_ arguments: [String]) throws -> Int32 {
    guard let command = arguments.first else {
      print(usage)
      return 0
    }
    let options = Array(arguments.dropFirst())
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
    case "help", "--help", "-h":
      print(usage)
      return 0
    default:
      throw UsageError(message: "unknown command '\(command)'")
    }
  }

  static func expectNoOptions(_ options: [String], _ command: String) throws {
    if let first = options.first {
      throw UsageError(message: "'\(command)' takes no options, got '\(first)'")
    }
  }
}
