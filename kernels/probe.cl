// probe.cl: kernels that measure a device's limits for benchmarks/ (not used in training).
// Swift twin: Sources/Descent/CPU/CPUBackend+Probes.swift (the same measurements on the CPU).

// Peak arithmetic: 8 independent float16 multiply-adds per iteration, 256 FLOP each iteration
// (wide vectors, as gemm_wide uses: PoCL maps them onto the CPU's SIMD registers; GPUs split them).
// The result depends on every lane of every accumulator, so the compiler can drop neither the loop
// nor lanes (NVIDIA's compiler splits float16 into scalars and dropped the 12 lanes an earlier
// version left unread: it reported 220 TFLOP/s on an H200). Fused where the
// hardware fuses (HARDWARE_FMA, from the host), as gemm_wide's multiply-adds are.
#if defined(FP_FAST_FMAF) || defined(HARDWARE_FMA)
#define MULTIPLY_ADD(a, b, c) fma(a, b, c)
#else
#define MULTIPLY_ADD(a, b, c) mad(a, b, c)
#endif

__kernel void probe_flops(const int iterations, const float scale, __global float* out) {
  const float seed = (float)get_global_id(0) * 1e-9f;
  float16 a0 = seed, a1 = seed + 1.0f, a2 = seed + 2.0f, a3 = seed + 3.0f;
  float16 a4 = seed + 4.0f, a5 = seed + 5.0f, a6 = seed + 6.0f, a7 = seed + 7.0f;
  const float16 m = (float16)(scale);
  for (int i = 0; i < iterations; ++i) {
    a0 = MULTIPLY_ADD(a0, m, m); a1 = MULTIPLY_ADD(a1, m, m); a2 = MULTIPLY_ADD(a2, m, m);
    a3 = MULTIPLY_ADD(a3, m, m); a4 = MULTIPLY_ADD(a4, m, m); a5 = MULTIPLY_ADD(a5, m, m);
    a6 = MULTIPLY_ADD(a6, m, m); a7 = MULTIPLY_ADD(a7, m, m);
  }
  const float16 total = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
  const float8 eighths = total.lo + total.hi;
  const float4 quarters = eighths.lo + eighths.hi;
  out[get_global_id(0)] = quarters.x + quarters.y + quarters.z + quarters.w;
}

// Memory bandwidth, STREAM's triad: a = b + s·c (12 bytes moved per element).
__kernel void probe_triad(const int count, const float s, __global float* a, __global const float* b,
                          __global const float* c) {
  EACH_ELEMENT(count, a[i] = b[i] + s * c[i];)
}
