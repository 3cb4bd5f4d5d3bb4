// softmax.cu: fused softmax cross-entropy over float32 logits (batch, classes)
// with labels (batch) holding class indices as floats.
//
//   softmax_xent_f32       ONE block; each warp takes rows; loss[0] = mean_b
//                          (logsumexp(z_b) − z_b[label_b]); deterministic
//   softmax_xent_grad_f32  one warp per row: dz = dloss[0]·(softmax − onehot)/batch
//
// A label that is not an integer in [0, classes) is reported through the
// device error flag err (code 1, row, label bits, classes) and contributes
// nothing; the host turns the flag into an error at Sync/Download.
// CPU reference: pkg/device/cpu. Build: scripts/build-kernels.sh.
#include "common.cuh"

// valid_label reports whether l is an integer class index in [0, classes).
__device__ __forceinline__ bool valid_label(float l, int classes) {
  return l >= 0.0f && l < (float)classes && l == floorf(l);
}

extern "C" __global__ void __launch_bounds__(1024)
    softmax_xent_f32(const float* logits, const float* labels, float* loss, int batch, int classes, int* err) {
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  double acc = 0.0;
  for (int b = warp; b < batch; b += warps) {
    const float* z = logits + (long long)b * classes;
    float mx = -INFINITY;
    for (int j = lane; j < classes; j += 32) mx = fmaxf(mx, z[j]);
    mx = warp_allmax(mx);
    double s = 0.0;
    for (int j = lane; j < classes; j += 32) s += exp((double)(z[j] - mx));
    s = warp_allsum(s);
    float l = labels[b];
    if (lane == 0) {
      if (valid_label(l, classes)) {
        acc += log(s) + (double)mx - (double)z[(int)l];
      } else {
        report_error(err, 1, b, l, classes);
      }
    }
  }
  acc = block_sum(acc);
  if (threadIdx.x == 0) loss[0] = (float)(acc / batch);
}

extern "C" __global__ void softmax_xent_grad_f32(const float* logits, const float* labels, const float* dloss,
                                                 float* dlogits, int batch, int classes, int* err) {
  int lane = threadIdx.x & 31;
  long long warps = ((long long)gridDim.x * blockDim.x) >> 5;
  float scale = dloss[0] / (float)batch;
  for (long long b = ((long long)blockIdx.x * blockDim.x + threadIdx.x) >> 5; b < batch; b += warps) {
    const float* z = logits + b * classes;
    float* dz = dlogits + b * classes;
    float mx = -INFINITY;
    for (int j = lane; j < classes; j += 32) mx = fmaxf(mx, z[j]);
    mx = warp_allmax(mx);
    double s = 0.0;
    for (int j = lane; j < classes; j += 32) s += exp((double)(z[j] - mx));
    float inv = (float)(1.0 / warp_allsum(s));
    float l = labels[b];
    int label = valid_label(l, classes) ? (int)l : -1;
    if (label < 0 && lane == 0) report_error(err, 1, (int)b, l, classes);
    for (int j = lane; j < classes; j += 32) dz[j] = scale * (expf(z[j] - mx) * inv - (j == label ? 1.0f : 0.0f));
  }
}
