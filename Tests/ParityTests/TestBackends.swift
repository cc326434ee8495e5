import Descent
import DescentOpenCL
import Foundation

/// The backends the suites run on: the CPU always, OpenCL on every device the drivers list.
enum TestBackends {
  static let cpu = CPUBackend()

  /// Every OpenCL device with its own kernel profile, and each CPU device (PoCL, rusticl's
  /// llvmpipe) once more with the other profile, so every suite that runs on these runs both code
  /// paths (tiled or wide GEMM, their launch sizes) end to end. Empty when there is no driver or
  /// device.
  static let openCL: [OpenCLBackend] = devices.flatMap { device -> [OpenCLBackend] in
    let native = KernelProfile(nativeTo: device)
    let other: [KernelProfile] = device.kind == .cpu ? KernelProfile.allCases.filter { $0 != native } : []
    return ([native] + other).compactMap { try? OpenCLBackend(device: device, profile: $0) }
  }

  /// Whether every OpenCL suite runs on `device`: every GPU, and the first CPU device the drivers
  /// list. A further CPU device is a second implementation of the same processor (rusticl's
  /// llvmpipe beside PoCL): it runs what found that implementation's bugs (every plain product on
  /// every GEMM variant, the cases whose loops pass llvmpipe's 65 535 iterations; see
  /// ``ParityCase/runs(on:)``), the bit-exact random tests, and no training suite a second time.
  /// Its kernels are compiled and run on one thread, seconds a build: on a fresh machine (no
  /// kernel cache) its share of the parity suite decides the suite's time.
  static func runsEverySuite(_ device: OpenCLDevice) -> Bool {
    device.kind != .cpu || devices.first { $0.kind == .cpu }.map { $0 == device } ?? false
  }

  /// The backends of ``openCL`` on devices that run every suite: what the gradient checks and the
  /// training, trainer, fit, initializer, misuse and buffer-parts suites run on.
  static let openCLSuites: [OpenCLBackend] = openCL.filter { runsEverySuite($0.device) }

  /// For every device, one backend per GEMM variant that fits it (every tile candidate of `gemm`,
  /// every row count of `gemm_wide`), whatever the device would choose by default. A further CPU
  /// device (rusticl) takes its own profile's variants (llvmpipe's: the tiled `gemm`, whose group
  /// size was its bug); the other profile's default runs there as one of ``openCL``.
  static let gemmVariants: [Variant] = devices.flatMap { device in
    GemmVariant.all(on: device).compactMap { variant, unfit -> Variant? in
      guard unfit == nil, runsEverySuite(device) || variant.profile == KernelProfile(nativeTo: device) else {
        return nil
      }
      var choices = KernelChoices.defaults(for: device, profile: variant.profile)
      choices.gemm = variant
      return Variant(device, variant.profile, choices)
    }
  }

  /// The variants that do not fit a device, each with the reason (printed, never silently dropped).
  static let skippedGemmVariants: [String] = devices.flatMap { device in
    GemmVariant.all(on: device).compactMap { variant, unfit in unfit.map { "\(variant) on \(device): \($0)" } }
  }

  /// For every device, backends launching the element-wise, row-wise and reduction kernels in
  /// other shapes than the defaults: groups of one work-item (no reduction tree, global size
  /// exactly the element count) with reductions over 256 groups, as a GPU with 64 or more compute
  /// units picks (PoCL and llvmpipe pick 4 per core), and softmax cross-entropy's CPU kernel with
  /// one block of 16 rows per work-item (so it runs on every device, Oclgrind's too); and groups of
  /// 64 with one-group reductions (the second pass adds a single partial).
  static let launchVariants: [Variant] = devices.flatMap { device in
    [(groupSize: 1, reductionGroups: 256, lossRows: 16), (groupSize: 64, reductionGroups: 1, lossRows: 0)].map {
      shape in
      var choices = KernelChoices.defaults(for: device, profile: .gpu)
      choices.groupSize = shape.groupSize
      choices.reductionGroups = shape.reductionGroups
      choices.lossRowsPerItem = shape.lossRows
      return Variant(device, .gpu, choices)
    }
  }

  /// A backend forced to `choices`, or the error its creation threw, with what was asked for.
  struct Variant {
    let label: String
    let device: OpenCLDevice
    let backend: Result<OpenCLBackend, any Error>

    init(_ device: OpenCLDevice, _ profile: KernelProfile, _ choices: KernelChoices) {
      label = "\(device) with \(choices)"
      self.device = device
      backend = Result { try OpenCLBackend(device: device, profile: profile, choices: choices) }
    }
  }

  private static let devices = (try? OpenCLDevice.all()) ?? []

  /// Why there is no OpenCL backend, for the skip line.
  static let openCLUnavailableReason: String = {
    do {
      let devices = try OpenCLDevice.all()
      return devices.isEmpty ? "the OpenCL drivers list no device" : "no OpenCL device could be opened"
    } catch {
      return "\(error)"
    }
  }()

  /// CI must run the parity suite on both OpenCL implementations, so a missing one fails there.
  static let requireOpenCL = ProcessInfo.processInfo.environment["CI"] == "true"

  /// The OpenCL implementations CI must have: a platform name fragment and how to get it.
  static let requiredPlatforms = [
    (platform: "Portable Computing Language", package: "pocl-opencl-icd"),
    (platform: "rusticl", package: "mesa-opencl-icd, with RUSTICL_ENABLE=llvmpipe"),
  ]
}
