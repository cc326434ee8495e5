import Descent
import DescentOpenCL
import Foundation

// The `descent` command line: parse, validate, call Descent, print.
let arguments = Array(CommandLine.arguments.dropFirst())
let status: Int32
do {
  status = try CommandLineTool.run(arguments)
} catch let error as UsageError {
  FileHandle.standardError.write(Data("descent: \(error.message)\n\n\(CommandLineTool.usage)\n".utf8))
  status = ExitCode.usage
} catch {
  FileHandle.standardError.write(Data("descent: \(error)\n".utf8))
  status = ExitCode.failure
}
exit(status)
