import Descent
import DescentOpenCL
import Foundation

/// The backends the suites run on: the CPU always, OpenCL on every device the drivers list.
enum TestBackends {
  static let cpu = CPUBackend()

  /// One backend per OpenCL device; empty when there is no driver or device.
  static let openCL: [OpenCLBackend] = {
    guard let devices = try? OpenCLDevice.all() else { return [] }
    return devices.compactMap { try? OpenCLBackend(device: $0) }
  }()

  /// Why there is no OpenCL backend, for the skip line.
  static let openCLUnavailableReason: String = {
    do {
      let devices = try OpenCLDevice.all()
      return devices.isEmpty ? "the OpenCL drivers list no device" : "no OpenCL device could be opened"
    } catch {
      return "\(error)"
    }
  }()

  /// CI must run the parity suite on OpenCL (PoCL), so a missing device fails there.
  static let requireOpenCL = ProcessInfo.processInfo.environment["CI"] == "true"
}
