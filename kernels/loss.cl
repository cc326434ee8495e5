// loss.cl: softmax cross-entropy over integer labels, and pointwise losses, with their gradients.
// Swift twin: Sources/Descent/CPU/CPUBackend+Loss.swift.
// The host builds this file with PointwiseLoss's names as codes (-DSQUARED_ERROR=0 …: KernelCoded).
#if !defined(SQUARED_ERROR) || !defined(BINARY_CROSS_ENTROPY_WITH_LOGITS) || !defined(ABSOLUTE_ERROR)
#error "build with PointwiseLoss.kernelDefines"
#endif

// One work-item per row of logits [rows, classes]; labels [rows] hold class indices as floats.
// loss[r] = log Σ exp(x) − x[label]; gradient = scale·(softmax(x) − onehot(label)).
// A label that is not an integer in [0, classes) gives a NaN loss, never a silent value.
__kernel void softmax_cross_entropy(const int rows, const int classes, const float scale,
                                    __global const float* logits, __global const float* labels,
                                    __global float* losses, __global float* gradient) {
  const int row = get_global_id(0);
  if (row >= rows) return;
  __global const float* x = logits + row * classes;
  __global float* g = gradient + row * classes;
  const float label = labels[row];
  const int valid = label >= 0.0f && label < (float)classes && label == trunc(label);
  const int target = valid ? (int)label : -1;
  float largest = -INFINITY;
  for (int c = 0; c < classes; ++c) largest = fmax(largest, x[c]);
  float total = 0.0f;
  for (int c = 0; c < classes; ++c) {
    g[c] = exp(x[c] - largest);
    total += g[c];
  }
  for (int c = 0; c < classes; ++c) g[c] = scale * (g[c] / total - (c == target ? 1.0f : 0.0f));
  losses[row] = valid ? log(total) + largest - x[target] : NAN;
}

// Loss codes (PointwiseLoss.kernelCode): 0 squared_error, 1 binary_cross_entropy_with_logits,
// 2 absolute_error (gradient sign(p − t), 0 at p = t).
__kernel void pointwise_loss(const int count, const int kind, const float scale,
                             __global const float* predictions, __global const float* targets,
                             __global float* losses, __global float* gradient) {
  const int i = get_global_id(0);
  if (i >= count) return;
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
}

// hits[r] = 1 when row r's label is among its k largest logits (fewer than k classes score
// strictly higher), else 0; an invalid label, or a NaN anywhere in the row (its ranking is
// undefined: NaN compares false with everything), is never a hit. One work-item per row.
__kernel void top_k_hits(const int rows, const int classes, const int k, __global const float* logits,
                         __global const float* labels, __global float* hits) {
  const int row = get_global_id(0);
  if (row >= rows) return;
  __global const float* x = logits + row * classes;
  const float label = labels[row];
  if (!(label >= 0.0f && label < (float)classes && label == trunc(label))) {
    hits[row] = 0.0f;
    return;
  }
  const float target = x[(int)label];
  int higher = 0, nans = 0;
  for (int c = 0; c < classes; ++c) {
    higher += x[c] > target ? 1 : 0;
    nans += isnan(x[c]) ? 1 : 0;
  }
  hits[row] = higher < k && nans == 0 ? 1.0f : 0.0f;
}
