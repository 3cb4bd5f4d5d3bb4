// gemm.cu: strided batched float32 GEMM, one launch for all batch members.
//
//   for i in [0, batch):  C_i = alpha·op(A_i)·op(B_i) + beta·C_i
//   op(A_i) is M×K (A_i stored K×M when transposed), op(B_i) is K×N; row-major
//   with row strides lda, ldb, ldc; A_i = A + i·strideA (B, C likewise); the
//   host passes A, B, C already offset. beta == 0 never reads C.
//
// Version 1 (this file): 64×64 tile of C per 256-thread block, K in steps of
// 16 through shared memory, each thread a 4×4 register block (rows ty+16i,
// columns tx+16j so shared reads are broadcast/conflict-free); all four
// transpose combinations as template instances; edges zero-filled.
// Grid: (ceil(N/64), ceil(M/64), batch ≤ 65535; the host splits larger batches).
// CPU reference: pkg/device/cpu/gemm. Build: scripts/build-kernels.sh.
#include "common.cuh"

#define BM 64
#define BN 64
#define BK 16

template <bool TA, bool TB>
__device__ __forceinline__ void gemm_tile(const float* A, const float* B, float* C, int M, int N, int K, float alpha,
                                          float beta, int lda, int ldb, int ldc, long long sA, long long sB,
                                          long long sC) {
  __shared__ float As[BK][BM + 1];
  __shared__ float Bs[BK][BN + 1];
  long long z = blockIdx.z;
  A += z * sA;
  B += z * sB;
  C += z * sC;
  int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
  int t = threadIdx.x, tx = t & 15, ty = t >> 4;
  float acc[4][4];
#pragma unroll
  for (int i = 0; i < 4; i++)
#pragma unroll
    for (int j = 0; j < 4; j++) acc[i][j] = 0.0f;

  for (int k0 = 0; k0 < K; k0 += BK) {
#pragma unroll
    for (int l = 0; l < 4; l++) {
      int idx = t + l * 256;
      int mm, kk;
      if (TA) {
        kk = idx / BM;
        mm = idx % BM;
      } else {
        mm = idx / BK;
        kk = idx % BK;
      }
      int gm = m0 + mm, gk = k0 + kk;
      float v = 0.0f;
      if (gm < M && gk < K) v = TA ? A[(long long)gk * lda + gm] : A[(long long)gm * lda + gk];
      As[kk][mm] = v;
      int nn;
      if (TB) {
        nn = idx / BK;
        kk = idx % BK;
      } else {
        kk = idx / BN;
        nn = idx % BN;
      }
      int gn = n0 + nn;
      gk = k0 + kk;
      v = 0.0f;
      if (gn < N && gk < K) v = TB ? B[(long long)gn * ldb + gk] : B[(long long)gk * ldb + gn];
      Bs[kk][nn] = v;
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < BK; kk++) {
      float a[4], b[4];
#pragma unroll
      for (int i = 0; i < 4; i++) a[i] = As[kk][ty + 16 * i];
#pragma unroll
      for (int j = 0; j < 4; j++) b[j] = Bs[kk][tx + 16 * j];
#pragma unroll
      for (int i = 0; i < 4; i++)
#pragma unroll
        for (int j = 0; j < 4; j++) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < 4; i++) {
    int gm = m0 + ty + 16 * i;
    if (gm >= M) continue;
#pragma unroll
    for (int j = 0; j < 4; j++) {
      int gn = n0 + tx + 16 * j;
      if (gn >= N) continue;
      long long ci = (long long)gm * ldc + gn;
      float r = alpha * acc[i][j];
      if (beta != 0.0f) r += beta * C[ci];
      C[ci] = r;
    }
  }
}

#define GEMM_KERNEL(name, TA, TB)                                                                               \
  extern "C" __global__ void __launch_bounds__(256)                                                             \
      name(const float* A, const float* B, float* C, int M, int N, int K, float alpha, float beta, int lda,     \
           int ldb, int ldc, long long sA, long long sB, long long sC) {                                        \
    gemm_tile<TA, TB>(A, B, C, M, N, K, alpha, beta, lda, ldb, ldc, sA, sB, sC);                                \
  }

GEMM_KERNEL(gemm_nn_f32, false, false)
GEMM_KERNEL(gemm_nt_f32, false, true)
GEMM_KERNEL(gemm_tn_f32, true, false)
GEMM_KERNEL(gemm_tt_f32, true, true)
