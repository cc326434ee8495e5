import Descent
import DescentOpenCL
import Foundation

/// `descent devices`: the CPU backend and every OpenCL device, numbered for `DESCENT_DEVICE`.
enum DevicesCommand {
  static func run() -> Int32 {
    print("cpu: pure-Swift backend, \(Parallel.threads) threads")
    do {
      let devices = try OpenCLDevice.all()
      let chosen = try? OpenCLDevice.select(.automatic)
      for device in devices {
        let mark = device == chosen ? " (default)" : ""
        print("""
          opencl \(device.index): \(device.name)\(mark)
            platform: \(device.platform), vendor: \(device.vendor), type: \(device.kind.rawValue)
            version: \(device.version), driver \(device.driverVersion)
            compute units: \(device.computeUnits), global memory: \(megabytes(device.globalMemoryBytes)), \
          local memory: \(kilobytes(device.localMemoryBytes)), max work-group size: \(device.maxWorkGroupSize)
          """)
      }
      return 0
    } catch {
      print("opencl: \(error)")
      return ExitCode.noDevice
    }
  }

  static func megabytes(_ bytes: UInt64) -> String { "\(bytes / (1 << 20)) MiB" }
  static func kilobytes(_ bytes: UInt64) -> String { "\(bytes / (1 << 10)) KiB" }
}
