import Descent

/// Optimizer updates: kernels in `kernels/optim.cl`, called as the ``OptimizerUpdate`` lists their
/// arguments (no optimizer is named here); the formulas are on each ``Optimizer``.
extension OpenCLBackend {
  public func update(
    _ update: OptimizerUpdate, parameter: DeviceBuffer, gradient: DeviceBuffer,
    state: [DeviceBuffer]
  ) throws {
    let op = update.kernel
    try Check.updateArguments(update, parameter: parameter, gradient: gradient, state: state)
    let p = try cl(parameter, op), g = try cl(gradient, op)
    var kept = try state.map { try cl($0, op) }.makeIterator()
    // A slot this configuration does not keep gets the parameter buffer; the kernel never touches it.
    let states: [Argument] = update.states.map { .buffer($0.kept ? kept.next()! : p) }
    let scalars: [Argument] = update.scalars.map { $0.isFlag ? .int($0.value != 0 ? 1 : 0) : .float($0.value) }
    try run(op, count: p.count, [.int(p.count), .buffer(p), .buffer(g)] + states + scalars)
  }
}
