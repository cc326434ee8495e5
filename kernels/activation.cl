// activation.cl: activation functions forward and backward, and a dense layer's bias + activation.
// Swift twin: Sources/Descent/CPU/CPUBackend+Elementwise.swift (ActivationMath).
// Each activation is a pair of functions named after it (Activation.name): NAME_forward(slope, x)
// and NAME_derivative(slope, x) = f′(x). The host builds this file once per activation with
// -DFORWARD=NAME_forward -DDERIVATIVE=NAME_derivative (whole names: PoCL defines tanh as a macro,
// so a name cannot be pasted together here), so every kernel body is straight-line code: with a
// run-time switch around exp/erf, PoCL did not vectorise across work-items (ReLU ran at a third
// of the memory bandwidth).
#if !defined(FORWARD) || !defined(DERIVATIVE)
#error "build with -DFORWARD=<name>_forward -DDERIVATIVE=<name>_derivative"
#endif

inline float sigmoid(float x) { return 1.0f / (1.0f + exp(-x)); }

inline float relu_forward(float slope, float x) { return x > 0.0f ? x : 0.0f; }
inline float relu_derivative(float slope, float x) { return x > 0.0f ? 1.0f : 0.0f; }

inline float leaky_relu_forward(float slope, float x) { return x > 0.0f ? x : slope * x; }
inline float leaky_relu_derivative(float slope, float x) { return x > 0.0f ? 1.0f : slope; }

inline float sigmoid_forward(float slope, float x) { return sigmoid(x); }
inline float sigmoid_derivative(float slope, float x) {
  const float s = sigmoid(x);
  return s * (1.0f - s);
}

inline float tanh_forward(float slope, float x) { return tanh(x); }
inline float tanh_derivative(float slope, float x) {
  const float t = tanh(x);
  return 1.0f - t * t;
}

inline float gelu_forward(float slope, float x) { return 0.5f * x * (1.0f + erf(x * 0.70710678118654752f)); }
// Φ(x) + x·φ(x)
inline float gelu_derivative(float slope, float x) {
  return 0.5f * (1.0f + erf(x * 0.70710678118654752f)) + x * 0.39894228040143268f * exp(-0.5f * x * x);
}

inline float silu_forward(float slope, float x) { return x * sigmoid(x); }
// σ(x)·(1 + x·(1 − σ(x)))
inline float silu_derivative(float slope, float x) {
  const float s = sigmoid(x);
  return s * (1.0f + x * (1.0f - s));
}

inline float mish_forward(float slope, float x) { return x * tanh(log1p(exp(x))); }
// tanh(sp) + x·(1 − tanh²(sp))·σ(x), sp = ln(1 + eˣ)
inline float mish_derivative(float slope, float x) {
  const float t = tanh(log1p(exp(x)));
  return t + x * (1.0f - t * t) * sigmoid(x);
}

__kernel void activate(const int count, const float slope, __global const float* x, __global float* y) {
  EACH_ELEMENT(count, y[i] = FORWARD(slope, x[i]);)
}

// x[r, c] += bias[c] (kept as the pre-activation for backward) and y = f(x): a dense layer's bias
// and activation in one pass. Two-dimensional: dimension 0 runs along a row's columns, 1 over rows
// (no per-element division to find the column).
__kernel void add_bias_activate(const int rows, const int columns, const float slope,
                                __global const float* bias, __global float* x, __global float* y) {
  const int column = get_global_id(0), row = get_global_id(1);
  if (column >= columns || row >= rows) return;
  const int i = row * columns + column;
  const float z = x[i] + bias[column];
  x[i] = z;
  y[i] = FORWARD(slope, z);
}

__kernel void activation_backward(const int count, const float slope, __global const float* x,
                                  __global const float* dy, __global float* dx) {
  EACH_ELEMENT(count, dx[i] = DERIVATIVE(slope, x[i]) * dy[i];)
}
