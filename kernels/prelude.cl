// prelude.cl: what every kernel file may use; the host puts it before each file's source
// (SharedContext.program), and the portability test passes it with `-include`.

// float16 values passed to functions (OpenCL's builtins: vload16, fma, exp; our inline helpers)
// change the x86 calling convention when the CPU has no AVX-512, and clang warns for each
// (-Wpsabi: PoCL printed "5 warnings generated." for every build on AVX2 CPUs). The functions are
// inlined into the kernels, so no call crosses that boundary: the warning does not apply here.
#ifdef __clang__
#pragma clang diagnostic ignored "-Wpsabi"
#endif

// Runs the statements after count with `i` = get_global_id(0), on every work-item below count:
// the element-wise kernels' body. The host rounds the global size up to whole work-groups, so the
// last group may reach past count. The statements appear twice: for a group wholly below count
// without the bound check, and with it for the last group. PoCL runs a group's work-items as one
// vectorised loop; under a per-item check its loads and stores were masked, and ReLU's backward
// pass moved 22 GB/s against 48 without the check (benchmarks/README.md, issue 36). The group
// test is the same for every work-item of a group, so a GPU takes one branch per group.
#define EACH_ELEMENT(count, ...)                                             \
  {                                                                          \
    if ((get_group_id(0) + 1) * get_local_size(0) <= (size_t)(count)) {     \
      const int i = (int)get_global_id(0);                                   \
      __VA_ARGS__                                                            \
    } else if (get_global_id(0) < (size_t)(count)) {                         \
      const int i = (int)get_global_id(0);                                   \
      __VA_ARGS__                                                            \
    }                                                                        \
  }

// The activations, each a pair of functions named after it (Activation.name): NAME_forward(slope, x)
// and NAME_derivative(slope, x) = f′(x). activation.cl's kernels and gemm.cl's fused store use
// them, built with the names as -D options (FORWARD, DERIVATIVE, ACTIVATION): whole names, as
// PoCL defines tanh as a macro, so a name cannot be pasted together.
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
