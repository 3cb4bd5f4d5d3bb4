// gemm_tile.cuh: the shared-memory tile loads of gemm.cu and gemm_tf32.cu.
#pragma once

// load_tile visits, with THREADS threads, the ROWS×BK tile at (r0, k0) of an
// R×K matrix Y held in X with leading dimension ld: Y = X (X is R×K) or,
// when KMAJOR, Y = Xᵀ (X is K×R). For each element it calls put(row, k,
// value), 0 outside Y. Consecutive threads read consecutive addresses of X,
// so global loads coalesce either way. A GEMM loads op(A) (M×K) with KMAJOR
// = transA and op(B)ᵀ (N×K) with KMAJOR = !transB.
template <int ROWS, int BK, int THREADS, bool KMAJOR, class Put>
__device__ __forceinline__ void load_tile(const float* X, int ld, int r0, int k0, int R, int K, Put put) {
#pragma unroll
  for (int l = 0; l < ROWS * BK / THREADS; l++) {
    int idx = threadIdx.x + l * THREADS;
    int rr = KMAJOR ? idx % ROWS : idx / BK, kk = KMAJOR ? idx / ROWS : idx % BK;
    int gr = r0 + rr, gk = k0 + kk;
    float v = 0.0f;
    if (gr < R && gk < K) v = KMAJOR ? X[(long long)gk * ld + gr] : X[(long long)gr * ld + gk];
    put(rr, kk, v);
  }
}
