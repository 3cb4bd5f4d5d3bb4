// conv.cu: grouped 2-D convolution (cross-correlation, PyTorch semantics) in
// float32, NCHW: x (N, C, H, W), w (O, C/G, KH, KW), y (N, O, OH, OW); output
// channel o is in group o/(O/G) and reads input channels of that group.
// Integer parameters, in this order: N C H W O KH KW G sh sw ph pw dh dw OH OW.
//
//   conv_fwd_f32          one thread per y element (pixel fastest, so a warp
//                         shares o: weight loads broadcast, x loads coalesce);
//                         loops over the C/G·KH·KW taps of its group
//   conv_bwd_data_f32     one thread per dx element, loops over the O/G output
//                         channels of its group and the taps that hit it
//   conv_bwd_filter_f32   one 256-thread block per (o, c) filter slice: threads
//                         stride over N·OH·OW positions accumulating up to 9
//                         taps in registers, then block sums (double)
//
// Version 1: direct, correct for any shape; channels per group are small (4, 10,
// 16) in collegial ensembles, so the taps of one output stay in L1.
// CPU reference: pkg/device/cpu. Build: scripts/build-kernels.sh.
#include "common.cuh"

#define CONV_ARGS                                                                                            \
  int N, int C, int H, int W, int O, int KH, int KW, int G, int sh, int sw, int ph, int pw, int dh, int dw, int OH, \
      int OW

extern "C" __global__ void conv_fwd_f32(const float* x, const float* w, float* y, CONV_ARGS) {
  int Cg = C / G, Og = O / G;
  long long n_out = (long long)N * O * OH * OW;
  GRID_STRIDE(i, n_out) {
    int ox = (int)(i % OW);
    long long t = i / OW;
    int oy = (int)(t % OH);
    t /= OH;
    int o = (int)(t % O);
    int n = (int)(t / O);
    int c0 = (o / Og) * Cg;
    const float* wo = w + (long long)o * Cg * KH * KW;
    float acc = 0.0f;
    for (int c = 0; c < Cg; c++) {
      const float* xc = x + ((long long)n * C + c0 + c) * H * W;
      const float* wc = wo + c * KH * KW;
      for (int kh = 0; kh < KH; kh++) {
        int iy = oy * sh - ph + kh * dh;
        if (iy < 0 || iy >= H) continue;
        for (int kw = 0; kw < KW; kw++) {
          int ix = ox * sw - pw + kw * dw;
          if (ix < 0 || ix >= W) continue;
          acc = fmaf(xc[iy * W + ix], wc[kh * KW + kw], acc);
        }
      }
    }
    y[i] = acc;
  }
}

extern "C" __global__ void conv_bwd_data_f32(const float* dy, const float* w, float* dx, CONV_ARGS) {
  int Cg = C / G, Og = O / G;
  long long n_in = (long long)N * C * H * W;
  GRID_STRIDE(i, n_in) {
    int ix = (int)(i % W);
    long long t = i / W;
    int iy = (int)(t % H);
    t /= H;
    int c = (int)(t % C);
    int n = (int)(t / C);
    int g = c / Cg, cl = c - g * Cg;
    float acc = 0.0f;
    for (int ol = 0; ol < Og; ol++) {
      int o = g * Og + ol;
      const float* dyo = dy + ((long long)n * O + o) * OH * OW;
      const float* wo = w + ((long long)o * Cg + cl) * KH * KW;
      for (int kh = 0; kh < KH; kh++) {
        int ty = iy + ph - kh * dh;
        if (ty < 0 || ty % sh != 0) continue;
        int oy = ty / sh;
        if (oy >= OH) continue;
        for (int kw = 0; kw < KW; kw++) {
          int tx = ix + pw - kw * dw;
          if (tx < 0 || tx % sw != 0) continue;
          int ox = tx / sw;
          if (ox >= OW) continue;
          acc = fmaf(dyo[oy * OW + ox], wo[kh * KW + kw], acc);
        }
      }
    }
    dx[i] = acc;
  }
}

#define TAPS 9

extern "C" __global__ void conv_bwd_filter_f32(const float* x, const float* dy, float* dw_out, CONV_ARGS) {
  int Cg = C / G, Og = O / G;
  int o = blockIdx.x / Cg, cl = blockIdx.x % Cg;
  int c = (o / Og) * Cg + cl;
  int taps = KH * KW;
  long long plane = (long long)OH * OW, positions = (long long)N * plane;
  for (int t0 = 0; t0 < taps; t0 += TAPS) {
    float acc[TAPS];
#pragma unroll
    for (int t = 0; t < TAPS; t++) acc[t] = 0.0f;
    for (long long p = threadIdx.x; p < positions; p += blockDim.x) {
      int n = (int)(p / plane);
      int r = (int)(p - n * plane);
      int oy = r / OW, ox = r - oy * OW;
      float d = dy[((long long)n * O + o) * plane + r];
      const float* xc = x + ((long long)n * C + c) * H * W;
#pragma unroll
      for (int t = 0; t < TAPS; t++) {
        int tap = t0 + t;
        if (tap >= taps) break;
        int kh = tap / KW, kw = tap - kh * KW;
        int iy = oy * sh - ph + kh * dh, ix = ox * sw - pw + kw * dw;
        if (iy >= 0 && iy < H && ix >= 0 && ix < W) acc[t] = fmaf(d, xc[iy * W + ix], acc[t]);
      }
    }
#pragma unroll
    for (int t = 0; t < TAPS; t++) {
      double s = block_sum((double)acc[t]);
      if (threadIdx.x == 0 && t0 + t < taps) dw_out[((long long)o * Cg + cl) * taps + t0 + t] = (float)s;
    }
  }
}
