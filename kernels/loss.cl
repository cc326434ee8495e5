// loss.cl: softmax cross-entropy over integer labels, and pointwise losses, with their gradients.
// Swift twin: Sources/Descent/CPU/CPUBackend+Loss.swift.
// The host builds this file with PointwiseLoss's names as codes (-DSQUARED_ERROR=0 …: KernelCoded).
#if !defined(SQUARED_ERROR) || !defined(BINARY_CROSS_ENTROPY_WITH_LOGITS) || !defined(ABSOLUTE_ERROR)
#error "build with PointwiseLoss.kernelDefines"
#endif

// One work-item per row of logits [rows, classes], a work-group's rows in three phases:
// each row's largest logit and its shifted logits into `gradient`; the exponentials of the
// group's rows as one contiguous run of elements (consecutive work-items take consecutive
// elements, so a CPU driver vectorises them with plain vector loads and a GPU coalesces them,
// where a row's own loop gathers); then each row's sum, gradient and loss. labels [rows] hold
// class indices as floats. loss[r] = log Σ exp(x) − x[label]; gradient = scale·(softmax(x) −
// onehot(label)), the softmax as exp(x − max)·(scale / Σ). A label that is not an integer in
// [0, classes) gives a NaN loss, never a silent value. `largest` holds one float per work-item.
__kernel void softmax_cross_entropy(const int rows, const int classes, const float scale,
                                    __global const float* logits, __global const float* labels,
                                    __global float* losses, __global float* gradient, __local float* largest) {
  const int id = get_local_id(0), first = get_group_id(0) * get_local_size(0);
  const int row = first + id;
  __global const float* x = logits + row * classes;
  __global float* g = gradient + row * classes;
  if (row < rows) {
    float most = -INFINITY;
    for (int c = 0; c < classes; ++c) most = fmax(most, x[c]);
    largest[id] = most;
    for (int c = 0; c < classes; ++c) g[c] = x[c] - most;
  }
  barrier(CLK_GLOBAL_MEM_FENCE);
  const int count = (min(rows, first + (int)get_local_size(0)) - first) * classes;
  __global float* block = gradient + first * classes;
  for (int e = id; e < count; e += get_local_size(0)) block[e] = exp(block[e]);
  barrier(CLK_GLOBAL_MEM_FENCE);
  if (row >= rows) return;
  float total = 0.0f;
  for (int c = 0; c < classes; ++c) total += g[c];
  const float factor = scale / total;
  for (int c = 0; c < classes; ++c) g[c] *= factor;
  const float label = labels[row];
  if (label >= 0.0f && label < (float)classes && label == trunc(label)) {
    const int target = (int)label;
    g[target] -= scale;
    losses[row] = log(total) + largest[id] - x[target];
  } else {
    losses[row] = NAN;
  }
}

// How many classes' exponentials softmax_cross_entropy_wide keeps between its passes (wider rows
// have the rest computed twice).
#define KEPT_CLASSES 16

// p[i] for each lane's index.
inline float16 gather16(__global const float* p, int16 i) {
  return (float16)(p[i.s0], p[i.s1], p[i.s2], p[i.s3], p[i.s4], p[i.s5], p[i.s6], p[i.s7],
                   p[i.s8], p[i.s9], p[i.sa], p[i.sb], p[i.sc], p[i.sd], p[i.se], p[i.sf]);
}

// p[i] = v for each lane's index, in lane order.
inline void scatter16(__global float* p, int16 i, float16 v) {
  p[i.s0] = v.s0;
  p[i.s1] = v.s1;
  p[i.s2] = v.s2;
  p[i.s3] = v.s3;
  p[i.s4] = v.s4;
  p[i.s5] = v.s5;
  p[i.s6] = v.s6;
  p[i.s7] = v.s7;
  p[i.s8] = v.s8;
  p[i.s9] = v.s9;
  p[i.sa] = v.sa;
  p[i.sb] = v.sb;
  p[i.sc] = v.sc;
  p[i.sd] = v.sd;
  p[i.se] = v.se;
  p[i.sf] = v.sf;
}

