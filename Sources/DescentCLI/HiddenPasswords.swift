import DescentTuning
import Foundation

/// Passwords given on the command line (`--storage postgresql://user:password@…`) are visible to
/// every local user in the process list while the command runs; like database clients, `descent`
/// overwrites them with `x` in its own argument memory at start. PGPASSWORD or ~/.pgpass keep them
/// off the command line altogether.
enum HiddenPasswords {
  /// Overwrites every password in this process's arguments (after they were read).
  static func overwriteInArguments() {
    for index in 1..<Int(CommandLine.argc) {
      guard let argument = CommandLine.unsafeArgv[index] else { continue }
      for password in ConnectionSecrets.passwords(in: String(cString: argument)) {
        let length = password.utf8.count
        var from = argument
        while let found = password.withCString({ strstr(from, $0) }) {
          memset(found, Int32(UInt8(ascii: "x")), length)
          from = found + length
        }
      }
    }
  }
}
