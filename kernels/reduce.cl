// reduce.cl: whole-buffer sums, top-k hit counts and row argmax.
// Swift twin: Sources/Descent/CPU/CPUBackend+Reduce.swift.

// The host builds this file with ReduceOp's names as codes (-DSUM=0 -DSUM_OF_SQUARES=1 …: KernelCoded).
#if !defined(SUM) || !defined(SUM_OF_SQUARES) || !defined(SUM_OF_ABSOLUTES)
#error "build with ReduceOp.kernelDefines"
#endif
// The end of every reduction: the work-group adds its work-items' shares in a tree in `scratch`
// (local size a power of two), and work-item 0 writes alpha·Σ + beta·partial[group] (beta 0 reads
// nothing), then, with `accumulate`, adds scale·(what it wrote) to total[0] (a running total).
inline void finish_reduction(float share, const float alpha, const float beta, __global float* partial,
                             __local float* scratch, const int accumulate, const float scale,
                             __global float* total) {
  const int local_id = get_local_id(0);
  scratch[local_id] = share;
  barrier(CLK_LOCAL_MEM_FENCE);
  for (int stride = get_local_size(0) / 2; stride > 0; stride /= 2) {
    if (local_id < stride) scratch[local_id] += scratch[local_id + stride];
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  if (local_id == 0) {
    __global float* out = partial + get_group_id(0);
    const float value = beta == 0.0f ? alpha * scratch[0] : alpha * scratch[0] + beta * *out;
    *out = value;
    if (accumulate) *total += scale * value;
  }
}

// Each work-item accumulates a grid-strided share of x, then finish_reduction. The host runs it
// once with one group for a short x, else twice: over x with many groups (alpha 1, beta 0, no
// running total), then over the partials (op sum) with one group.
__kernel void reduce(const int count, const int op, const float alpha, const float beta,
                     __global const float* x, __global float* partial, __local float* scratch,
                     const int accumulate, const float scale, __global float* total) {
  float share = 0.0f;
  for (int i = get_global_id(0); i < count; i += get_global_size(0)) {
    const float v = x[i];
    share += op == SUM_OF_SQUARES ? v * v : op == SUM_OF_ABSOLUTES ? fabs(v) : v;
  }
  finish_reduction(share, alpha, beta, partial, scratch, accumulate, scale, total);
}

// The number of rows whose label is among their k largest logits (fewer than k classes score
// strictly higher), reduced as `reduce` (the host runs `reduce` over the partials of a long
// input); an invalid label, or a NaN anywhere in the row (its ranking is undefined: NaN compares
// false with everything), is never a hit. labels [rows] hold class indices as floats.
__kernel void top_k_hits(const int rows, const int classes, const int k, const float alpha, const float beta,
                         __global const float* logits, __global const float* labels, __global float* partial,
                         __local float* scratch) {
  float hits = 0.0f;
  for (int row = get_global_id(0); row < rows; row += get_global_size(0)) {
    const float label = labels[row];
    if (!(label >= 0.0f && label < (float)classes && label == trunc(label))) continue;
    __global const float* x = logits + row * classes;
    const float target = x[(int)label];
    int higher = 0, nans = 0;
    for (int c = 0; c < classes; ++c) {
      higher += x[c] > target ? 1 : 0;
      nans += isnan(x[c]) ? 1 : 0;
    }
    hits += higher < k && nans == 0 ? 1.0f : 0.0f;
  }
  finish_reduction(hits, alpha, beta, partial, scratch, 0, 0.0f, partial);
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
