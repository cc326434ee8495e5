// gemm.cl: C = alpha·op(A)·op(B) + beta·C, row-major, either operand transposed.
// Swift twin: Sources/Descent/CPU/CPUBackend+Gemm.swift. Parity: Tests/ParityTests/ParityCases+Gemm.swift.
//
// Layout: op(A) is m×k (A stored k×m when trans_a), op(B) is k×n (B stored n×k when trans_b), C m×n.
// Each work-group computes a TILE_M×TILE_N block of C, staging TILE_K-deep slices of A and B in
// local memory; each work-item holds a WPT_M×WPT_N register tile whose rows and columns are strided
// by the work-group's height and width (consecutive work-items touch consecutive columns, which
// GPUs coalesce and PoCL vectorises). Edges of every tile are guarded, so any m, n, k work.
// The host passes the tile sizes as -D options chosen per device; the defaults compile alone.
//
// Both kernels fuse what a dense layer does around its products (GemmFusion), chosen by -D
// options: BIAS adds bias[j] to each value of C as it is stored; DERIVATIVE=NAME_derivative
// (prelude.cl) then multiplies it by g′(pre[i, j]) (an input gradient becomes the gradient of the
// layer below's pre-activation); ACTIVATION=NAME_forward also writes f(value) to `activated`, C
// keeping the pre-activation; SUM_B writes op(B)'s column sums to b_sums (a weight gradient Xᵀ·dZ's
// B is dZ: its column sums are the bias gradient), from the values the product loads anyway.
// Arguments they do not use may be any buffer.

#ifdef BIAS
#define BIASED(value, j) ((value) + bias[j])
#else
#define BIASED(value, j) (value)
#endif
#ifdef DERIVATIVE
#define SCALED(value, index) ((value) * DERIVATIVE(slope, pre[index]))
#else
#define SCALED(value, index) (value)
#endif
#ifdef ACTIVATION
#define STORE(index, value, j)                          \
  {                                                     \
    const float stored = SCALED(BIASED(value, j), index); \
    c[index] = stored;                                  \
    activated[index] = ACTIVATION(slope, stored);       \
  }
#else
#define STORE(index, value, j) c[index] = SCALED(BIASED(value, j), index)
#endif

#ifndef TILE_M
#define TILE_M 64
#endif
#ifndef TILE_N
#define TILE_N 64
#endif
#ifndef TILE_K
#define TILE_K 16
#endif
#ifndef WPT_M
#define WPT_M 4
#endif
#ifndef WPT_N
#define WPT_N 4
#endif

#define LOCAL_N (TILE_N / WPT_N)
#define LOCAL_M (TILE_M / WPT_M)

