// elementwise.cu: Collegium's float32 elementwise and small reduction kernels.
//
//   fill, copy, add, scale, relu, relu_grad   over n elements
//   bias_add / bias_grad                      (outer, C, inner) views, bias of C
//   global_avg_pool / _grad                   x (rows, spatial) -> y (rows)
//   member_mean / _grad                       x (batch, members·width) -> y (batch, width)
//   weighted_sum / _grad                      y[0] = Σ w[i]·x[i]
//
// CPU reference: pkg/device/cpu. Build: scripts/build-kernels.sh
// (nvcc -ptx -arch=compute_70 elementwise.cu -> ptx/elementwise.ptx).
#include "common.cuh"

extern "C" __global__ void fill_f32(float* y, float v, long long n) {
  GRID_STRIDE(i, n) y[i] = v;
}

extern "C" __global__ void copy_f32(float* y, const float* x, long long n) {
  GRID_STRIDE(i, n) y[i] = x[i];
}

extern "C" __global__ void add_f32(const float* a, const float* b, float* y, long long n) {
  GRID_STRIDE(i, n) y[i] = a[i] + b[i];
}

extern "C" __global__ void scale_f32(float alpha, const float* x, float* y, long long n) {
  GRID_STRIDE(i, n) y[i] = alpha * x[i];
}

extern "C" __global__ void relu_f32(const float* x, float* y, long long n) {
  GRID_STRIDE(i, n) y[i] = fmaxf(x[i], 0.0f);
}

extern "C" __global__ void relu_grad_f32(const float* y, const float* dy, float* dx, long long n) {
  GRID_STRIDE(i, n) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

extern "C" __global__ void bias_add_f32(const float* x, const float* b, float* y, int C, long long inner, long long n) {
  GRID_STRIDE(i, n) y[i] = x[i] + b[(i / inner) % C];
}

// bias_grad_f32: one block per channel.
extern "C" __global__ void bias_grad_f32(const float* dy, float* db, int outer, int C, long long inner) {
  int c = blockIdx.x;
  long long m = (long long)outer * inner;
  double s = 0.0;
  for (long long idx = threadIdx.x; idx < m; idx += blockDim.x) s += dy[channel_index(idx, c, C, inner)];
  s = block_sum(s);
  if (threadIdx.x == 0) db[c] = (float)s;
}

// global_avg_pool_f32: one warp per row.
extern "C" __global__ void global_avg_pool_f32(const float* x, float* y, long long rows, int spatial) {
  int lane = threadIdx.x & 31;
  long long warps = ((long long)gridDim.x * blockDim.x) >> 5;
  for (long long r = ((long long)blockIdx.x * blockDim.x + threadIdx.x) >> 5; r < rows; r += warps) {
    const float* row = x + r * spatial;
    double s = 0.0;
    for (int j = lane; j < spatial; j += 32) s += row[j];
    s = warp_sum(s);
    if (lane == 0) y[r] = (float)(s / spatial);
  }
}

extern "C" __global__ void global_avg_pool_grad_f32(const float* dy, float* dx, int spatial, long long n) {
  GRID_STRIDE(i, n) dx[i] = dy[i / spatial] / (float)spatial;
}

extern "C" __global__ void member_mean_f32(const float* x, float* y, int members, int width, float scale, long long n) {
  GRID_STRIDE(i, n) {
    long long b = i / width;
    long long j = i - b * width;
    const float* row = x + b * members * width + j;
    float s = 0.0f;
    for (int k = 0; k < members; k++) s += row[(long long)k * width];
    y[i] = scale * s;
  }
}

extern "C" __global__ void member_mean_grad_f32(const float* dy, float* dx, int members, int width, float scale, long long n) {
  GRID_STRIDE(i, n) {
    long long b = i / ((long long)members * width);
    long long j = i % width;
    dx[i] = scale * dy[b * width + j];
  }
}

// weighted_sum_f32: a single block, deterministic.
extern "C" __global__ void __launch_bounds__(1024) weighted_sum_f32(const float* x, const float* w, float* y, long long n) {
  double s = 0.0;
  for (long long i = threadIdx.x; i < n; i += blockDim.x) s += (double)w[i] * x[i];
  s = block_sum(s);
  if (threadIdx.x == 0) y[0] = (float)s;
}

extern "C" __global__ void weighted_sum_grad_f32(const float* w, const float* dy, float* dx, long long n) {
  GRID_STRIDE(i, n) dx[i] = dy[0] * w[i];
}
