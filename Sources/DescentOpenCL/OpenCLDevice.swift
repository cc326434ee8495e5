import COpenCL
import Foundation

/// One OpenCL device as the driver describes it.
public struct OpenCLDevice: Sendable, Hashable, CustomStringConvertible {
  /// The position in ``all()``: platforms in driver order, each platform's devices in order.
  public let index: Int
  public let platform: String
  public let name: String
  public let vendor: String
  /// The device's OpenCL version string, `"OpenCL 3.0 PoCL …"`.
  public let version: String
  public let driverVersion: String
  public let kind: Kind
  public let computeUnits: Int
  public let globalMemoryBytes: UInt64
  public let localMemoryBytes: UInt64
  public let maxWorkGroupSize: Int
  /// `CL_DEVICE_MEM_BASE_ADDR_ALIGN` in bytes (the driver gives bits): where a sub-buffer may start.
  public let baseAddressAlignment: Int
  /// Whether single-precision fused multiply-add runs in hardware (`CL_FP_FMA` without
  /// `CL_FP_SOFT_FLOAT` in `CL_DEVICE_SINGLE_FP_CONFIG`); kernels are built with `-DHARDWARE_FMA` then.
  public let hasHardwareFMA: Bool
  /// The platform's position in `clGetPlatformIDs`' list and the device's in its platform's
  /// `clGetDeviceIDs` list (what other OpenCL tools take as `-platform` and `-device`).
  public let platformIndex: Int, indexInPlatform: Int
  /// The raw `cl_device_id`, stored as an integer so the description is `Sendable`.
  let idBits: UInt

  /// What the driver says the device is.
  public enum Kind: String, Sendable {
    case gpu, cpu, accelerator, other
  }

  /// The raw `cl_device_id`, for other OpenCL libraries used beside this one (CLBlast in benchmarks/).
  public var id: cl_device_id { cl_device_id(bitPattern: idBits)! }

  public var description: String { "\(name) (\(platform))" }

  /// Every device of every platform. Throws ``OpenCLError/noPlatform(status:)`` when no OpenCL
  /// driver is installed.
  public static func all() throws -> [OpenCLDevice] {
    // The ICD loader (ocl-icd 2.3) loads its vendor list lazily on the first call without a lock:
    // two threads enumerating at once crashed it (strlen(NULL)), so enumeration is serialised.
    enumerationLock.lock()
    defer { enumerationLock.unlock() }
    var platformCount: cl_uint = 0
    let status = clGetPlatformIDs(0, nil, &platformCount)
    guard status == CL_SUCCESS, platformCount > 0 else { throw OpenCLError.noPlatform(status: status) }
    var platforms = [cl_platform_id?](repeating: nil, count: Int(platformCount))
    try check(clGetPlatformIDs(platformCount, &platforms, nil), "clGetPlatformIDs", device: "no device")
    var devices: [OpenCLDevice] = []
    for (platformIndex, platform) in platforms.enumerated() {
      let platformName = try infoString { clGetPlatformInfo(platform, cl_platform_info(CL_PLATFORM_NAME), $0, $1, $2) }
      var deviceCount: cl_uint = 0
      let found = clGetDeviceIDs(platform, cl_device_type(CL_DEVICE_TYPE_ALL), 0, nil, &deviceCount)
      if found == CL_DEVICE_NOT_FOUND || deviceCount == 0 { continue }
      try check(found, "clGetDeviceIDs(\(platformName))", device: "no device")
      var ids = [cl_device_id?](repeating: nil, count: Int(deviceCount))
      try check(
        clGetDeviceIDs(platform, cl_device_type(CL_DEVICE_TYPE_ALL), deviceCount, &ids, nil),
        "clGetDeviceIDs(\(platformName))", device: "no device")
      for (indexInPlatform, id) in ids.enumerated() {
        guard let id else { continue }
        devices.append(
          try OpenCLDevice(
            id: id, platform: platformName, platformIndex: platformIndex,
            indexInPlatform: indexInPlatform, index: devices.count))
      }
    }
    return devices
  }

  private static let enumerationLock = NSLock()

