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
//
//   conv_tiled_<OCT>_f32  version 2 of forward, and of backward-data at stride 1
//                         (a forward conv of dy with the flipped filter): a
//                         block computes an 8×32 output tile for OCT ∈ {4, 8,
//                         16} output channels of one group and image. The input
//                         patch of 8 channels at a time and their OCT·taps
//                         weights go through shared memory; each thread owns one
//                         pixel and OCT accumulators, so an input value read from
//                         shared memory feeds OCT FMAs and weights are broadcast.
//                         Where v1 reads every tap from L1 for one output, this
//                         reads the patch once per OCT output channels. The
//                         weight layout is passed as strides (group, out, in,
//                         kh, kw) so the same code runs the flipped, transposed
//                         filter of backward-data. Shapes whose patch exceeds
//                         17×65 or 9 taps (see tiledConv.fits) use v1.
//   conv_wgrad_tiled_<OCT>_f32  version 2 of backward-filter for the same shapes:
//                         a block owns OCT ∈ {4, 8} output × 8 input channels × taps of
//                         one group's filter and sums over a share of the
//                         (image, 8×32 tile) items: dy for OCT channels and the
//                         input patch go through shared memory, each thread
//                         accumulates up to 3 filter elements over the tile's
//                         pixels. Blocks that split the items write partial
//                         sums that sum_partials_f32 adds in a fixed order, so
//                         the result is deterministic (no atomics).
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

#define TILE_H 8
#define TILE_W 32
#define CHUNK 8
#define PATCH_H 17  // (TILE_H-1)·2 + 3: stride 2 with a 3-tap kernel
#define PATCH_W 65  // (TILE_W-1)·2 + 3
#define MAX_TAPS 9

// conv_tiled: y (N, Cout, OH, OW) = conv(x (N, Cin, H, W), w) in G groups,
// with filter element (group g, local out o, local in c, kh, kw) at
// w[wb + g·sg + o·so + c·si + kh·skh + kw·skw]. 256 threads; grid
// (tiles of OH×OW, G·ceil(Og/OCT), N).
template <int OCT>
__device__ __forceinline__ void conv_tiled(const float* x, const float* w, float* y, int Cin, int H, int W, int Cout,
                                           int G, int KH, int KW, int sh, int sw, int ph, int pw, int dh, int dw,
                                           int OH, int OW, long long wb, long long sg, int so, int si, int skh,
                                           int skw) {
  __shared__ float patch[CHUNK][PATCH_H][PATCH_W];
  __shared__ float wsm[CHUNK][MAX_TAPS][OCT];
  int Cg = Cin / G, Og = Cout / G, taps = KH * KW;
  int tilesW = (OW + TILE_W - 1) / TILE_W, ocBlocks = (Og + OCT - 1) / OCT;
  int oy0 = blockIdx.x / tilesW * TILE_H, ox0 = blockIdx.x % tilesW * TILE_W;
  int g = blockIdx.y / ocBlocks, oc0 = blockIdx.y % ocBlocks * OCT;
  int n = blockIdx.z;
  int ty = threadIdx.x / TILE_W, tx = threadIdx.x % TILE_W;
  int oy = oy0 + ty, ox = ox0 + tx;
  int rows = (TILE_H - 1) * sh + (KH - 1) * dh + 1, cols = (TILE_W - 1) * sw + (KW - 1) * dw + 1;
  int iy0 = oy0 * sh - ph, ix0 = ox0 * sw - pw;
  const float* xg = x + ((long long)n * Cin + (long long)g * Cg) * H * W;
  const float* wg = w + wb + g * sg;
  float acc[OCT];
#pragma unroll
  for (int o = 0; o < OCT; o++) acc[o] = 0.0f;
  for (int c0 = 0; c0 < Cg; c0 += CHUNK) {
    int ck = min(CHUNK, Cg - c0);
    __syncthreads();  // the previous chunk is consumed
    for (int i = threadIdx.x; i < ck * rows * cols; i += blockDim.x) {
      int c = i / (rows * cols), r = i - c * rows * cols, py = r / cols, px = r - py * cols;
      int iy = iy0 + py, ix = ix0 + px;
      float v = 0.0f;
      if (iy >= 0 && iy < H && ix >= 0 && ix < W) v = xg[(long long)(c0 + c) * H * W + (long long)iy * W + ix];
      patch[c][py][px] = v;
    }
    for (int i = threadIdx.x; i < ck * taps * OCT; i += blockDim.x) {
      int c = i / (taps * OCT), r = i - c * taps * OCT, tap = r / OCT, o = r - tap * OCT;
      int kh = tap / KW, kw = tap - kh * KW;
      float v = 0.0f;
      if (oc0 + o < Og) v = wg[(long long)(oc0 + o) * so + (long long)(c0 + c) * si + kh * skh + kw * skw];
      wsm[c][tap][o] = v;
    }
    __syncthreads();
    if (oy < OH && ox < OW) {
      for (int c = 0; c < ck; c++)
        for (int kh = 0; kh < KH; kh++)
          for (int kw = 0; kw < KW; kw++) {
            float v = patch[c][ty * sh + kh * dh][tx * sw + kw * dw];
            const float* wt = wsm[c][kh * KW + kw];
#pragma unroll
            for (int o = 0; o < OCT; o++) acc[o] = fmaf(v, wt[o], acc[o]);
          }
    }
  }
  if (oy >= OH || ox >= OW) return;
#pragma unroll
  for (int o = 0; o < OCT; o++)
    if (oc0 + o < Og) y[(((long long)n * Cout + (long long)g * Og + oc0 + o) * OH + oy) * OW + ox] = acc[o];
}

