import CommandFlags
import CPUFeatures
import Descent
import DescentOpenCL
import Foundation

// The `descent` command line: parse, validate, call Descent, print.
let arguments = Array(CommandLine.arguments.dropFirst())
HiddenPasswords.overwriteInArguments()
let status: Int32
let missing = CPUFeatures.missing
if !missing.isEmpty {
  FileHandle.standardError.write(
    Data(
      """
      descent: this build uses \(missing.joined(separator: ", ")), which this CPU lacks (the core was \
      compiled with DESCENT_TARGET_CPU for another machine's CPU); rebuild without it for any x86-64 CPU

      """.utf8))
  exit(ExitCode.noDevice)
}
do {
  status = try CommandLineTool.run(arguments)
} catch let error as UsageError {
  // A known command's mistake points at that command's help; anything else shows the overview.
  let command = arguments.first.flatMap { CommandLineTool.help($0) == nil || $0 == "help" ? nil : $0 }
  let hint = command.map { "(`descent \($0) --help` lists its options)" } ?? CommandLineTool.usage
  FileHandle.standardError.write(Data("descent: \(error.message)\n\n\(hint)\n".utf8))
  status = ExitCode.usage
} catch {
  FileHandle.standardError.write(Data("descent: \(error)\n".utf8))
  status = ExitCode.failure
}
exit(status)
