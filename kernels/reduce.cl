// reduce.cl: whole-buffer sums and row argmax.
// Swift twin: Sources/Descent/CPU/CPUBackend+Reduce.swift.

// The host builds this file with ReduceOp's names as codes (-DSUM=0 -DSUM_OF_SQUARES=1 …: KernelCoded).
#if !defined(SUM) || !defined(SUM_OF_SQUARES) || !defined(SUM_OF_ABSOLUTES)
#error "build with ReduceOp.kernelDefines"
#endif
// Each work-item accumulates a grid-strided share of x, the work-group adds the shares in a tree in
// `scratch` (local size a power of two), and work-item 0 writes alpha·total + beta·partial[group]
// (beta 0 reads nothing). The host runs it once with one group for a short x, else twice: over x
// with many groups (alpha 1, beta 0), then over the partials (op sum) with one group.
__kernel void reduce(const int count, const int op, const float alpha, const float beta,
                     __global const float* x, __global float* partial, __local float* scratch) {
  float total = 0.0f;
  for (int i = get_global_id(0); i < count; i += get_global_size(0)) {
    const float v = x[i];
    total += op == SUM_OF_SQUARES ? v * v : op == SUM_OF_ABSOLUTES ? fabs(v) : v;
  }
  const int local_id = get_local_id(0);
  scratch[local_id] = total;
  barrier(CLK_LOCAL_MEM_FENCE);
  for (int stride = get_local_size(0) / 2; stride > 0; stride /= 2) {
    if (local_id < stride) scratch[local_id] += scratch[local_id + stride];
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  if (local_id == 0) {
    __global float* out = partial + get_group_id(0);
    *out = beta == 0.0f ? alpha * scratch[0] : alpha * scratch[0] + beta * *out;
  }
}

// y[r] = index of the largest value in row r (the first on ties), as a float.
__kernel void row_argmax(const int rows, const int columns, __global const float* x, __global float* y) {
  const int row = get_global_id(0);
  if (row >= rows) return;
  __global const float* input = x + row * columns;
  int best = 0;
  for (int c = 1; c < columns; ++c)
    if (input[c] > input[best]) best = c;
  y[row] = (float)best;
}
