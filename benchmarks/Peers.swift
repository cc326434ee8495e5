import Foundation

/// The Python peers in `benchmarks/peers/`, run when their imports work; the test suite never
/// depends on them.
enum Peers {
  /// Runs `python3 peers/<script> arguments…` and decodes the JSON on its last output line, or
  /// returns why it could not.
  static func run(_ script: String, _ arguments: [String], folder: String) -> Result<Any, PeerError> {
    runProcess("/usr/bin/env", ["python3", "\(folder)/peers/\(script)"] + arguments, folder: "\(folder)/peers")
  }

  /// Runs `executable arguments…` in `folder` and decodes the JSON on its last output line, or
  /// returns why it could not (the last line of its standard error).
  static func runProcess(_ executable: String, _ arguments: [String], folder: String) -> Result<Any, PeerError> {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: folder)
    let (output, error) = (Pipe(), Pipe())
    process.standardOutput = output
    process.standardError = error
    do {
      try process.run()
    } catch {
      return .failure(PeerError(reason: "cannot start \(arguments.first ?? executable): \(error)"))
    }
    let out = output.fileHandleForReading.readDataToEndOfFile()
    let err = error.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let lastLine = String(decoding: out, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
    guard process.terminationStatus == 0, let json = try? JSONSerialization.jsonObject(with: Data(lastLine.utf8)) else {
      let reason = String(decoding: err, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? "no output"
      return .failure(PeerError(reason: reason))
    }
    return .success(json)
  }

  struct PeerError: Error {
    let reason: String
  }
}
