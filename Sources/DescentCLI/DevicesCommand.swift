import Descent
import DescentOpenCL
import Foundation

/// `descent devices`: the CPU backend (with how its code was compiled) and every OpenCL device,
/// numbered for `DESCENT_DEVICE`, with the kernels a backend on it would choose (see
/// `DESCENT_KERNEL_PROFILE`).
enum DevicesCommand {
  static func run() -> Int32 {
    let threads = Parallel.cores == 1 ? "1 thread" : "\(Parallel.cores) threads"
    print("cpu: pure-Swift backend, \(threads)\n  build: \(CPUBackend.buildDescription)")
    do {
      let devices = try OpenCLDevice.all()
      let chosen = try? OpenCLDevice.select(.automatic)
      for device in devices {
        let mark = device == chosen ? " (default)" : ""
        let backend = try OpenCLBackend(device: device)
        print(
          """
          opencl \(device.index): \(device.name)\(mark)
            platform: \(device.platform), vendor: \(device.vendor), type: \(device.kind.rawValue)
            version: \(device.version), driver \(device.driverVersion)
            compute units: \(device.computeUnits), global memory: \(megabytes(device.globalMemoryBytes)), \
          local memory: \(kilobytes(device.localMemoryBytes)), max work-group size: \(device.maxWorkGroupSize)
            kernels: \(backend.profile.rawValue) profile, \(backend.kernelChoices)
          """)
      }
      return 0
    } catch let error as OpenCLError where error.isConfiguration {
      FileHandle.standardError.write(Data("descent: \(error)\n".utf8))
      return ExitCode.usage
    } catch {
      print("opencl: \(error)")
      return ExitCode.noDevice
    }
  }

  static func megabytes(_ bytes: UInt64) -> String { "\(bytes / (1 << 20)) MiB" }
  static func kilobytes(_ bytes: UInt64) -> String { "\(bytes / (1 << 10)) KiB" }
}
