// pool.cu: 2-D max pool (PyTorch's MaxPool2d, no dilation or ceil mode) in
// float32, NCHW: x (N, C, H, W), y (N, C, OH, OW); padding counts as −∞ and
// NaN ranks above every number. Integer parameters, in this order:
// N C H W KH KW sh sw ph pw OH OW.
//
//   max_pool_fwd_f32    one thread per y element: the window's maximum
//   max_pool_grad_f32   one thread per dx element: scans the windows that hold
//                       it and adds dy of those whose first maximum it is, so
//                       no atomics and no stored indices (the argmax is found
//                       again from x, as the forward pass found it)
//
// Version 1: direct; the stem pool is memory-bound and reads each x element
// about (KH/sh)·(KW/sw) times per pass, from L1/L2.
// CPU reference: pkg/device/cpu/maxpool.go. Build: scripts/build-kernels.sh.
#include "common.cuh"

#define POOL_ARGS int N, int C, int H, int W, int KH, int KW, int sh, int sw, int ph, int pw, int OH, int OW

// window_argmax is the offset in plane x of the first maximum of window
// (oy, ox), starting from the window's first element so that an all −∞
// window picks it as PyTorch does. Padding ≤ kernel/2 (checked on the host)
// keeps every window non-empty.
__device__ __forceinline__ int window_argmax(const float* x, int oy, int ox, int H, int W, int KH, int KW, int sh,
                                             int sw, int ph, int pw) {
  int y0 = oy * sh - ph, x0 = ox * sw - pw;
  int y1 = min(y0 + KH, H), x1 = min(x0 + KW, W);
  y0 = max(y0, 0);
  x0 = max(x0, 0);
  int best = y0 * W + x0;
  float m = x[best];
  for (int iy = y0; iy < y1; iy++) {
    for (int ix = x0; ix < x1; ix++) {
      float v = x[iy * W + ix];
      if (v > m || (isnan(v) && !isnan(m))) {
        best = iy * W + ix;
        m = v;
      }
    }
  }
  return best;
}

extern "C" __global__ void max_pool_fwd_f32(const float* x, float* y, POOL_ARGS) {
  long long n_out = (long long)N * C * OH * OW;
  GRID_STRIDE(i, n_out) {
    int ox = (int)(i % OW);
    long long t = i / OW;
    int oy = (int)(t % OH);
    const float* xp = x + (t / OH) * H * W;
    y[i] = xp[window_argmax(xp, oy, ox, H, W, KH, KW, sh, sw, ph, pw)];
  }
}

extern "C" __global__ void max_pool_grad_f32(const float* x, const float* dy, float* dx, POOL_ARGS) {
  long long n_in = (long long)N * C * H * W;
  GRID_STRIDE(i, n_in) {
    int ix = (int)(i % W);
    long long t = i / W;
    int iy = (int)(t % H);
    long long plane = t / H;
    const float* xp = x + plane * H * W;
    const float* dyp = dy + plane * OH * OW;
    int self = iy * W + ix;
    // Windows oy with oy·sh − ph ≤ iy < oy·sh − ph + KH (likewise ox).
    int oy0 = max(0, (iy + ph - KH + sh) / sh), oy1 = min(OH - 1, (iy + ph) / sh);
    int ox0 = max(0, (ix + pw - KW + sw) / sw), ox1 = min(OW - 1, (ix + pw) / sw);
    float g = 0.0f;
    for (int oy = oy0; oy <= oy1; oy++) {
      for (int ox = ox0; ox <= ox1; ox++) {
        if (window_argmax(xp, oy, ox, H, W, KH, KW, sh, sw, ph, pw) == self) g += dyp[oy * OW + ox];
      }
    }
    dx[i] = g;
  }
}
