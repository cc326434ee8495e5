// rng.cl: Philox4x32-10 random fills and dropout, bit-identical to the Swift backend.
// Swift twin: Sources/Descent/Random/Philox.swift and PortableMath.swift; CPUBackend+Reduce.swift
// (fillRandom, dropout). Element i of a fill uses counter (i.lo, i.hi, stream.lo, stream.hi) and
// key (seed.lo, seed.hi); dropout's element i, word i mod 4 of block i / 4. The transforms use
// only +, −, × and bit operations, each exactly rounded, and contraction into fma is off, so every
// device computes the same bits as the Swift code.
#pragma OPENCL FP_CONTRACT OFF

inline uint4 philox(uint4 counter, uint2 key) {
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      key.x += 0x9E3779B9u;
      key.y += 0xBB67AE85u;
    }
    const uint hi0 = mul_hi(0xD2511F53u, counter.x), lo0 = 0xD2511F53u * counter.x;
    const uint hi1 = mul_hi(0xCD9E8D57u, counter.z), lo1 = 0xCD9E8D57u * counter.z;
    counter = (uint4)(hi1 ^ counter.y ^ key.x, lo1, hi0 ^ counter.w ^ key.y, lo0);
  }
  return counter;
}

inline uint4 philox_block(ulong index, uint2 seed, uint2 stream) {
  return philox((uint4)((uint)index, (uint)(index >> 32), stream.x, stream.y), seed);
}

// (word >> 8)·2⁻²⁴, uniform on [0, 1)
inline float unit_interval(uint word) { return (float)(word >> 8) * 0x1p-24f; }

// ln x for a normal positive x (PortableMath.log)
inline float portable_log(float x) {
  int exponent = (int)((as_uint(x) >> 23) & 0xFFu) - 127;
  float mantissa = as_float((as_uint(x) & 0x7FFFFFu) | 0x3F800000u);
  if (mantissa > 0x1.6a09e6p+0f) {
    mantissa = mantissa * 0.5f;
    exponent += 1;
  }
  const float f = mantissa - 1.0f;
  float p = 0.06740232557058334f;
  p = p * f + -0.11727229505777359f;
  p = p * f + 0.11923926323652267f;
  p = p * f + -0.12399221211671829f;
  p = p * f + 0.14212606847286224f;
  p = p * f + -0.16668042540550232f;
  p = p * f + 0.2000257670879364f;
  p = p * f + -0.2500002384185791f;
  p = p * f + 0.33333301544189453f;
  p = p * f + -0.5f;
  p = p * f + 1.0f;
  return (float)exponent * 0x1.62e430p-1f + p * f;
}

// √x for x ≥ 0 (PortableMath.sqrt)
inline float portable_sqrt(float x) {
  float y = as_float(0x5F3759DFu - (as_uint(x) >> 1));
  for (int i = 0; i < 4; ++i) y = y * (1.5f - 0.5f * x * y * y);
  return x * y;
}

// cos(2πu) for u in [0, 1) (PortableMath.cosTwoPi)
inline float portable_cos_two_pi(float u) {
  float w = u - 0.5f;
  if (w < 0.0f) w = -w;
  float sign = -1.0f;
  if (w > 0.25f) {
    w = 0.5f - w;
    sign = 1.0f;
  }
  const float y = w * 0x1.921fb6p+2f;
  const float y2 = y * y;
  float p = -0x1.93974ap-37f;
  p = p * y2 + 0x1.1eed8ep-29f;
  p = p * y2 - 0x1.27e4fcp-22f;
  p = p * y2 + 0x1.a01a02p-16f;
  p = p * y2 - 0x1.6c16c2p-10f;
  p = p * y2 + 0x1.555556p-5f;
  p = p * y2 - 0.5f;
  return sign * (p * y2 + 1.0f);
}

// kind 0: uniform on [a, b); kind 1: normal with mean a and standard deviation b (Box–Muller).
__kernel void fill_random(const int count, const int kind, const float a, const float b,
                          const uint2 seed, const uint2 stream, __global float* y) {
  EACH_ELEMENT(count, {
    const uint4 block = philox_block((ulong)i, seed, stream);
    if (kind == 0) {
      y[i] = a + (b - a) * unit_interval(block.x);
    } else {
      const float u1 = (float)((block.x >> 8) + 1u) * 0x1p-24f;
      const float radius = portable_sqrt(-2.0f * portable_log(u1));
      y[i] = a + b * (radius * portable_cos_two_pi(unit_interval(block.y)));
    }
  })
}

// Inverted dropout: mask = u < rate ? 0 : keep (keep = 1/(1 − rate), from the host), y = x·mask.
// Element i's u comes from word i mod 4 of the block for i / 4 (a block serves four elements).
__kernel void dropout(const int count, const float rate, const float keep, const uint2 seed,
                      const uint2 stream, __global const float* x, __global float* y,
                      __global float* mask) {
  EACH_ELEMENT(count, {
    const uint4 block = philox_block((ulong)(i / 4), seed, stream);
    // An array, not a chain of ?: on the components, which Oclgrind computed wrongly for some elements.
    const uint words[4] = {block.x, block.y, block.z, block.w};
    const float m = unit_interval(words[i % 4]) < rate ? 0.0f : keep;
    mask[i] = m;
    y[i] = x[i] * m;
  })
}
