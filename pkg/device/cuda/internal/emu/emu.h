// emu.h: the C interface of the CUDA emulator (runtime.cc, kernels.cc) for emu.go.
#pragma once
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// emu_arity is the parameter count of kernel name, or -1 if there is none.
int emu_arity(const char* name);

// emu_check_launch returns 0 if a launch of kernel name with this grid,
// block, shared memory and argument count is well formed (what cuLaunchKernel
// checks when it is called), or -1 with a message in err.
int emu_check_launch(const char* name, unsigned gx, unsigned gy, unsigned gz, unsigned threads, unsigned shared,
                     int nargs, char* err, int errlen);

// emu_launch runs kernel name over a grid of blocks of threads; args holds
// one 8-byte slot per parameter. It returns 0, or -1 with a message in err.
int emu_launch(const char* name, unsigned gx, unsigned gy, unsigned gz, unsigned threads, unsigned shared,
               const uint64_t* args, int nargs, char* err, int errlen);

// emu_alloc returns bytes of "device" memory filled with 0xff bytes (a NaN
// in every float), between guard zones that emu_launch checks after each
// kernel; emu_free releases it. Both return or take 0 on failure.
uintptr_t emu_alloc(size_t bytes);
int emu_free(uintptr_t p);

// Copies between host and emulated device memory, and a 32-bit memset.
void emu_upload(uintptr_t dst, const void* src, size_t bytes);
void emu_download(void* dst, uintptr_t src, size_t bytes);
void emu_memset32(uintptr_t p, uint32_t v, size_t n);

#ifdef __cplusplus
}
#endif
