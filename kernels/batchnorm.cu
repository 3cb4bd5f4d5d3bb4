// batchnorm.cu: batch normalisation over the channels of an (outer, C, inner)
// float32 tensor (inner = H·W for NCHW, 1 for (B, C)); m = outer·inner
// elements per channel.
//
//   bn_forward_train_f32  one block per channel: batch mean and biased variance
//                         (two passes, double sums), y = γ·x̂ + β, running stats
//                         updated with momentum (unbiased variance, as PyTorch)
//   bn_forward_eval_f32   elementwise with the running statistics
//   bn_backward_data_f32  one block per channel: training
//                         dx = γ·invstd·(dy − mean(dy) − x̂·mean(dy·x̂));
//                         eval dx = dy·γ·invstd(running)
//   bn_backward_gamma_f32 one block per channel: dγ = Σ dy·x̂
//
// CPU reference: pkg/device/cpu. Build: scripts/build-kernels.sh.
#include "common.cuh"

// channel_stats computes the batch mean and biased variance of channel c.
__device__ void channel_stats(const float* x, int c, int C, long long inner, long long m, double* mean, double* var) {
  double s = 0.0;
  for (long long idx = threadIdx.x; idx < m; idx += blockDim.x) s += x[channel_index(idx, c, C, inner)];
  double mu = block_sum(s) / (double)m;
  double q = 0.0;
  for (long long idx = threadIdx.x; idx < m; idx += blockDim.x) {
    double d = x[channel_index(idx, c, C, inner)] - mu;
    q += d * d;
  }
  *mean = mu;
  *var = block_sum(q) / (double)m;
}

extern "C" __global__ void bn_forward_train_f32(const float* x, const float* gamma, const float* beta, float* run_mean,
                                                float* run_var, float* y, int outer, int C, long long inner, float eps,
                                                float momentum) {
  int c = blockIdx.x;
  long long m = (long long)outer * inner;
  double mean, var;
  channel_stats(x, c, C, inner, m, &mean, &var);
  float invstd = (float)(1.0 / sqrt(var + (double)eps));
  float mu = (float)mean, g = gamma[c], b = beta[c];
  for (long long idx = threadIdx.x; idx < m; idx += blockDim.x) {
    long long k = channel_index(idx, c, C, inner);
    y[k] = g * (x[k] - mu) * invstd + b;
  }
  if (threadIdx.x == 0) {
    double unbiased = m > 1 ? var * (double)m / (double)(m - 1) : var;
    run_mean[c] = (1.0f - momentum) * run_mean[c] + momentum * mu;
    run_var[c] = (1.0f - momentum) * run_var[c] + momentum * (float)unbiased;
  }
}

extern "C" __global__ void bn_forward_eval_f32(const float* x, const float* gamma, const float* beta,
                                               const float* run_mean, const float* run_var, float* y, int C,
                                               long long inner, float eps, long long n) {
  GRID_STRIDE(i, n) {
    int c = (int)((i / inner) % C);
    y[i] = gamma[c] * (x[i] - run_mean[c]) * rsqrtf(run_var[c] + eps) + beta[c];
  }
}

extern "C" __global__ void bn_backward_data_f32(const float* x, const float* gamma, const float* run_var,
                                                const float* dy, float* dx, int outer, int C, long long inner,
                                                float eps, int training) {
  int c = blockIdx.x;
  long long m = (long long)outer * inner;
  if (!training) {
    float k = gamma[c] * rsqrtf(run_var[c] + eps);
    for (long long idx = threadIdx.x; idx < m; idx += blockDim.x) {
      long long j = channel_index(idx, c, C, inner);
      dx[j] = dy[j] * k;
    }
    return;
  }
  double mean, var;
  channel_stats(x, c, C, inner, m, &mean, &var);
  double invstd = 1.0 / sqrt(var + (double)eps);
  double sdy = 0.0, sdyx = 0.0;
  for (long long idx = threadIdx.x; idx < m; idx += blockDim.x) {
    long long j = channel_index(idx, c, C, inner);
    double d = dy[j];
    sdy += d;
    sdyx += d * (x[j] - mean) * invstd;
  }
  float mdy = (float)(block_sum(sdy) / (double)m);
  float mdyx = (float)(block_sum(sdyx) / (double)m);
  float k = gamma[c] * (float)invstd, mu = (float)mean, is = (float)invstd;
  for (long long idx = threadIdx.x; idx < m; idx += blockDim.x) {
    long long j = channel_index(idx, c, C, inner);
    float xhat = (x[j] - mu) * is;
    dx[j] = k * (dy[j] - mdy - xhat * mdyx);
  }
}

extern "C" __global__ void bn_backward_gamma_f32(const float* x, const float* run_mean, const float* run_var,
                                                 const float* dy, float* dgamma, int outer, int C, long long inner,
                                                 float eps, int training) {
  int c = blockIdx.x;
  long long m = (long long)outer * inner;
  double mean, var;
  if (training) {
    channel_stats(x, c, C, inner, m, &mean, &var);
  } else {
    mean = run_mean[c];
    var = run_var[c];
  }
  double invstd = 1.0 / sqrt(var + (double)eps);
  double s = 0.0;
  for (long long idx = threadIdx.x; idx < m; idx += blockDim.x) {
    long long j = channel_index(idx, c, C, inner);
    s += (double)dy[j] * (x[j] - mean);
  }
  s = block_sum(s);
  if (threadIdx.x == 0) dgamma[c] = (float)(s * invstd);
}