// softmax_cross_entropy for CPU devices (the cpu kernel profile): each work-item takes
// rows_per_item consecutive rows, 16 at a time, one row per lane of float16 values, and walks the
// classes: each row's largest logit, the sum of its shifted exponentials (the first KEPT_CLASSES
// kept), then gradient and loss. The lanes of a block past the last row repeat it (their stores
// write the same values again). Groups of one work-item, so PoCL does not also vectorise across
// work-items. PoCL ran the kernel above one work-item at a time, scalar (its barriers and per-row
// loops stop its vectoriser): 5 GB/s; a row per work-item read as float16 chunks waited on each
// row's chain of reductions and exponentials: 7 GB/s.
__kernel void softmax_cross_entropy_wide(const int rows, const int classes, const int rows_per_item,
                                         const float scale, __global const float* logits,
                                         __global const float* labels, __global float* losses,
                                         __global float* gradient) {
  const int start = get_global_id(0) * rows_per_item, end = min(rows, start + rows_per_item);
  const int16 lane = (int16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  for (int first = start; first < end; first += 16) {
    const int16 row = min((int16)(first) + lane, (int16)(rows - 1));
    const int16 at = row * classes;
    float16 largest = (float16)(-INFINITY), kept[KEPT_CLASSES];
    for (int c = 0; c < classes; ++c) {
      const float16 x = gather16(logits, at + c);
      if (c < KEPT_CLASSES) kept[c] = x;
      largest = fmax(largest, x);
    }
    float16 total = (float16)(0.0f);
    for (int c = 0; c < classes; ++c) {
      const float16 e = exp((c < KEPT_CLASSES ? kept[c] : gather16(logits, at + c)) - largest);
      if (c < KEPT_CLASSES) kept[c] = e;
      total += e;
    }
    const float16 label = gather16(labels, row);
    const int16 valid = (label >= 0.0f) & (label < (float)classes) & (label == trunc(label));
    const int16 target = select((int16)(-1), convert_int16(label), valid);
    const float16 factor = scale / total;
    for (int c = 0; c < classes; ++c) {
      const float16 e = c < KEPT_CLASSES ? kept[c] : exp(gather16(logits, at + c) - largest);
      scatter16(gradient, at + c, e * factor - select((float16)(0.0f), (float16)(scale), target == (int16)(c)));
    }
    const float16 loss = log(total) + largest - gather16(logits, at + max(target, (int16)(0)));
    scatter16(losses, row, select((float16)(NAN), loss, valid));
  }
}

// Loss codes (PointwiseLoss.kernelCode): 0 squared_error, 1 binary_cross_entropy_with_logits,
// 2 absolute_error (gradient sign(p − t), 0 at p = t).
__kernel void pointwise_loss(const int count, const int kind, const float scale,
                             __global const float* predictions, __global const float* targets,
                             __global float* losses, __global float* gradient) {
  EACH_ELEMENT(count, {
    const float p = predictions[i], t = targets[i];
    if (kind == SQUARED_ERROR) {
      const float d = p - t;
      losses[i] = d * d;
      gradient[i] = scale * (2.0f * d);
    } else if (kind == BINARY_CROSS_ENTROPY_WITH_LOGITS) {  // max(x, 0) − x·t + log(1 + e^(−|x|)), stable for any logit
      losses[i] = fmax(p, 0.0f) - p * t + log1p(exp(-fabs(p)));
      gradient[i] = scale * (1.0f / (1.0f + exp(-p)) - t);
    } else {  // ABSOLUTE_ERROR
      const float d = p - t;
      losses[i] = fabs(d);
      gradient[i] = scale * (d > 0.0f ? 1.0f : (d < 0.0f ? -1.0f : 0.0f));
    }
  })
}