#define CONV_TILED_KERNEL(OCT)                                                                                   \
  extern "C" __global__ void __launch_bounds__(256)                                                             \
      conv_tiled_##OCT##_f32(const float* x, const float* w, float* y, int Cin, int H, int W, int Cout, int G,   \
                             int KH, int KW, int sh, int sw, int ph, int pw, int dh, int dw, int OH, int OW,     \
                             long long wb, long long sg, int so, int si, int skh, int skw) {                     \
    conv_tiled<OCT>(x, w, y, Cin, H, W, Cout, G, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW, wb, sg, so, si, skh, skw); \
  }

CONV_TILED_KERNEL(4)
CONV_TILED_KERNEL(8)
CONV_TILED_KERNEL(16)

// OCT ≤ 8 here: 16 channels of dy beside the patch would pass 48 KiB of shared memory.
#define WGRAD_PER_THREAD 3  // ceil(8 · CHUNK · MAX_TAPS / 256)

// conv_wgrad_tiled: dw (or, with splits > 1, partial sums at dw + split·size)
// of y = conv(x, w) for a stride-free filter layout (O, Cg, KH, KW). Grid:
// (splits, G·ceil(Og/OCT)·ceil(Cg/CHUNK), 1); block s sums items s, s+splits, …
// of the N·tiles (image, output tile) pairs.
template <int OCT>
__device__ __forceinline__ void conv_wgrad_tiled(const float* x, const float* dy, float* dw, int N, int C, int H,
                                                 int W, int O, int G, int KH, int KW, int sh, int sw, int ph, int pw,
                                                 int dh, int dw_, int OH, int OW) {
  __shared__ float patch[CHUNK][PATCH_H][PATCH_W];
  __shared__ float dys[OCT][TILE_H * TILE_W + 1];  // +1: rows in different banks
  int Cg = C / G, Og = O / G, taps = KH * KW;
  int ocBlocks = (Og + OCT - 1) / OCT, cBlocks = (Cg + CHUNK - 1) / CHUNK;
  int g = blockIdx.y / (ocBlocks * cBlocks), r = blockIdx.y % (ocBlocks * cBlocks);
  int oc0 = r / cBlocks * OCT, c0 = r % cBlocks * CHUNK;
  int ck = min(CHUNK, Cg - c0);
  int tilesW = (OW + TILE_W - 1) / TILE_W, tiles = ((OH + TILE_H - 1) / TILE_H) * tilesW;
  int rows = (TILE_H - 1) * sh + (KH - 1) * dh + 1, cols = (TILE_W - 1) * sw + (KW - 1) * dw_ + 1;
  int outputs = OCT * ck * taps;  // this block's filter elements, o slowest
  float acc[WGRAD_PER_THREAD];
#pragma unroll
  for (int j = 0; j < WGRAD_PER_THREAD; j++) acc[j] = 0.0f;
  for (long long item = blockIdx.x; item < (long long)N * tiles; item += gridDim.x) {
    int n = (int)(item / tiles), tile = (int)(item % tiles);
    int oy0 = tile / tilesW * TILE_H, ox0 = tile % tilesW * TILE_W;
    int iy0 = oy0 * sh - ph, ix0 = ox0 * sw - pw;
    const float* xg = x + ((long long)n * C + (long long)g * Cg + c0) * H * W;
    __syncthreads();  // the previous item is consumed
    for (int i = threadIdx.x; i < ck * rows * cols; i += blockDim.x) {
      int c = i / (rows * cols), q = i - c * rows * cols, py = q / cols, px = q - py * cols;
      int iy = iy0 + py, ix = ix0 + px;
      float v = 0.0f;
      if (iy >= 0 && iy < H && ix >= 0 && ix < W) v = xg[(long long)c * H * W + (long long)iy * W + ix];
      patch[c][py][px] = v;
    }
    for (int i = threadIdx.x; i < OCT * TILE_H * TILE_W; i += blockDim.x) {
      int o = i / (TILE_H * TILE_W), p = i - o * TILE_H * TILE_W;
      int oy = oy0 + p / TILE_W, ox = ox0 + p % TILE_W;
      float v = 0.0f;  // pixels past the edge and channels past the group add nothing
      if (oc0 + o < Og && oy < OH && ox < OW) v = dy[(((long long)n * O + (long long)g * Og + oc0 + o) * OH + oy) * OW + ox];
      dys[o][p] = v;
    }
    __syncthreads();
#pragma unroll
    for (int j = 0; j < WGRAD_PER_THREAD; j++) {
      int e = threadIdx.x + j * 256;
      if (e >= outputs) break;
      int o = e / (ck * taps), q = e - o * ck * taps, c = q / taps, tap = q - c * taps;
      int kh = tap / KW, kw = tap - kh * KW;
      const float* d = dys[o];
      float s = acc[j];
      for (int ty = 0; ty < TILE_H; ty++) {
        const float* prow = patch[c][ty * sh + kh * dh] + kw * dw_;
        for (int tx = 0; tx < TILE_W; tx++) s = fmaf(d[ty * TILE_W + tx], prow[tx * sw], s);
      }
      acc[j] = s;
    }
  }
  long long size = (long long)O * Cg * taps;
  float* out = dw + (long long)blockIdx.x * size;
#pragma unroll
  for (int j = 0; j < WGRAD_PER_THREAD; j++) {
    int e = threadIdx.x + j * 256;
    if (e >= outputs) break;
    int o = e / (ck * taps), q = e - o * ck * taps, c = q / taps, tap = q - c * taps;
    if (oc0 + o < Og) out[(((long long)g * Og + oc0 + o) * Cg + c0 + c) * taps + tap] = acc[j];
  }
}

#define CONV_WGRAD_KERNEL(OCT)                                                                                    \
  extern "C" __global__ void __launch_bounds__(256)                                                              \
      conv_wgrad_tiled_##OCT##_f32(const float* x, const float* dy, float* dw, int N, int C, int H, int W, int O, \
                                   int G, int KH, int KW, int sh, int sw, int ph, int pw, int dh, int dw_, int OH,  \
                                   int OW) {                                                                     \
    conv_wgrad_tiled<OCT>(x, dy, dw, N, C, H, W, O, G, KH, KW, sh, sw, ph, pw, dh, dw_, OH, OW);                  \
  }

CONV_WGRAD_KERNEL(4)
CONV_WGRAD_KERNEL(8)

// sum_partials_f32: y[i] = Σ_s part[s·n + i], s in order (deterministic).
extern "C" __global__ void sum_partials_f32(const float* part, float* y, int splits, long long n) {
  GRID_STRIDE(i, n) {
    float s = 0.0f;
    for (int k = 0; k < splits; k++) s += part[(long long)k * n + i];
    y[i] = s;
  }
}
