// optim.cl: in-place optimizer steps, one work-item per parameter element, following the update
// formulas documented on each optimizer (Sources/Descent/Optimizers/, PyTorch's torch.optim).
// Swift twins: Sources/Descent/CPU/CPUBackend+Optim.swift (OptimMath), same order of operations.
// Arguments: count, p, g, then the state buffers and scalars named and ordered as the optimizer's
// OptimizerUpdate lists them (checked by OptimizerKernelTests); step-dependent scalars (bias
// corrections) arrive precomputed.

// SGD with momentum, dampening, Nesterov and L2 weight decay. b is unused when momentum == 0.
__kernel void sgd(const int count, __global float* p, __global const float* g, __global float* b,
                  const float lr, const float momentum, const float dampening, const int nesterov,
                  const float weight_decay, const int first_step) {
  EACH_ELEMENT(count, {
    float grad = g[i];
    if (weight_decay != 0.0f) grad = grad + weight_decay * p[i];
    if (momentum != 0.0f) {
      const float buffer = first_step ? grad : momentum * b[i] + (1.0f - dampening) * grad;
      b[i] = buffer;
      grad = nesterov ? grad + momentum * buffer : buffer;
    }
    p[i] = p[i] - lr * grad;
  })
}

// AdaGrad; lr is already divided by 1 + (t − 1)·lr_decay.
__kernel void adagrad(const int count, __global float* p, __global const float* g, __global float* sum,
                      const float lr, const float weight_decay, const float epsilon) {
  EACH_ELEMENT(count, {
    float grad = g[i];
    if (weight_decay != 0.0f) grad = grad + weight_decay * p[i];
    const float s = sum[i] + grad * grad;
    sum[i] = s;
    p[i] = p[i] - lr * (grad / (sqrt(s) + epsilon));
  })
}

// RMSprop; average (centered) and buffer (momentum) are unused when their option is off.
__kernel void rmsprop(const int count, __global float* p, __global const float* g, __global float* v,
                      __global float* average, __global float* buffer, const float lr, const float alpha,
                      const float epsilon, const float weight_decay, const float momentum,
                      const int centered) {
  EACH_ELEMENT(count, {
    float grad = g[i];
    if (weight_decay != 0.0f) grad = grad + weight_decay * p[i];
    const float square = alpha * v[i] + (1.0f - alpha) * (grad * grad);
    v[i] = square;
    float denominator = square;
    if (centered) {
      const float mean = alpha * average[i] + (1.0f - alpha) * grad;
      average[i] = mean;
      denominator = denominator - mean * mean;
    }
    denominator = sqrt(denominator) + epsilon;
    if (momentum > 0.0f) {
      const float step = momentum * buffer[i] + grad / denominator;
      buffer[i] = step;
      p[i] = p[i] - lr * step;
    } else {
      p[i] = p[i] - lr * (grad / denominator);
    }
  })
}

// Adam and AdamW (Adam.swift): L2 decay added to g (weight_decay) or decoupled (p scaled by
// decay_factor first). step_size = lr / (1 − β₁ᵗ), inverse_correction2 = 1 / √(1 − β₂ᵗ);
// v_max is unused without AMSGrad.
__kernel void adam(const int count, __global float* p, __global const float* g, __global float* m,
                   __global float* v, __global float* v_max, const float beta1, const float beta2,
                   const float step_size, const float inverse_correction2, const float epsilon,
                   const float weight_decay, const float decay_factor, const int amsgrad) {
  EACH_ELEMENT(count, {
    float param = p[i], grad = g[i];
    if (decay_factor != 1.0f) param = param * decay_factor;
    if (weight_decay != 0.0f) grad = grad + weight_decay * param;
    const float first = beta1 * m[i] + (1.0f - beta1) * grad;
    float second = beta2 * v[i] + (1.0f - beta2) * (grad * grad);
    m[i] = first;
    v[i] = second;
    if (amsgrad) {
      second = fmax(v_max[i], second);
      v_max[i] = second;
    }
    p[i] = param - step_size * (first / (sqrt(second) * inverse_correction2 + epsilon));
  })
}

// Adamax (Adamax.swift): m ← β₁m + (1 − β₁)g, u ← max(β₂u, |g| + ε), p ← p − step_size·m/u with
// step_size = lr / (1 − β₁ᵗ).
__kernel void adamax(const int count, __global float* p, __global const float* g, __global float* m,
                     __global float* u, const float beta1, const float beta2, const float step_size,
                     const float epsilon, const float weight_decay) {
  EACH_ELEMENT(count, {
    const float param = p[i];
    float grad = g[i];
    if (weight_decay != 0.0f) grad = grad + weight_decay * param;
    const float first = beta1 * m[i] + (1.0f - beta1) * grad;
    const float norm = fmax(beta2 * u[i], fabs(grad) + epsilon);
    m[i] = first;
    u[i] = norm;
    p[i] = param - step_size * (first / norm);
  })
}

// Lion (Lion.swift): p scaled by decay_factor = 1 − lr·λ, then moved by lr against the sign of
// c = β₁m + (1 − β₁)g (0 where c is 0); m ← β₂m + (1 − β₂)g.
__kernel void lion(const int count, __global float* p, __global const float* g, __global float* m,
                   const float lr, const float beta1, const float beta2, const float decay_factor) {
  EACH_ELEMENT(count, {
    const float grad = g[i], momentum = m[i];
    const float c = beta1 * momentum + (1.0f - beta1) * grad;
    const float direction = c > 0.0f ? 1.0f : (c < 0.0f ? -1.0f : 0.0f);
    p[i] = p[i] * decay_factor - lr * direction;
    m[i] = beta2 * momentum + (1.0f - beta2) * grad;
  })
}