__kernel __attribute__((reqd_work_group_size(LOCAL_N, LOCAL_M, 1)))
void gemm(const int m, const int n, const int k, const int trans_a, const int trans_b,
          const float alpha, const float beta,
          __global const float* restrict a, __global const float* restrict b,
          __global float* restrict c, const float slope, __global const float* bias,
          __global float* activated, __global float* b_sums, __global const float* pre) {
  const int tx = get_local_id(0), ty = get_local_id(1);
  const int thread = ty * LOCAL_N + tx;
  const int row0 = get_group_id(1) * TILE_M, col0 = get_group_id(0) * TILE_N;
  __local float a_tile[TILE_K][TILE_M + 1];
  __local float b_tile[TILE_K][TILE_N + 1];
  float acc[WPT_M][WPT_N];
  for (int wm = 0; wm < WPT_M; ++wm)
    for (int wn = 0; wn < WPT_N; ++wn) acc[wm][wn] = 0.0f;
#ifdef SUM_B
  // The first row of groups' first row of work-items sums the B values they read.
  const int sums_b = get_group_id(1) == 0 && ty == 0;
  float b_sum[WPT_N];
  for (int wn = 0; wn < WPT_N; ++wn) b_sum[wn] = 0.0f;
#endif

  for (int p0 = 0; p0 < k; p0 += TILE_K) {
    // Stage the slices; the index order follows the stored layout so neighbours load neighbours.
    for (int e = thread; e < TILE_K * TILE_M; e += LOCAL_M * LOCAL_N) {
      const int i = trans_a ? e % TILE_M : e / TILE_K;
      const int p = trans_a ? e / TILE_M : e % TILE_K;
      const int gi = row0 + i, gp = p0 + p;
      a_tile[p][i] = (gi < m && gp < k) ? (trans_a ? a[gp * m + gi] : a[gi * k + gp]) : 0.0f;
    }
    for (int e = thread; e < TILE_K * TILE_N; e += LOCAL_M * LOCAL_N) {
      const int j = trans_b ? e / TILE_K : e % TILE_N;
      const int p = trans_b ? e % TILE_K : e / TILE_N;
      const int gj = col0 + j, gp = p0 + p;
      b_tile[p][j] = (gj < n && gp < k) ? (trans_b ? b[gj * k + gp] : b[gp * n + gj]) : 0.0f;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int p = 0; p < TILE_K; ++p) {
      float a_reg[WPT_M];
      for (int wm = 0; wm < WPT_M; ++wm) a_reg[wm] = a_tile[p][ty + wm * LOCAL_M];
      for (int wn = 0; wn < WPT_N; ++wn) {
        const float b_value = b_tile[p][tx + wn * LOCAL_N];
        for (int wm = 0; wm < WPT_M; ++wm) acc[wm][wn] += a_reg[wm] * b_value;
#ifdef SUM_B
        if (sums_b) b_sum[wn] += b_value;
#endif
      }
    }
    barrier(CLK_LOCAL_MEM_FENCE);
  }

#ifdef SUM_B
  if (sums_b)
    for (int wn = 0; wn < WPT_N; ++wn)
      if (col0 + tx + wn * LOCAL_N < n) b_sums[col0 + tx + wn * LOCAL_N] = b_sum[wn];
#endif
  for (int wm = 0; wm < WPT_M; ++wm) {
    const int gi = row0 + ty + wm * LOCAL_M;
    if (gi >= m) continue;
    for (int wn = 0; wn < WPT_N; ++wn) {
      const int gj = col0 + tx + wn * LOCAL_N;
      if (gj >= n) continue;
      // beta == 0 does not read C, so NaN left in C does not survive (BLAS semantics).
      const float previous = beta == 0.0f ? 0.0f : beta * c[gi * n + gj];
      STORE(gi * n + gj, alpha * acc[wm][wn] + previous, gj);
    }
  }
}

// gemm_wide: the same product for CPU devices (PoCL), barrier-free. Each work-item computes a
// WIDE_M×16 block of C with one float16 accumulator per row, so the compiler keeps the block in
// vector registers and every multiply-add is a 16-lane vector operation (the local-memory kernel
// above made PoCL keep its accumulators in memory across barriers: 3.8 GFLOP/s against 55–78 here).
// op(A) is read through strides (a_row, a_col), so a transposed A costs nothing, or packed (below);
// B is read in place, k×n or (with TRANSPOSED_B) n×k, or packed into strips (below). Rows past m
// and columns past n are never stored.
#ifndef WIDE_M
#define WIDE_M 12
#endif

// A fused multiply-add where the device does it in hardware (FP_FAST_FMAF, or HARDWARE_FMA, which
// the host defines when CL_DEVICE_SINGLE_FP_CONFIG has CL_FP_FMA and not CL_FP_SOFT_FLOAT: PoCL
// leaves FP_FAST_FMAF undefined on FMA hardware), else mad (which may round twice).
#if defined(FP_FAST_FMAF) || defined(HARDWARE_FMA)
#define MULTIPLY_ADD(a, b, c) fma(a, b, c)
#else
#define MULTIPLY_ADD(a, b, c) mad(a, b, c)
#endif

// With PACKED_A defined, `a` holds op(A) packed by pack_a_panels (a_row and a_col unused), so the
// WIDE_M values of one depth are adjacent: worth its packing pass for large products, where the
// strided rows of A alias in the L1 cache (1024³: 54–68 → 78–81 GFLOP/s on PoCL).
#ifdef PACKED_A
#define A_VALUE(r, p) panel[(p) * WIDE_M + (r)]
#else
#define A_VALUE(r, p) a[rows_a[r] + (p) * a_col]
#endif

