/// `C = alpha·op(A)·op(B) + beta·C` (twin of `gemm` in `kernels/gemm.cl`) by the kernels of the
/// backend's ``CPULevel`` (Sources/CPUKernels/GemmKernel.swift: Goto's blocking, register-tile
/// micro-kernels).
extension CPUBackend {
  public func gemm(_ shape: GemmShape, _ a: DeviceBuffer, _ b: DeviceBuffer, into c: DeviceBuffer) throws {
    try shape.validate(a, b, c)
    let (a, b, c) = (try cpu(a, "gemm").pointer, try cpu(b, "gemm").pointer, try cpu(c, "gemm").pointer)
    let parallel = parallel
    try level.kernels.gemm(
      m: shape.m, n: shape.n, k: shape.k, transposeA: shape.transposeA, transposeB: shape.transposeB,
      alpha: shape.alpha, beta: shape.beta, a: a, b: b, c: c, threads: parallel.threads,
      forEach: { parallel.forEach($0, $1) }, allocate: CPUBuffer.alignedFloats)
  }
}
