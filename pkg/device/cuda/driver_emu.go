//go:build cudaemu

package cuda

import (
	"errors"
	"fmt"
	"time"
	"unsafe"

	"github.com/collegium/collegium/pkg/device/cuda/internal/emu"
)

// driver runs the kernels on the CPU through internal/emu: one emulated
// device, cuda:0, with one non-blocking stream whose work runs when the host
// waits for it. Each method makes the emulator call that mirrors the CUDA
// call of driver_cu.go, on the same stream, so that work put on the wrong
// stream, or read before its wait, shows here as it would on a GPU. It
// exists to test this package without a GPU; its speed means nothing.
type driver struct {
	stream *emu.Stream
}

// event is the wall-clock time at which it was recorded.
type event = *time.Time

// emulated describes the emulated device: it claims an H100's 132
// multiprocessors and compute capability 9.0 so that the choices that depend
// on them (GEMM tiles, which modules load) are those of a real GPU.
var emulated = gpuInfo{name: "CUDA emulator on the CPU (build tag cudaemu)", multiprocessors: 132, capability: 90}

func openDriver(ordinal int) (*driver, gpuInfo, error) {
	if ordinal != 0 {
		return nil, gpuInfo{}, fmt.Errorf("device %d does not exist (the CUDA emulator has one device, cuda:0)", ordinal)
	}
	return &driver{stream: emu.NewStream()}, emulated, nil
}

func (r *driver) makeCurrent() error { return nil }

func (r *driver) load(name string, _ []byte, entries []string) error {
	for _, e := range entries {
		if _, ok := emu.Arity(e); !ok {
			return fmt.Errorf("kernel %s of %s is not in the emulator's table (pkg/device/cuda/internal/emu/kernels.cc)", e, name)
		}
	}
	return nil
}

func (r *driver) launch(name string, grid [3]int, threads, shared int, a args) error {
	return r.stream.Launch(name, grid, threads, shared, a)
}

func (r *driver) alloc(bytes int64) (devPtr, error) {
	p, err := emu.Alloc(bytes)
	return devPtr(p), err
}

func (r *driver) free(p devPtr) error { return emu.Free(uintptr(p)) }

func (r *driver) memsetD32(p devPtr, v uint32, n int) error {
	r.stream.MemsetD32(uintptr(p), v, n)
	return nil
}

func (r *driver) upload(dst devPtr, src unsafe.Pointer, bytes int64) error {
	r.stream.Upload(uintptr(dst), src, bytes)
	return r.stream.Synchronize()
}

func (r *driver) download(dst unsafe.Pointer, src devPtr, bytes int64) error {
	r.stream.Download(dst, uintptr(src), bytes)
	return nil
}

func (r *driver) synchronize() error { return r.stream.Synchronize() }

func (r *driver) destroy() error {
	return errors.Join(r.stream.Destroy(), emu.CtxSynchronize())
}

func (r *driver) newEvent() (event, error) { return new(time.Time), nil }

func (r *driver) record(e event) error {
	r.stream.Record(e)
	return nil
}

func (r *driver) elapsed(start, stop event) (float64, error) {
	if err := r.stream.Synchronize(); err != nil {
		return 0, err
	}
	return float64(stop.Sub(*start)) / float64(time.Millisecond), nil
}

func (r *driver) destroyEvent(event) error { return nil }