// With PACKED_B defined, `b` holds op(B) packed by pack_b_panels: each 16-column strip's depths
// adjacent, zeros past n. Unpacked, a strip's depths lie n floats apart, and for n a multiple of
// 1 024 every one of them falls in the same L1 set: the strip left the cache between work-items
// (PoCL on a Zen 5: 1024³ at 0.48×, 2048³ at 0.35× OpenBLAS).
// With TRANSPOSED_B, B is n×k and a strip's 16 values of one depth lie k floats apart: read in
// place, each of the strip's 16 rows is a run along the depth, so every cache line serves 16
// depths. The MLP's input gradients dZ·Wᵀ ran no slower than from packed strips, within the VM's
// noise (PoCL on a Zen 3, 128×256×128: 15–26 GFLOP/s in place, 19–32 packed), without the pack's
// launch. (PACKED_B's B_VALUE only lets the edge path compile: packed strips are always whole.)
#ifdef PACKED_B
#define B_VALUES(p) vload16(0, strip + (p) * 16)
#define B_VALUE(p, j) strip[(p) * 16 + (j)]
#elif defined(TRANSPOSED_B)
#define B_VALUES(p) column16(b + j0 * k + (p), k)
#define B_VALUE(p, j) b[(j0 + (j)) * k + (p)]
#else
#define B_VALUES(p) vload16(0, b + (p) * n + j0)
#define B_VALUE(p, j) b[(p) * n + j0 + (j)]
#endif

// The 16 values s[0], s[k], …, s[15·k]: one depth of a transposed B's strip.
inline float16 column16(__global const float* s, const int k) {
  return (float16)(s[0], s[k], s[2 * k], s[3 * k], s[4 * k], s[5 * k], s[6 * k], s[7 * k], s[8 * k], s[9 * k],
                   s[10 * k], s[11 * k], s[12 * k], s[13 * k], s[14 * k], s[15 * k]);
}