  private init(id: cl_device_id, platform: String, platformIndex: Int, indexInPlatform: Int, index: Int) throws {
    func string(_ parameter: Int32) throws -> String {
      try infoString { clGetDeviceInfo(id, cl_device_info(parameter), $0, $1, $2) }
    }
    func value<T: FixedWidthInteger>(_ parameter: Int32, _: T.Type) throws -> T {
      var result: T = 0
      try check(
        clGetDeviceInfo(id, cl_device_info(parameter), MemoryLayout<T>.size, &result, nil),
        "clGetDeviceInfo(\(parameter))", device: platform)
      return result
    }
    self.index = index
    self.platform = platform
    self.platformIndex = platformIndex
    self.indexInPlatform = indexInPlatform
    self.idBits = UInt(bitPattern: id)
    name = try string(CL_DEVICE_NAME)
    vendor = try string(CL_DEVICE_VENDOR)
    version = try string(CL_DEVICE_VERSION)
    driverVersion = try string(CL_DRIVER_VERSION)
    let type = try value(CL_DEVICE_TYPE, cl_device_type.self)
    kind =
      type & cl_device_type(CL_DEVICE_TYPE_GPU) != 0
      ? .gpu
      : type & cl_device_type(CL_DEVICE_TYPE_CPU) != 0
        ? .cpu
        : type & cl_device_type(CL_DEVICE_TYPE_ACCELERATOR) != 0 ? .accelerator : .other
    computeUnits = Int(try value(CL_DEVICE_MAX_COMPUTE_UNITS, cl_uint.self))
    globalMemoryBytes = try value(CL_DEVICE_GLOBAL_MEM_SIZE, cl_ulong.self)
    localMemoryBytes = try value(CL_DEVICE_LOCAL_MEM_SIZE, cl_ulong.self)
    maxWorkGroupSize = try value(CL_DEVICE_MAX_WORK_GROUP_SIZE, Int.self)
    baseAddressAlignment = max(1, Int(try value(CL_DEVICE_MEM_BASE_ADDR_ALIGN, cl_uint.self)) / 8)
    let floatConfig = try value(CL_DEVICE_SINGLE_FP_CONFIG, cl_device_fp_config.self)
    hasHardwareFMA =
      floatConfig & cl_device_fp_config(CL_FP_FMA) != 0
      && floatConfig & cl_device_fp_config(CL_FP_SOFT_FLOAT) == 0
  }

  /// The device `selector` names among ``all()``.
  public static func select(_ selector: DeviceSelector) throws -> OpenCLDevice {
    let devices = try all()
    let chosen: OpenCLDevice?
    switch selector {
    case .automatic:
      chosen = devices.first { $0.kind == .gpu } ?? devices.first
    case let .index(index):
      chosen = devices.indices.contains(index) ? devices[index] : nil
    case let .name(fragment):
      chosen =
        devices.first { $0.name.localizedCaseInsensitiveContains(fragment) }
        ?? devices.first { $0.platform.localizedCaseInsensitiveContains(fragment) }
    }
    guard let chosen else {
      throw OpenCLError.noDevice(
        selector: selector.description, available: devices.map { "\($0.index): \($0)" })
    }
    return chosen
  }
}

/// How to choose an OpenCL device.
public enum DeviceSelector: Sendable, Hashable, CustomStringConvertible {
  /// The first GPU of any platform, else the first device.
  case automatic
  /// The device at this position of ``OpenCLDevice/all()`` (as `descent devices` numbers them).
  case index(Int)
  /// The first device whose name (else platform name) contains this text, ignoring case.
  case name(String)

  /// `"2"` selects by index, any other text by name, an empty or `"auto"` text automatically.
  public init(_ text: String) {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    if trimmed.isEmpty || trimmed.lowercased() == "auto" {
      self = .automatic
    } else if let index = Int(trimmed) {
      self = .index(index)
    } else {
      self = .name(trimmed)
    }
  }

  /// The `DESCENT_DEVICE` environment variable's selector, or ``automatic``.
  public static func fromEnvironment() -> DeviceSelector {
    DeviceSelector(ProcessInfo.processInfo.environment["DESCENT_DEVICE"] ?? "")
  }

  public var description: String {
    switch self {
    case .automatic: "auto"
    case let .index(index): "\(index)"
    case let .name(name): name
    }
  }
}

/// Reads a string property with the usual two calls (size, then bytes).
func infoString(_ query: (Int, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int>?) -> cl_int) throws -> String {
  var size = 0
  try check(query(0, nil, &size), "clGet*Info (size)", device: "no device")
  var bytes = [CChar](repeating: 0, count: max(1, size))
  try check(query(size, &bytes, nil), "clGet*Info", device: "no device")
  return String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    .trimmingCharacters(in: .whitespaces)
}
