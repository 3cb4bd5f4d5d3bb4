// cuda_emu.h: just enough of CUDA C for kernels/*.cu to compile as C++ and
// run on the CPU under runtime.cc's scheduler. Every CUDA thread of a block
// is a fiber with its own stack; blocks run one after another; __syncthreads
// and warp shuffles are barriers at which the scheduler switches fibers, in a
// seeded random order so that a missing barrier shows as a wrong result.
// __shared__ variables become statics (one block runs at a time) and device
// memory is host memory, so pointers pass through unchanged.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static
#define __align__(n) __attribute__((aligned(n)))

struct dim3 {
  unsigned int x, y, z;
};
typedef dim3 uint3;

namespace emu {
// The running fiber's thread index, and the launch's block and grid.
extern dim3 thread_idx, block_idx, block_dim, grid_dim;
// sync_block is __syncthreads; exchange publishes 8 bytes of this lane and
// returns those of lane src, after every live lane of the warp has published.
void sync_block();
uint64_t exchange(uint64_t v, int src);
// sync_warp waits for every live lane of the warp (a warp-collective call).
void sync_warp();
// fail records a misuse of the emulated CUDA API; the launch reports it.
void fail(const char* what);
int lane();

// Kernel is one entry of kernels.cc's table: a kernel's name, its parameter
// count, and a function that calls it with one 8-byte slot per parameter.
struct Kernel {
  const char* name;
  int arity;
  void (*call)(void**);
};
const Kernel* find_kernel(const char* name);

template <class T>
T shuffle(unsigned mask, T v, int src) {
  static_assert(sizeof(T) <= 8, "shuffles move at most 8 bytes");
  if (mask != 0xffffffffu) fail("shuffle with a partial mask is not emulated");
  uint64_t bits = 0;
  memcpy(&bits, &v, sizeof(T));
  bits = exchange(bits, src);
  T r;
  memcpy(&r, &bits, sizeof(T));
  return r;
}
}  // namespace emu

#define threadIdx (emu::thread_idx)
#define blockIdx (emu::block_idx)
#define blockDim (emu::block_dim)
#define gridDim (emu::grid_dim)

inline void __syncthreads() { emu::sync_block(); }

template <class T>
T __shfl_xor_sync(unsigned mask, T v, int m) {
  return emu::shuffle(mask, v, emu::lane() ^ m);
}

template <class T>
T __shfl_down_sync(unsigned mask, T v, unsigned d) {
  int src = emu::lane() + (int)d;
  return emu::shuffle(mask, v, src < 32 ? src : emu::lane());
}

// Fibers never run concurrently, so atomics are plain read-modify-writes.
inline int atomicCAS(int* p, int cmp, int v) {
  int old = *p;
  if (old == cmp) *p = v;
  return old;
}
inline float atomicAdd(float* p, float v) {
  float old = *p;
  *p = old + v;
  return old;
}

inline int __float_as_int(float f) {
  int i;
  memcpy(&i, &f, 4);
  return i;
}
inline float __int_as_float(int i) {
  float f;
  memcpy(&f, &i, 4);
  return f;
}
inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
using std::isnan;
using std::max;
using std::min;
