/// `C = alpha·op(A)·op(B) + beta·C` (twin of `gemm` in `kernels/gemm.cl`) by the kernels of the
/// backend's ``CPULevel`` (Sources/CPUKernels/GemmKernel.swift: Goto's blocking, register-tile
/// micro-kernels).
extension CPUBackend {
  public func gemm(_ shape: GemmShape, _ a: DeviceBuffer, _ b: DeviceBuffer, into c: DeviceBuffer) throws {
    try shape.validate(a, b, c)
    let (a, b, c) = (try cpu(a, "gemm").pointer, try cpu(b, "gemm").pointer, try cpu(c, "gemm").pointer)
    let parallel = parallel
    try level.kernels.gemm(
      shape.m, shape.n, shape.k, shape.transposeA, shape.transposeB, shape.alpha, shape.beta, a, b, c,
      parallel.threads, { parallel.forEach($0, $1) }, CPUBuffer.alignedFloats)
  }
}
