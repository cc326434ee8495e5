// elementwise.cl: fills, axpby, multiply, clip, penalties, gradient clipping and softmax
// (activations: activation.cl; a dense layer's bias and bias gradient: gemm.cl's fused store).
// Swift twin: Sources/Descent/CPU/CPUBackend+Elementwise.swift (fill: CPUBackend.swift).
// Buffers are dense row-major floats; one work-item per element (per row for softmax). The host
// rounds the global size up to the work-group size, so every kernel checks its index against the
// element count: the element-wise ones through EACH_ELEMENT (prelude.cl).

__kernel void fill(const int count, const float value, __global float* y) {
  EACH_ELEMENT(count, y[i] = value;)
}

// z = alpha·x + beta·y; y is not read when beta == 0.
__kernel void axpby(const int count, const float alpha, __global const float* x, const float beta,
                    __global const float* y, __global float* z) {
  EACH_ELEMENT(count, z[i] = beta == 0.0f ? alpha * x[i] : alpha * x[i] + beta * y[i];)
}

// z = x ⊙ y
__kernel void multiply(const int count, __global const float* x, __global const float* y, __global float* z) {
  EACH_ELEMENT(count, z[i] = x[i] * y[i];)
}

// y = min(max(x, low), high): gradient clipping by value.
__kernel void clip(const int count, const float low, const float high, __global const float* x,
                   __global float* y) {
  EACH_ELEMENT(count, y[i] = fmin(fmax(x[i], low), high);)
}

// g += l1·sign(p) + 2·l2·p: the gradient of the penalty l1·Σ|p| + l2·Σp² (sign(0) = 0).
__kernel void penalty_gradient(const int count, const float l1, const float l2, __global const float* p,
                               __global float* g) {
  EACH_ELEMENT(count, {
    const float w = p[i];
    const float sign = w > 0.0f ? 1.0f : (w < 0.0f ? -1.0f : 0.0f);
    g[i] = g[i] + (l1 * sign + 2.0f * l2 * w);
  })
}

// x *= min(1, max_norm / (√squared_norm[0] + 1e-6)): clipping by global norm (torch's
// clip_grad_norm_), with the squared norm already summed on the device.
__kernel void clip_to_norm(const int count, const float max_norm, __global const float* squared_norm,
                           __global float* x) {
  const float factor = max_norm / (sqrt(squared_norm[0]) + 1e-6f);
  if (factor < 1.0f) EACH_ELEMENT(count, x[i] = x[i] * factor;)
}

// Row-wise softmax with the row maximum subtracted; one work-item per row.
__kernel void softmax(const int rows, const int columns, __global const float* x, __global float* y) {
  const int row = get_global_id(0);
  if (row >= rows) return;
  __global const float* input = x + row * columns;
  __global float* output = y + row * columns;
  float largest = -INFINITY;
  for (int c = 0; c < columns; ++c) largest = fmax(largest, input[c]);
  float total = 0.0f;
  for (int c = 0; c < columns; ++c) {
    output[c] = exp(input[c] - largest);
    total += output[c];
  }
  for (int c = 0; c < columns; ++c) output[c] = output[c] / total;
}

// dx = y ⊙ (dy − Σ_c dy·y) per row, from the softmax output y; one work-item per row.
__kernel void softmax_backward(const int rows, const int columns, __global const float* y,
                               __global const float* dy, __global float* dx) {
  const int row = get_global_id(0);
  if (row >= rows) return;
  const int offset = row * columns;
  float dot = 0.0f;
  for (int c = 0; c < columns; ++c) dot += dy[offset + c] * y[offset + c];
  for (int c = 0; c < columns; ++c) dx[offset + c] = y[offset + c] * (dy[offset + c] - dot);
}
