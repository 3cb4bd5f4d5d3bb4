// batchnorm.cu: batch normalisation over the channels of an (outer, C, inner)
// float32 tensor (inner = H·W for NCHW, 1 for (B, C)); m = outer·inner
// elements per channel. The statistics (mean, then 1/sqrt(var + eps), 2·C
// floats) are computed once and read by the forward and both backward kernels.
//
//   bn_stats_train_f32    one block per channel: batch mean and biased variance
//                         (two passes, double sums), running stats updated with
//                         momentum (unbiased variance, as PyTorch)
//   bn_stats_eval_f32     from the running statistics, one thread per channel
//   bn_forward_f32        elementwise y = γ·(x − mean)·invstd + β
//   bn_backward_gamma_f32 one block per channel: dγ = Σ dy·x̂
//   bn_backward_data_f32  elementwise; training dx = γ·invstd·(dy − dβ/m −
//                         x̂·dγ/m) with dγ from bn_backward_gamma and dβ = Σ dy;
//                         eval dx = dy·γ·invstd
//
// CPU reference: pkg/device/cpu/norm.go. Build: scripts/build-kernels.sh.
#include "common.cuh"

extern "C" __global__ void bn_stats_train_f32(const float* x, float* run_mean, float* run_var, float* stats, int outer,
                                              int C, long long inner, float eps, float momentum) {
  int c = blockIdx.x;
  long long m = (long long)outer * inner;
  double s = 0.0;
  for (long long idx = threadIdx.x; idx < m; idx += blockDim.x) s += x[channel_index(idx, c, C, inner)];
  double mean = block_sum(s) / (double)m;
  double q = 0.0;
  for (long long idx = threadIdx.x; idx < m; idx += blockDim.x) {
    double d = x[channel_index(idx, c, C, inner)] - mean;
    q += d * d;
  }
  double var = block_sum(q) / (double)m;
  if (threadIdx.x == 0) {
    stats[c] = (float)mean;
    stats[C + c] = (float)(1.0 / sqrt(var + (double)eps));
    double unbiased = m > 1 ? var * (double)m / (double)(m - 1) : var;
    run_mean[c] = (1.0f - momentum) * run_mean[c] + momentum * (float)mean;
    run_var[c] = (1.0f - momentum) * run_var[c] + momentum * (float)unbiased;
  }
}

extern "C" __global__ void bn_stats_eval_f32(const float* run_mean, const float* run_var, float* stats, int C,
                                             float eps) {
  GRID_STRIDE(c, C) {
    stats[c] = run_mean[c];
    stats[C + c] = (float)(1.0 / sqrt((double)run_var[c] + (double)eps));
  }
}

extern "C" __global__ void bn_forward_f32(const float* x, const float* stats, const float* gamma, const float* beta,
                                          float* y, int C, long long inner, long long n) {
  GRID_STRIDE(i, n) {
    int c = (int)((i / inner) % C);
    y[i] = gamma[c] * stats[C + c] * (x[i] - stats[c]) + beta[c];
  }
}

extern "C" __global__ void bn_backward_gamma_f32(const float* x, const float* stats, const float* dy, float* dgamma,
                                                 int outer, int C, long long inner) {
  int c = blockIdx.x;
  long long m = (long long)outer * inner;
  double mean = stats[c], s = 0.0;
  for (long long idx = threadIdx.x; idx < m; idx += blockDim.x) {
    long long j = channel_index(idx, c, C, inner);
    s += (double)dy[j] * (x[j] - mean);
  }
  s = block_sum(s);
  if (threadIdx.x == 0) dgamma[c] = (float)(s * stats[C + c]);
}

extern "C" __global__ void bn_backward_data_f32(const float* x, const float* stats, const float* gamma,
                                                const float* dgamma, const float* dbeta, const float* dy, float* dx,
                                                int C, long long inner, long long n, long long m, int training) {
  GRID_STRIDE(i, n) {
    int c = (int)((i / inner) % C);
    float is = stats[C + c], k = gamma[c] * is;
    if (!training) {
      dx[i] = dy[i] * k;
      continue;
    }
    float xhat = (x[i] - stats[c]) * is;
    dx[i] = k * (dy[i] - dbeta[c] / (float)m - xhat * dgamma[c] / (float)m);
  }
}
