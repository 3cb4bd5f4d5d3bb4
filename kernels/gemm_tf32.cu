// gemm_tf32.cu: gemm.cu's strided batched GEMM on tensor cores: TF32 inputs
// (10-bit mantissa, rounded to nearest by __float_to_tf32), float32
// accumulation. Same parameters and semantics as gemm.cu, up to TF32's
// rounding of A and B (relative error about 1e-3, not float32's 1e-7), so it
// runs only where a user asks for it (--tf32) on compute capability ≥ 8.0.
//
// Version 1: a 64×64 tile of C per 128-thread block (4 warps, each 32×32 as
// 2×2 WMMA m16n16k8 accumulators), K in steps of 16 through shared memory,
// converted to TF32 on the way in; the tile goes back through shared memory so
// that alpha, beta and the edges are applied per element. Grid as gemm.cu's
// 64 tile. Checked on the CPU emulator, whose WMMA works on whole matrices.
// nvcc-arch: compute_80
#include <mma.h>

#include "common.cuh"
#include "gemm_tile.cuh"

using namespace nvcuda;

#define TBM 64
#define TBN 64
#define TBK 16
#define TLDA (TBK + 4)  // leading dims: multiples of 4 floats, rows 32-byte aligned
#define TLDB (TBN + 4)
#define TLDC (TBN + 4)
#define TF32_THREADS 128

template <bool TA, bool TB>
__device__ __forceinline__ void gemm_tf32_tile(const float* A, const float* B, float* C, int M, int N, int K,
                                               float alpha, float beta, int lda, int ldb, int ldc, long long sA,
                                               long long sB, long long sC) {
  __shared__ __align__(32) float As[TBM][TLDA];
  __shared__ __align__(32) float Bs[TBK][TLDB];
  __shared__ __align__(32) float Cs[TBM][TLDC];
  long long z = blockIdx.z;
  A += z * sA;
  B += z * sB;
  C += z * sC;
  int m0 = blockIdx.y * TBM, n0 = blockIdx.x * TBN;
  int t = threadIdx.x, warp = t >> 5, wm = (warp >> 1) * 32, wn = (warp & 1) * 32;
  wmma::fragment<wmma::accumulator, 16, 16, 8, float> acc[2][2];
#pragma unroll
  for (int i = 0; i < 2; i++)
#pragma unroll
    for (int j = 0; j < 2; j++) wmma::fill_fragment(acc[i][j], 0.0f);

  for (int k0 = 0; k0 < K; k0 += TBK) {
    load_tile<TBM, TBK, TF32_THREADS, TA>(A, lda, m0, k0, M, K,
                                          [&](int mm, int kk, float v) { As[mm][kk] = wmma::__float_to_tf32(v); });
    load_tile<TBN, TBK, TF32_THREADS, !TB>(B, ldb, n0, k0, N, K,
                                           [&](int nn, int kk, float v) { Bs[kk][nn] = wmma::__float_to_tf32(v); });
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < TBK; kk += 8) {
      wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::row_major> a[2];
      wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::row_major> b[2];
#pragma unroll
      for (int i = 0; i < 2; i++) wmma::load_matrix_sync(a[i], &As[wm + 16 * i][kk], TLDA);
#pragma unroll
      for (int j = 0; j < 2; j++) wmma::load_matrix_sync(b[j], &Bs[kk][wn + 16 * j], TLDB);
#pragma unroll
      for (int i = 0; i < 2; i++)
#pragma unroll
        for (int j = 0; j < 2; j++) wmma::mma_sync(acc[i][j], a[i], b[j], acc[i][j]);
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < 2; i++)
#pragma unroll
    for (int j = 0; j < 2; j++)
      wmma::store_matrix_sync(&Cs[wm + 16 * i][wn + 16 * j], acc[i][j], TLDC, wmma::mem_row_major);
  __syncthreads();
  for (int idx = t; idx < TBM * TBN; idx += TF32_THREADS) {
    int r = idx / TBN, c = idx % TBN, gm = m0 + r, gn = n0 + c;
    if (gm >= M || gn >= N) continue;
    long long ci = (long long)gm * ldc + gn;
    float v = alpha * Cs[r][c];
    if (beta != 0.0f) v += beta * C[ci];
    C[ci] = v;
  }
}

#define GEMM_TF32_KERNEL(name, TA, TB)                                                                          \
  extern "C" __global__ void __launch_bounds__(TF32_THREADS)                                                    \
      name(const float* A, const float* B, float* C, int M, int N, int K, float alpha, float beta, int lda,     \
           int ldb, int ldc, long long sA, long long sB, long long sC) {                                        \
    gemm_tf32_tile<TA, TB>(A, B, C, M, N, K, alpha, beta, lda, ldb, ldc, sA, sB, sC);                           \
  }

GEMM_TF32_KERNEL(gemm_tf32_nn_f32, false, false)
GEMM_TF32_KERNEL(gemm_tf32_nt_f32, false, true)
GEMM_TF32_KERNEL(gemm_tf32_tn_f32, true, false)
GEMM_TF32_KERNEL(gemm_tf32_tt_f32, true, true)
