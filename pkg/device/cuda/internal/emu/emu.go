//go:build cudaemu

// Package emu runs Collegium's CUDA kernels (kernels/*.cu) on the CPU: the
// sources compile as C++ against a small emulation of CUDA C (cuda_emu.h)
// and a scheduler (runtime.cc) runs every thread of a block as a fiber, with
// __syncthreads and warp shuffles as barriers taken in a random order, and
// guard zones around device memory checked after every launch; work runs
// when the host waits for its stream (stream.go), as on a GPU. It stands in
// for the CUDA driver under the build tag cudaemu, so that pkg/device/cuda
// (its launches, its argument packing, its kernels) is tested by the same
// conformance suite as the CPU device on machines without a GPU. It says
// nothing about speed.
package emu

/*
#cgo CXXFLAGS: -std=c++17 -O2 -fno-strict-aliasing -I${SRCDIR}/../../../../../kernels
#include <stdlib.h>
#include "emu.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"

	_ "github.com/collegium/collegium/kernels" // embeds the sources kernels.cc includes: a change there rebuilds this package
)

// Arity is the parameter count of kernel name; ok is false if there is no
// such kernel.
func Arity(name string) (n int, ok bool) {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	a := int(C.emu_arity(cs))
	return a, a >= 0
}

// checkLaunch refuses what cuLaunchKernel refuses when it is called: an
// unknown kernel, a wrong argument count, a grid or block outside CUDA's
// limits.
func checkLaunch(name string, grid [3]int, threads, shared, nargs int) error {
	for _, g := range grid {
		if g < 1 || g > 1<<31-1 {
			return fmt.Errorf("kernel %s: grid %v is outside CUDA's limits", name, grid)
		}
	}
	if threads < 1 || shared < 0 {
		return fmt.Errorf("kernel %s: %d threads, %d bytes of shared memory", name, threads, shared)
	}
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	var msg [512]C.char
	if C.emu_check_launch(cs, C.uint(grid[0]), C.uint(grid[1]), C.uint(grid[2]), C.uint(threads), C.uint(shared),
		C.int(nargs), &msg[0], C.int(len(msg))) != 0 {
		return fmt.Errorf("kernel %s: %s", name, C.GoString(&msg[0]))
	}
	return nil
}

// launch runs kernel name to completion over grid blocks of threads with
// the given argument slots (one 8-byte slot per parameter), as a stream does
// when it reaches the launch; the launch has passed checkLaunch.
func launch(name string, grid [3]int, threads, shared int, slots []uint64) error {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	var msg [512]C.char
	var first *C.uint64_t
	if len(slots) > 0 {
		first = (*C.uint64_t)(unsafe.Pointer(&slots[0]))
	}
	if C.emu_launch(cs, C.uint(grid[0]), C.uint(grid[1]), C.uint(grid[2]), C.uint(threads), C.uint(shared),
		first, C.int(len(slots)), &msg[0], C.int(len(msg))) != 0 {
		return fmt.Errorf("kernel %s: %s", name, C.GoString(&msg[0]))
	}
	return nil
}

// Alloc returns bytes of emulated device memory, every byte 0xff (a NaN in
// every float32) so that a kernel reading what nobody wrote is visible.
func Alloc(bytes int64) (uintptr, error) {
	if bytes < 0 {
		return 0, fmt.Errorf("alloc: negative size %d", bytes)
	}
	p := uintptr(C.emu_alloc(C.size_t(bytes)))
	if p == 0 {
		return 0, fmt.Errorf("alloc %d bytes: out of memory", bytes)
	}
	return p, nil
}

// Free releases memory from Alloc. Like cuMemFree it first waits for the
// work of every stream (CtxSynchronize), which may still use the memory,
// and reports that work's error.
func Free(p uintptr) error {
	if err := CtxSynchronize(); err != nil {
		return fmt.Errorf("free: pending work: %w", err)
	}
	if C.emu_free(C.uintptr_t(p)) != 0 {
		return errors.New("free: not an allocation of the emulator")
	}
	return nil
}

// upload copies bytes from host memory at src to emulated device memory at dst.
func upload(dst uintptr, src unsafe.Pointer, bytes int64) {
	C.emu_upload(C.uintptr_t(dst), src, C.size_t(bytes))
}

// download copies bytes from emulated device memory at src to host memory at dst.
func download(dst unsafe.Pointer, src uintptr, bytes int64) {
	C.emu_download(dst, C.uintptr_t(src), C.size_t(bytes))
}

// memset32 sets n 32-bit words at p to v.
func memset32(p uintptr, v uint32, n int) {
	C.emu_memset32(C.uintptr_t(p), C.uint32_t(v), C.size_t(n))
}