__kernel void gemm_wide(const int m, const int n, const int k, const int a_row, const int a_col,
                        const float alpha, const float beta, __global const float* a,
                        __global const float* b, __global float* c, const float slope,
                        __global const float* bias, __global float* activated, __global float* b_sums,
                        __global const float* pre) {
  // Dimension 0 walks down the rows, so consecutive work-groups reuse one 16-column strip of B
  // from the cache instead of sweeping all of B for every block of rows.
  const int i0 = get_global_id(0) * WIDE_M;
  const int j0 = get_global_id(1) * 16;
  if (j0 >= n || i0 >= m) return;
#ifdef PACKED_B
  __global const float* strip = b + (size_t)get_global_id(1) * k * 16;
  const int whole = 1;  // the strip holds zeros past n
#else
  const int whole = j0 + 16 <= n;
#endif
#ifdef PACKED_A
  __global const float* panel = a + (size_t)get_global_id(0) * k * WIDE_M;
#else
  int rows_a[WIDE_M];
#pragma unroll
  for (int r = 0; r < WIDE_M; ++r) rows_a[r] = min(i0 + r, m - 1) * a_row;  // rows past m: not stored
#endif
  // Every loop over the WIDE_M rows is unrolled, so acc[] lives in registers: rolled, PoCL kept
  // it on the stack (a load and a store around every multiply-add).
  float16 acc[WIDE_M];
#pragma unroll
  for (int r = 0; r < WIDE_M; ++r) acc[r] = (float16)(0.0f);
#ifdef SUM_B
  // The first block of rows' work-items sum the B values they load.
  const int sums_b = i0 == 0;
  float16 b_sum = (float16)(0.0f);
#define ADD_B(values) if (sums_b) b_sum += (values)
#else
#define ADD_B(values)
#endif
  if (whole) {
#ifdef SUM_B
    // The summing work-items get a loop of their own: in the others' the sum takes no registers
    // (a float16 is two of AVX2's 16, which the accumulators fill).
    if (sums_b) {
      for (int p = 0; p < k; ++p) {
        const float16 bv = B_VALUES(p);
        b_sum += bv;
#pragma unroll
        for (int r = 0; r < WIDE_M; ++r) acc[r] = MULTIPLY_ADD((float16)(A_VALUE(r, p)), bv, acc[r]);
      }
    } else
#endif
    for (int p = 0; p < k; ++p) {
      const float16 bv = B_VALUES(p);
#pragma unroll
      for (int r = 0; r < WIDE_M; ++r) acc[r] = MULTIPLY_ADD((float16)(A_VALUE(r, p)), bv, acc[r]);
    }
  } else {  // the last, partial column block: B's missing columns read as 0
    for (int p = 0; p < k; ++p) {
      float edge[16];
      for (int j = 0; j < 16; ++j) edge[j] = j0 + j < n ? B_VALUE(p, j) : 0.0f;
      const float16 bv = vload16(0, edge);
      ADD_B(bv);
#pragma unroll
      for (int r = 0; r < WIDE_M; ++r) acc[r] = MULTIPLY_ADD((float16)(A_VALUE(r, p)), bv, acc[r]);
    }
  }
#ifdef SUM_B
  if (sums_b) {
    float sums[16];
    vstore16(b_sum, 0, sums);
    for (int j = 0; j < 16 && j0 + j < n; ++j) b_sums[j0 + j] = sums[j];
  }
#endif
#pragma unroll
  for (int r = 0; r < WIDE_M; ++r) {
    if (i0 + r >= m) break;
    const int row = (i0 + r) * n + j0;
    float result[16];
    vstore16(acc[r], 0, result);
    // A whole strip's 16 stores run a loop of constant length, which the compiler vectorises with
    // what is fused into them.
    const int columns = min(16, n - j0);
    if (columns == 16) {
      for (int j = 0; j < 16; ++j)
        STORE(row + j, beta == 0.0f ? alpha * result[j] : alpha * result[j] + beta * c[row + j], j0 + j);
    } else {
      for (int j = 0; j < columns; ++j)
        STORE(row + j, beta == 0.0f ? alpha * result[j] : alpha * result[j] + beta * c[row + j], j0 + j);
    }
  }
}

// packed[(i / WIDE_M)·k·WIDE_M + p·WIDE_M + i % WIDE_M] = op(A)[i, p], 0 for rows past m: the
// panels gemm_wide reads. One work-item per (panel row, p); A is m×k, or k×m when trans_a.
__kernel void pack_a_panels(const int m, const int k, const int trans_a, __global const float* a,
                            __global float* packed) {
  const int p = get_global_id(0), i = get_global_id(1);
  const int rows = (m + WIDE_M - 1) / WIDE_M * WIDE_M;
  if (p >= k || i >= rows) return;
  packed[(i / WIDE_M) * k * WIDE_M + p * WIDE_M + i % WIDE_M] =
      i < m ? (trans_a ? a[p * m + i] : a[i * k + p]) : 0.0f;
}

// packed[(j / 16)·k·16 + p·16 + j % 16] = op(B)[p, j], 0 for columns past n: the strips gemm_wide
// reads with PACKED_B. One work-item per strip, copying it 16 floats at a time (one work-item per
// value ran 512³ 12% slower than unpacked); B is k×n, or n×k when trans_b.
__kernel void pack_b_panels(const int n, const int k, const int trans_b, __global const float* b,
                            __global float* packed) {
  const int j0 = get_global_id(0) * 16;
  if (j0 >= n) return;
  __global float* strip = packed + (size_t)get_global_id(0) * k * 16;
  if (!trans_b && j0 + 16 <= n) {
    for (int p = 0; p < k; ++p) vstore16(vload16(0, b + p * n + j0), 0, strip + p * 16);
    return;
  }
  for (int p = 0; p < k; ++p) {
    float part[16];
    for (int j = 0; j < 16; ++j) part[j] = j0 + j < n ? (trans_b ? b[(j0 + j) * k + p] : b[p * n + j0 + j]) : 0.0f;
    vstore16(vload16(0, part), 0, strip + p * 16);
  }
}
