import Foundation

/// Optimizer updates, twins of `kernels/optim.cl`, by the kernels of the backend's ``CPULevel``
/// (Sources/CPUKernels/OptimizerUpdates.swift); the formulas are on each ``Optimizer``.
extension CPUBackend {
  public func update(
    _ update: OptimizerUpdate, parameter: DeviceBuffer, gradient: DeviceBuffer,
    state: [DeviceBuffer]
  ) throws {
    let op = update.kernel
    try Check.updateArguments(update, parameter: parameter, gradient: gradient, state: state)
    let kernels = level.kernels
    guard kernels.updates.contains(op) else {
      throw BackendError.invalidArgument(
        op: "update", parameter: "kernel", value: op, allowed: kernels.updates.joined(separator: ", "))
    }
    let pointers = try state.map { try cpu($0, op).pointer }
    let (p, g) = (try cpu(parameter, op).pointer, try cpu(gradient, op).pointer)
    parallel.chunks(parameter.count, minimumChunk: 1 << 14) { range in
      _ = kernels.update(op, range, p: p, g: g, state: { update.stateIndex($0).map { pointers[$0] } }) { update[$0] }
    }
  }
}
