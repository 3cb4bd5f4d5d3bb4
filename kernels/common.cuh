// common.cuh: helpers shared by Collegium's kernels: grid-stride loops, warp and
// block reductions (in double, so that float32 sums over ~10^5 terms stay within
// 1e-6 relative of a float64 reference), and the device-side error flag.
// Included by every kernels/*.cu; see scripts/build-kernels.sh for the build.
#pragma once

// GRID_STRIDE visits i in [0, n) with every thread of the grid.
#define GRID_STRIDE(i, n)                                                   \
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;      \
       i < (n); i += (long long)blockDim.x * gridDim.x)

// warp_sum adds v over the 32 lanes of a warp; lane 0 holds the total.
__device__ __forceinline__ double warp_sum(double v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  return v;
}

// warp_allsum adds v over the 32 lanes of a warp; every lane gets the total.
__device__ __forceinline__ double warp_allsum(double v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

// warp_allmax is the maximum of v over the lanes of a warp, for every lane.
__device__ __forceinline__ float warp_allmax(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

// block_sum returns the sum of v over the block to every thread. blockDim.x
// must be a multiple of 32 and at most 1024; every thread must call it.
__device__ double block_sum(double v) {
  __shared__ double partial[32];
  __shared__ double total;
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  v = warp_sum(v);
  __syncthreads();
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  if (warp == 0) {
    double t = lane < (int)(blockDim.x >> 5) ? partial[lane] : 0.0;
    t = warp_sum(t);
    if (lane == 0) total = t;
  }
  __syncthreads();
  return total;
}

// channel_index maps the idx-th element of channel c of an (outer, C, inner)
// tensor to its offset.
__device__ __forceinline__ long long channel_index(long long idx, int c, int C, long long inner) {
  long long o = idx / inner;
  return (o * C + c) * inner + (idx - o * inner);
}

// report_error records the first failure of a kernel in err[0..3] (code,
// row, value bits, limit); the host reads and clears it at Sync/Download.
__device__ __forceinline__ void report_error(int* err, int code, int row, float value, int limit) {
  if (atomicCAS(err, 0, code) == 0) {
    err[1] = row;
    err[2] = __float_as_int(value);
    err[3] = limit;
  }
}
