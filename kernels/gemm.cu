// gemm.cu: strided batched float32 GEMM, one launch for all batch members.
//
//   for i in [0, batch):  C_i = alpha·op(A_i)·op(B_i) + beta·C_i
//   op(A_i) is M×K (A_i stored K×M when transposed), op(B_i) is K×N; row-major
//   with row strides lda, ldb, ldc; A_i = A + i·strideA (B, C likewise); the
//   host passes A, B, C already offset. beta == 0 never reads C.
//
// Version 1: 64×64 tile of C per 256-thread block, K in steps of 16 through
// shared memory, each thread a 4×4 register block (rows ty+16i, columns
// tx+16j so shared reads are broadcast/conflict-free); all four transpose
// combinations as template instances; edges zero-filled.
// Version 2 (this file): the tile is a template parameter, 128×128 (8×8 per
// thread, K steps of 8), 64×64 (v1) or 32×32 (2×2 per thread), and the host
// takes the largest tile whose grid still fills every multiprocessor once:
// a collegial layer is many small GEMMs (B128 m16 n64: 16 of 128×64×64), for
// which v1's 64×64 tiles launched 32 blocks on a 132-SM GPU.
// Grid: (ceil(N/BN), ceil(M/BM), batch ≤ 65535; the host splits larger batches).
// CPU reference: pkg/device/cpu/gemm. Build: scripts/build-kernels.sh.
#include "common.cuh"
#include "gemm_tile.cuh"

#define GEMM_THREADS 256

// gemm_tile computes one BM×BN tile of C with 256 threads in a 16×16 grid,
// each owning a (BM/16)×(BN/16) register block.
template <int BM, int BN, int BK, bool TA, bool TB>
__device__ __forceinline__ void gemm_tile(const float* A, const float* B, float* C, int M, int N, int K, float alpha,
                                          float beta, int lda, int ldb, int ldc, long long sA, long long sB,
                                          long long sC) {
  constexpr int TM = BM / 16, TN = BN / 16;
  __shared__ float As[BK][BM + 1];
  __shared__ float Bs[BK][BN + 1];
  long long z = blockIdx.z;
  A += z * sA;
  B += z * sB;
  C += z * sC;
  int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
  int t = threadIdx.x, tx = t & 15, ty = t >> 4;
  float acc[TM][TN];
#pragma unroll
  for (int i = 0; i < TM; i++)
#pragma unroll
    for (int j = 0; j < TN; j++) acc[i][j] = 0.0f;

  for (int k0 = 0; k0 < K; k0 += BK) {
    load_tile<BM, BK, GEMM_THREADS, TA>(A, lda, m0, k0, M, K, [&](int mm, int kk, float v) { As[kk][mm] = v; });
    load_tile<BN, BK, GEMM_THREADS, !TB>(B, ldb, n0, k0, N, K, [&](int nn, int kk, float v) { Bs[kk][nn] = v; });
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < BK; kk++) {
      float a[TM], b[TN];
#pragma unroll
      for (int i = 0; i < TM; i++) a[i] = As[kk][ty + 16 * i];
#pragma unroll
      for (int j = 0; j < TN; j++) b[j] = Bs[kk][tx + 16 * j];
#pragma unroll
      for (int i = 0; i < TM; i++)
#pragma unroll
        for (int j = 0; j < TN; j++) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < TM; i++) {
    int gm = m0 + ty + 16 * i;
    if (gm >= M) continue;
#pragma unroll
    for (int j = 0; j < TN; j++) {
      int gn = n0 + tx + 16 * j;
      if (gn >= N) continue;
      long long ci = (long long)gm * ldc + gn;
      float r = alpha * acc[i][j];
      if (beta != 0.0f) r += beta * C[ci];
      C[ci] = r;
    }
  }
}

// Two blocks per multiprocessor: at most 128 registers per thread.
#define GEMM_KERNEL(name, BM, BN, BK, TA, TB)                                                                   \
  extern "C" __global__ void __launch_bounds__(GEMM_THREADS, 2)                                                 \
      name(const float* A, const float* B, float* C, int M, int N, int K, float alpha, float beta, int lda,     \
           int ldb, int ldc, long long sA, long long sB, long long sC) {                                        \
    gemm_tile<BM, BN, BK, TA, TB>(A, B, C, M, N, K, alpha, beta, lda, ldb, ldc, sA, sB, sC);                    \
  }

// gemm_<tile>_<transposes>_f32, tile ∈ {128, 64, 32}.
#define GEMM_TILE(tile, BK)                                                  \
  GEMM_KERNEL(gemm_##tile##_nn_f32, tile, tile, BK, false, false)            \
  GEMM_KERNEL(gemm_##tile##_nt_f32, tile, tile, BK, false, true)             \
  GEMM_KERNEL(gemm_##tile##_tn_f32, tile, tile, BK, true, false)             \
  GEMM_KERNEL(gemm_##tile##_tt_f32, tile, tile, BK, true, true)

GEMM_TILE(128, 8)
GEMM_TILE(64, 16)
GEMM_TILE(32, 16)
