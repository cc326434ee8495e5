// activation.cl: activation functions forward and backward (the functions: prelude.cl).
// Swift twin: Sources/Descent/CPU/CPUBackend+Elementwise.swift (ActivationMath).
// The host builds this file once per activation with -DFORWARD=NAME_forward
// -DDERIVATIVE=NAME_derivative, so every kernel body is straight-line code: with a run-time switch
// around exp/erf, PoCL did not vectorise across work-items (ReLU ran at a third of the memory
// bandwidth). A dense layer's bias and activation run in gemm.cl's store.
#if !defined(FORWARD) || !defined(DERIVATIVE)
#error "build with -DFORWARD=<name>_forward -DDERIVATIVE=<name>_derivative"
#endif

__kernel void activate(const int count, const float slope, __global const float* x, __global float* y) {
  EACH_ELEMENT(count, y[i] = FORWARD(slope, x[i]);)
}

__kernel void activation_backward(const int count, const float slope, __global const float* x,
                                  __global const float* dy, __global float* dx) {
  EACH_ELEMENT(count, dx[i] = DERIVATIVE(slope, x[i]) * dy[i];)
}
