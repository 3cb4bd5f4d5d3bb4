//go:build gpu || cudaemu

package cuda

import (
	"bytes"
	"fmt"
	"strings"
	"unsafe"
)

// devPtr is a device address.
type devPtr uintptr

// gpuInfo describes the GPU a driver opened.
type gpuInfo struct {
	name            string // e.g. "NVIDIA H100 80GB HBM3"
	multiprocessors int
	capability      int // compute capability major·10 + minor, e.g. 90
	driverCUDA      int // the CUDA version the driver supports, major·1000 + minor·10 (12040 is 12.4); 0 if unknown
}

func (i gpuInfo) String() string {
	driver := "driver version unknown"
	if i.driverCUDA > 0 {
		driver = fmt.Sprintf("driver for CUDA %d.%d", i.driverCUDA/1000, i.driverCUDA%1000/10)
	}
	return fmt.Sprintf("%s (compute capability %d.%d, %d multiprocessors, %s)", i.name, i.capability/10, i.capability%10, i.multiprocessors, driver)
}

// jitLogs formats the JIT compiler's error and info logs (buffers that the
// driver fills with NUL-terminated text) for an error message: "" when both
// are empty.
func jitLogs(errorLog, infoLog []byte) string {
	var b strings.Builder
	for _, l := range []struct {
		what string
		text []byte
	}{{"JIT error log", errorLog}, {"JIT info log", infoLog}} {
		text, _, _ := bytes.Cut(l.text, []byte{0})
		if text = bytes.TrimSpace(text); len(text) > 0 {
			fmt.Fprintf(&b, "\n%s:\n%s", l.what, text)
		}
	}
	return b.String()
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
	// load makes the kernels entries of PTX module name launchable; a module
	// the JIT compiler rejects gives an error with its logs (jitLogs).
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
