// mma.h: the emulator's nvcuda::wmma, the part of CUDA's WMMA API that
// kernels/gemm_tf32.cu uses (TF32 m16n16k8). The API specifies fragments as
// whole matrices and leaves their distribution over a warp's lanes open, so
// here every lane holds the whole matrix and does the whole operation: the
// same results as any distribution. Each call is also a warp barrier (the
// hardware needs the whole warp there), and loads and stores check the
// API's alignment rules (256-bit pointers, leading dimension a multiple of 4
// floats).
#pragma once

#include <cstdint>
#include <cstring>
#include <type_traits>

namespace nvcuda {
namespace wmma {

struct matrix_a {};
struct matrix_b {};
struct accumulator {};
struct row_major {};
struct col_major {};
namespace precision {
struct tf32 {};
}  // namespace precision
enum layout_t { mem_row_major, mem_col_major };

// dims gives the rows and columns of each use of an M×N×K product.
template <class Use, int M, int N, int K>
struct dims;
template <int M, int N, int K>
struct dims<matrix_a, M, N, K> {
  static constexpr int rows = M, cols = K;
};
template <int M, int N, int K>
struct dims<matrix_b, M, N, K> {
  static constexpr int rows = K, cols = N;
};
template <int M, int N, int K>
struct dims<accumulator, M, N, K> {
  static constexpr int rows = M, cols = N;
};

template <class Use, int M, int N, int K, class T, class Layout = void>
struct fragment {
  static constexpr int rows = dims<Use, M, N, K>::rows, cols = dims<Use, M, N, K>::cols;
  static constexpr int num_elements = rows * cols;
  float x[num_elements];  // row-major, the whole matrix in every lane
};

// tf32_bits keeps the sign, exponent and top 10 mantissa bits, as the
// tensor cores read a float32 register.
inline float tf32_bits(float v) {
  uint32_t b;
  memcpy(&b, &v, 4);
  b &= 0xffffe000u;
  memcpy(&v, &b, 4);
  return v;
}

// __float_to_tf32 rounds to the nearest TF32 value, ties away from zero
// (cvt.rna.tf32.f32); infinities and NaNs pass unchanged.
inline float __float_to_tf32(float v) {
  uint32_t b;
  memcpy(&b, &v, 4);
  if ((b & 0x7f800000u) != 0x7f800000u) b = (b + 0x1000u) & 0xffffe000u;
  memcpy(&v, &b, 4);
  return v;
}

inline void check_access(const void* p, unsigned ldm) {
  if ((uintptr_t)p % 32 != 0) emu::fail("wmma load/store: pointer not 256-bit aligned");
  if (ldm % 4 != 0) emu::fail("wmma load/store: leading dimension not a multiple of 4 floats");
}

template <class Use, int M, int N, int K, class T, class L>
void fill_fragment(fragment<Use, M, N, K, T, L>& f, float v) {
  emu::sync_warp();
  for (float& e : f.x) e = v;
}

template <class Use, int M, int N, int K, class T, class L>
void load_matrix_sync(fragment<Use, M, N, K, T, L>& f, const float* p, unsigned ldm) {
  static_assert(std::is_same<L, row_major>::value || std::is_same<L, col_major>::value,
                "matrix_a and matrix_b fragments have a layout");
  constexpr bool col = std::is_same<L, col_major>::value;
  emu::sync_warp();
  check_access(p, ldm);
  for (int r = 0; r < f.rows; r++)
    for (int c = 0; c < f.cols; c++) f.x[r * f.cols + c] = col ? p[(long)c * ldm + r] : p[(long)r * ldm + c];
}

template <int M, int N, int K, class LA, class LB>
void mma_sync(fragment<accumulator, M, N, K, float>& d, const fragment<matrix_a, M, N, K, precision::tf32, LA>& a,
              const fragment<matrix_b, M, N, K, precision::tf32, LB>& b,
              const fragment<accumulator, M, N, K, float>& c) {
  emu::sync_warp();
  float out[M * N];
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      float s = c.x[i * N + j];
      for (int k = 0; k < K; k++) s = fmaf(tf32_bits(a.x[i * K + k]), tf32_bits(b.x[k * N + j]), s);
      out[i * N + j] = s;
    }
  memcpy(d.x, out, sizeof out);
}

template <int M, int N, int K>
void store_matrix_sync(float* p, const fragment<accumulator, M, N, K, float>& f, unsigned ldm, layout_t layout) {
  emu::sync_warp();
  check_access(p, ldm);
  for (int r = 0; r < M; r++)
    for (int c = 0; c < N; c++) {
      long at = layout == mem_row_major ? (long)r * ldm + c : (long)c * ldm + r;
      p[at] = f.x[r * N + c];
    }
}

}  // namespace wmma
}  // namespace nvcuda
