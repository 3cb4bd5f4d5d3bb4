// optim.cu: in-place optimizer steps over n float32 parameters.
//
//   sgd_f32:  g = grad + wd·θ;  v = mom·v + g;  θ -= lr·(nesterov ? g + mom·v : v)
//   adam_f32: g = grad (+ wd·θ unless decoupled; decoupled: θ *= 1 − lr·wd);
//             m = b1·m + (1−b1)·g;  v = b2·v + (1−b2)·g²;
//             θ -= lr·(m/bc1)/(sqrt(v/bc2) + eps), bc_i = 1 − b_i^step (host-computed)
//
// CPU reference: pkg/device/cpu. Build: scripts/build-kernels.sh.
#include "common.cuh"

extern "C" __global__ void sgd_f32(float* p, const float* grad, float* vel, float lr, float mom, float wd,
                                   int nesterov, long long n) {
  GRID_STRIDE(i, n) {
    float g = grad[i] + wd * p[i];
    float v = mom * vel[i] + g;
    vel[i] = v;
    p[i] -= lr * (nesterov ? g + mom * v : v);
  }
}

extern "C" __global__ void adam_f32(float* p, const float* grad, float* m, float* v, float lr, float b1, float b2,
                                    float eps, float wd, float bc1, float bc2, int decoupled, long long n) {
  GRID_STRIDE(i, n) {
    float theta = p[i];
    float g = grad[i];
    if (decoupled) {
      theta *= 1.0f - lr * wd;
    } else {
      g += wd * theta;
    }
    float mi = b1 * m[i] + (1.0f - b1) * g;
    float vi = b2 * v[i] + (1.0f - b2) * g * g;
    m[i] = mi;
    v[i] = vi;
    p[i] = theta - lr * (mi / bc1) / (sqrtf(vi / bc2) + eps);
  }
}
