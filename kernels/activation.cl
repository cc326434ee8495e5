// activation.cl: activation functions forward and backward, and a dense layer's bias + activation.
// Swift twin: Sources/Descent/CPU/CPUBackend+Elementwise.swift (ActivationMath).
// The host builds this file once per activation with -DACTIVATION=<Activation.kernelCode>
// (0 relu, 1 leaky_relu, 2 sigmoid, 3 tanh, 4 gelu), so every kernel body is straight-line code:
// with a run-time switch around exp/erf, PoCL did not vectorise across work-items (ReLU ran at a
// third of the memory bandwidth).
#ifndef ACTIVATION
#error "build with -DACTIVATION=<code>"
#endif

inline float sigmoid(float x) { return 1.0f / (1.0f + exp(-x)); }

inline float activation(float slope, float x) {
#if ACTIVATION == 0
  return x > 0.0f ? x : 0.0f;
#elif ACTIVATION == 1
  return x > 0.0f ? x : slope * x;
#elif ACTIVATION == 2
  return sigmoid(x);
#elif ACTIVATION == 3
  return tanh(x);
#else
  return 0.5f * x * (1.0f + erf(x * 0.70710678118654752f));
#endif
}

// f′(x)
inline float activation_derivative(float slope, float x) {
#if ACTIVATION == 0
  return x > 0.0f ? 1.0f : 0.0f;
#elif ACTIVATION == 1
  return x > 0.0f ? 1.0f : slope;
#elif ACTIVATION == 2
  const float s = sigmoid(x);
  return s * (1.0f - s);
#elif ACTIVATION == 3
  const float t = tanh(x);
  return 1.0f - t * t;
#else  // Φ(x) + x·φ(x)
  return 0.5f * (1.0f + erf(x * 0.70710678118654752f)) + x * 0.39894228040143268f * exp(-0.5f * x * x);
#endif
}

__kernel void activation_forward(const int count, const float slope, __global const float* x,
                                 __global float* y) {
  const int i = get_global_id(0);
  if (i < count) y[i] = activation(slope, x[i]);
}

// x[r, c] += bias[c] (kept as the pre-activation for backward) and y = f(x): a dense layer's bias
// and activation in one pass. Two-dimensional: dimension 0 runs along a row's columns, 1 over rows
// (no per-element division to find the column).
__kernel void bias_activation(const int rows, const int columns, const float slope,
                              __global const float* bias, __global float* x, __global float* y) {
  const int column = get_global_id(0), row = get_global_id(1);
  if (column >= columns || row >= rows) return;
  const int i = row * columns + column;
  const float z = x[i] + bias[column];
  x[i] = z;
  y[i] = activation(slope, z);
}

__kernel void activation_backward(const int count, const float slope, __global const float* x,
                                  __global const float* dy, __global float* dx) {
  const int i = get_global_id(0);
  if (i < count) dx[i] = activation_derivative(slope, x[i]) * dy[i];
}
