//go:build cudaemu

// runtime.cc: the scheduler of the CUDA emulator. A launch runs its blocks in
// a seeded random order, one at a time; the threads of a block are
// fibers. Between two barriers (__syncthreads, or a warp shuffle for the
// lanes of one warp) the fibers run one after another, each up to its next
// barrier, in a fresh random order each round, so a kernel that reads what
// another thread writes without a barrier between them gets a result that
// depends on the order: the conformance tests then see it. Device memory
// carries guard zones that are checked after every kernel, so a write out of
// bounds names the kernel that made it.
//
// Fibers switch with switch_stack below: six callee-saved registers and the
// stack pointer (x86-64 System V; arm64 saves its callee-saved set), about a
// hundred times cheaper than swapcontext, whose signal-mask system call made
// the conformance suite take minutes.
#include <sys/mman.h>

#include <map>
#include <mutex>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "cuda_emu.h"
#include "emu.h"

namespace emu {

dim3 thread_idx, block_idx, block_dim, grid_dim;

namespace {

enum State { kRunnable, kAtSync, kAtWarp, kDone };

// switch_stack saves the callee-saved registers on the current stack, stores
// the stack pointer in *save and resumes the stack at next.
extern "C" void emu_switch_stack(void** save, void* next);

#if defined(__x86_64__)
asm(R"(
  .text
  .globl emu_switch_stack
  .type emu_switch_stack, @function
emu_switch_stack:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size emu_switch_stack, .-emu_switch_stack
  .section .note.GNU-stack,"",@progbits
  .text
)");
constexpr int kSavedWords = 6;  // popped before the return address
#elif defined(__aarch64__)
asm(R"(
  .text
  .globl emu_switch_stack
  .type emu_switch_stack, %function
emu_switch_stack:
  sub sp, sp, #160
  stp x19, x20, [sp, #0]
  stp x21, x22, [sp, #16]
  stp x23, x24, [sp, #32]
  stp x25, x26, [sp, #48]
  stp x27, x28, [sp, #64]
  stp x29, x30, [sp, #80]
  stp d8, d9, [sp, #96]
  stp d10, d11, [sp, #112]
  stp d12, d13, [sp, #128]
  stp d14, d15, [sp, #144]
  mov x9, sp
  str x9, [x0]
  mov sp, x1
  ldp x19, x20, [sp, #0]
  ldp x21, x22, [sp, #16]
  ldp x23, x24, [sp, #32]
  ldp x25, x26, [sp, #48]
  ldp x27, x28, [sp, #64]
  ldp x29, x30, [sp, #80]
  ldp d8, d9, [sp, #96]
  ldp d10, d11, [sp, #112]
  ldp d12, d13, [sp, #128]
  ldp d14, d15, [sp, #144]
  add sp, sp, #160
  ret
  .size emu_switch_stack, .-emu_switch_stack
  .section .note.GNU-stack,"",%progbits
  .text
)");
#else
#error "the CUDA emulator switches fibers on x86-64 and arm64 only"
#endif

struct Fiber {
  void* sp = nullptr;
  char* stack = nullptr;
  dim3 tid{};
  int linear = 0;
  State state = kDone;
};

constexpr size_t kStack = 256 << 10;  // per fiber; kernels keep small frames
constexpr int kMaxThreads = 1024;
constexpr size_t kGuard = 1024;  // bytes of guard zone each side of an allocation
constexpr unsigned char kGuardByte = 0xa5;

std::mutex launch_mu;  // one launch at a time: statics stand in for shared memory
void* sched_sp = nullptr;
std::vector<Fiber> fibers;
Fiber* cur = nullptr;
void (*body)(void**) = nullptr;
void** body_args = nullptr;
uint64_t slots[kMaxThreads];
std::string failure;
std::mt19937_64 rng(20201206);

std::mutex mem_mu;
std::map<uintptr_t, size_t> live;  // payload address -> payload bytes

[[noreturn]] void fiber_main() {
  (*body)(body_args);
  cur->state = kDone;
  void* dead;
  emu_switch_stack(&dead, sched_sp);
  __builtin_unreachable();
}

void yield(State s) {
  cur->state = s;
  emu_switch_stack(&cur->sp, sched_sp);
}

// initial_sp lays out a fresh stack so that switching to it enters
// fiber_main as if called, with the ABI's 16-byte alignment.
void* initial_sp(char* stack) {
  uintptr_t top = ((uintptr_t)stack + kStack) & ~(uintptr_t)15;
#if defined(__x86_64__)
  void** sp = (void**)(top - 16);  // return address slot; entry sees sp ≡ 8 (mod 16)
  *sp = (void*)fiber_main;
  sp -= kSavedWords;
  for (int i = 0; i < kSavedWords; i++) sp[i] = nullptr;
  return sp;
#else
  void** sp = (void**)(top - 160);  // x19..x30, d8..d15; x30 (the link register) at word 11
  for (int i = 0; i < 20; i++) sp[i] = nullptr;
  sp[11] = (void*)fiber_main;
  return sp;
#endif
}

bool ensure_fibers(int n) {
  while ((int)fibers.size() < n) {
    Fiber f;
    void* s = mmap(nullptr, kStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (s == MAP_FAILED) return false;
    mprotect(s, 4096, PROT_NONE);  // stack overflow faults instead of corrupting a neighbour
    f.stack = (char*)s;
    fibers.push_back(f);
  }
  return true;
}

// run_block runs every thread of the current block to completion; false
// (with failure set) on a deadlock or a misuse.
bool run_block(int n) {
  for (int i = 0; i < n; i++) {
    Fiber& f = fibers[i];
    f.sp = initial_sp(f.stack);
    f.linear = i;
    f.tid = dim3{(unsigned)(i % block_dim.x), (unsigned)(i / block_dim.x % block_dim.y),
                 (unsigned)(i / (block_dim.x * block_dim.y))};
    f.state = kRunnable;
  }
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  for (;;) {
    std::shuffle(order.begin(), order.end(), rng);
    for (int i : order) {
      Fiber& f = fibers[i];
      if (f.state != kRunnable) continue;
      cur = &f;
      thread_idx = f.tid;
      emu_switch_stack(&sched_sp, f.sp);
      if (!failure.empty()) return false;
    }
    // Every fiber now waits at a barrier or is done: release a barrier.
    bool released = false, any_sync = false, all_sync = true;
    for (int w = 0; w * 32 < n; w++) {
      bool at_warp = false, all_warp = true;
      for (int i = w * 32; i < std::min(n, w * 32 + 32); i++) {
        State s = fibers[i].state;
        if (s == kDone) continue;
        at_warp |= s == kAtWarp;
        all_warp &= s == kAtWarp;
      }
      if (at_warp && all_warp) {
        for (int i = w * 32; i < std::min(n, w * 32 + 32); i++)
          if (fibers[i].state == kAtWarp) fibers[i].state = kRunnable;
        released = true;
      }
    }
    if (released) continue;
    bool alive = false;
    for (int i = 0; i < n; i++) {
      State s = fibers[i].state;
      if (s == kDone) continue;
      alive = true;
      any_sync |= s == kAtSync;
      all_sync &= s == kAtSync;
    }
    if (!alive) return true;
    if (any_sync && all_sync) {
      for (int i = 0; i < n; i++)
        if (fibers[i].state == kAtSync) fibers[i].state = kRunnable;
      continue;
    }
    failure = "deadlock: some threads wait at __syncthreads while others of the block wait at a warp shuffle";
    return false;
  }
}

// check_guards reports (and repairs) guard bytes that a kernel overwrote.
bool check_guards(std::string* msg) {
  std::lock_guard<std::mutex> l(mem_mu);
  for (auto& [p, bytes] : live) {
    unsigned char* lo = (unsigned char*)p - kGuard;
    unsigned char* hi = (unsigned char*)p + bytes;
    for (int side = 0; side < 2; side++) {
      unsigned char* g = side ? hi : lo;
      for (size_t i = 0; i < kGuard; i++) {
        if (g[i] == kGuardByte) continue;
        long off = side ? (long)(bytes + i) : (long)i - (long)kGuard;
        *msg = "wrote outside an allocation of " + std::to_string(bytes) + " bytes, at byte offset " +
               std::to_string(off);
        memset(g, kGuardByte, kGuard);
        return false;
      }
    }
  }
  return true;
}

}  // namespace

void sync_block() { yield(kAtSync); }

void sync_warp() { yield(kAtWarp); }

uint64_t exchange(uint64_t v, int src) {
  int warp = cur->linear & ~31;
  slots[cur->linear] = v;
  yield(kAtWarp);
  uint64_t r = warp + src < (int)(block_dim.x * block_dim.y * block_dim.z) ? slots[warp + src] : v;
  yield(kAtWarp);  // nobody overwrites a slot before every lane has read
  return r;
}

void fail(const char* what) {
  if (failure.empty()) failure = what;
}

int lane() { return cur->linear & 31; }

}  // namespace emu

using namespace emu;

extern "C" int emu_arity(const char* name) {
  const Kernel* k = find_kernel(name);
  return k ? k->arity : -1;
}

// launch_error is what cuLaunchKernel would refuse about a launch at once,
// or "" when the launch is well formed.
static std::string launch_error(const char* name, unsigned gx, unsigned gy, unsigned gz, unsigned threads,
                                unsigned shared, int nargs) {
  const Kernel* k = find_kernel(name);
  if (!k) return "no kernel named " + std::string(name);
  if (nargs != k->arity)
    return "takes " + std::to_string(k->arity) + " arguments, the launch passed " + std::to_string(nargs);
  if (threads < 1 || threads > kMaxThreads) return "block of " + std::to_string(threads) + " threads";
  if (gx < 1 || gy < 1 || gz < 1 || gx > 2147483647u || gy > 65535 || gz > 65535)
    return "grid (" + std::to_string(gx) + ", " + std::to_string(gy) + ", " + std::to_string(gz) +
           ") is outside CUDA's limits";
  if (shared != 0) return "dynamic shared memory is not emulated";
  return "";
}

extern "C" int emu_check_launch(const char* name, unsigned gx, unsigned gy, unsigned gz, unsigned threads,
                                unsigned shared, int nargs, char* err, int errlen) {
  std::string m = launch_error(name, gx, gy, gz, threads, shared, nargs);
  if (m.empty()) return 0;
  snprintf(err, errlen, "%s", m.c_str());
  return -1;
}

extern "C" int emu_launch(const char* name, unsigned gx, unsigned gy, unsigned gz, unsigned threads,
                          unsigned shared, const uint64_t* args, int nargs, char* err, int errlen) {
  std::lock_guard<std::mutex> l(launch_mu);
  auto fail_with = [&](const std::string& m) {
    snprintf(err, errlen, "%s", m.c_str());
    return -1;
  };
  std::string bad = launch_error(name, gx, gy, gz, threads, shared, nargs);
  if (!bad.empty()) return fail_with(bad);
  const Kernel* k = find_kernel(name);
  if (!ensure_fibers(threads)) return fail_with("cannot map fiber stacks");
  std::vector<void*> slots_of(nargs);
  std::vector<uint64_t> vals(args, args + nargs);
  for (int i = 0; i < nargs; i++) slots_of[i] = &vals[i];
  body = k->call;
  body_args = slots_of.data();
  block_dim = dim3{threads, 1, 1};
  grid_dim = dim3{gx, gy, gz};
  failure.clear();
  uint64_t blocks = (uint64_t)gx * gy * gz;
  // A random but complete block order: start anywhere, step by an odd
  // stride coprime to a power of two ≥ blocks, skip indices past the end.
  uint64_t span = 1;
  while (span < blocks) span <<= 1;
  uint64_t start = rng() & (span - 1), stride = (rng() & (span - 1)) | 1;
  for (uint64_t j = 0, b = start; j < span; j++, b = (b + stride) & (span - 1)) {
    if (b >= blocks) continue;
    block_idx = dim3{(unsigned)(b % gx), (unsigned)(b / gx % gy), (unsigned)(b / ((uint64_t)gx * gy))};
    if (!run_block(threads))
      return fail_with(failure + " (block " + std::to_string(block_idx.x) + "," + std::to_string(block_idx.y) +
                       "," + std::to_string(block_idx.z) + ")");
  }
  std::string msg;
  if (!check_guards(&msg)) return fail_with(msg);
  return 0;
}

extern "C" uintptr_t emu_alloc(size_t bytes) {
  unsigned char* base = (unsigned char*)aligned_alloc(256, (kGuard + bytes + kGuard + 255) / 256 * 256);
  if (!base) return 0;
  memset(base, kGuardByte, kGuard);
  memset(base + kGuard, 0xff, bytes);
  memset(base + kGuard + bytes, kGuardByte, kGuard);
  std::lock_guard<std::mutex> l(mem_mu);
  live[(uintptr_t)(base + kGuard)] = bytes;
  return (uintptr_t)(base + kGuard);
}

extern "C" int emu_free(uintptr_t p) {
  std::lock_guard<std::mutex> l(mem_mu);
  auto it = live.find(p);
  if (it == live.end()) return -1;
  live.erase(it);
  free((unsigned char*)p - kGuard);
  return 0;
}

extern "C" void emu_upload(uintptr_t dst, const void* src, size_t bytes) { memcpy((void*)dst, src, bytes); }

extern "C" void emu_download(void* dst, uintptr_t src, size_t bytes) { memcpy(dst, (const void*)src, bytes); }

extern "C" void emu_memset32(uintptr_t p, uint32_t v, size_t n) {
  uint32_t* w = (uint32_t*)p;
  for (size_t i = 0; i < n; i++) w[i] = v;
}
