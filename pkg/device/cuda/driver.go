//go:build gpu || cudaemu

package cuda

import "unsafe"

// devPtr is a device address.
type devPtr uintptr

// gpuInfo describes the GPU a driver opened.
type gpuInfo struct {
	name            string // e.g. "NVIDIA H100 80GB HBM3"
	multiprocessors int
	capability      int // compute capability major·10 + minor, e.g. 90
}

// driverAPI is what Device needs from the layer below it. Two builds provide
// it: driver_cu.go (tag gpu) calls the CUDA driver through gorgonia.org/cu;
// driver_emu.go (tag cudaemu) runs the same kernels/*.cu compiled for the
// CPU by internal/emu, so that every kernel and every launch of this package
// can be tested on a machine without a GPU. All methods are called with the
// device entered (its mutex held, the OS thread locked, the context current).
type driverAPI interface {
	// makeCurrent makes the driver's context current on the calling thread.
	makeCurrent() error
	// load makes the kernels entries of PTX module name launchable.
	load(name string, ptx []byte, entries []string) error
	// launch enqueues kernel name with one 8-byte slot per argument.
	launch(name string, grid [3]int, threads, shared int, a args) error
	alloc(bytes int64) (devPtr, error)
	free(p devPtr) error
	// memsetD32 enqueues setting n 32-bit words at p to v on the stream, in
	// order with its other work (never on the legacy default stream, which
	// the non-blocking stream does not wait for).
	memsetD32(p devPtr, v uint32, n int) error
	// upload copies host memory to p in stream order and waits for it.
	upload(dst devPtr, src unsafe.Pointer, bytes int64) error
	// download enqueues a copy of device memory to host memory.
	download(dst unsafe.Pointer, src devPtr, bytes int64) error
	// synchronize waits for everything enqueued.
	synchronize() error
	// destroy releases the stream and the context.
	destroy() error
	newEvent() (event, error)
	record(e event) error
	// elapsed waits for stop and returns the milliseconds since start.
	elapsed(start, stop event) (float64, error)
	destroyEvent(e event) error
}

var _ driverAPI = (*driver)(nil)
