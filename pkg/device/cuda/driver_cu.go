//go:build gpu && !cudaemu

package cuda

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	_ "github.com/collegium/collegium/pkg/device/cuda/internal/probe" // must initialise before gorgonia.org/cu
	"gorgonia.org/cu"
)

// driver is a CUDA context with one non-blocking stream and the kernels
// loaded into it, reached through gorgonia.org/cu.
type driver struct {
	ctx    cu.CUContext
	stream cu.Stream
	funcs  map[string]cu.Function
}

// event is a CUDA event.
type event = cu.Event

// openDriver creates a context and a stream on GPU ordinal and describes the GPU.
func openDriver(ordinal int) (*driver, gpuInfo, error) {
	var none gpuInfo
	n, err := cu.NumDevices()
	if err != nil {
		return nil, none, fmt.Errorf("counting devices: %w", err)
	}
	if ordinal < 0 || ordinal >= n {
		return nil, none, fmt.Errorf("device %d does not exist (%d CUDA devices)", ordinal, n)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	dev, err := cu.GetDevice(ordinal)
	if err != nil {
		return nil, none, fmt.Errorf("get device: %w", err)
	}
	name, err := dev.Name()
	if err != nil {
		return nil, none, fmt.Errorf("device name: %w", err)
	}
	attrs, err := dev.Attributes(cu.MultiprocessorCount, cu.ComputeCapabilityMajor, cu.ComputeCapabilityMinor)
	if err != nil {
		return nil, none, fmt.Errorf("%s: multiprocessor count and compute capability: %w", name, err)
	}
	ctx, err := dev.MakeContext(cu.SchedAuto)
	if err != nil {
		return nil, none, fmt.Errorf("%s: create context: %w", name, err)
	}
	r := &driver{ctx: ctx, funcs: map[string]cu.Function{}}
	if r.stream, err = cu.MakeStream(cu.NonBlocking); err != nil {
		return nil, none, fmt.Errorf("%s: create stream: %w (and destroying the context: %v)", name, err, ctx.Destroy())
	}
	return r, gpuInfo{name: name, multiprocessors: attrs[0], capability: 10*attrs[1] + attrs[2], driverCUDA: max(0, cu.Version())}, nil
}

func (r *driver) makeCurrent() error { return cu.SetCurrentContext(r.ctx) }

// jitLogBytes is the size of each JIT log buffer: the verbose info log of
// the largest module (about 40 kernels) takes under 8 KiB.
const jitLogBytes = 64 << 10

func (r *driver) load(name string, ptx []byte, entries []string) error {
	info := &cu.JITInfoLogBuffer{Buffer: make([]byte, jitLogBytes)}
	errLog := &cu.JITErrorLogBuffer{Buffer: make([]byte, jitLogBytes)}
	mod, err := cu.LoadDataEx(string(ptx), info, errLog, &cu.JITLogVerbose{Enabled: true})
	runtime.KeepAlive(info)
	runtime.KeepAlive(errLog)
	if err != nil {
		return fmt.Errorf("load module %s: %w%s", name, err, jitLogs(errLog.Buffer, info.Buffer))
	}
	for _, e := range entries {
		fn, err := mod.Function(e)
		if err != nil {
			return fmt.Errorf("kernel %s of %s: %w", e, name, err)
		}
		r.funcs[e] = fn
	}
	return nil
}

func (r *driver) launch(name string, grid [3]int, threads, shared int, a args) error {
	fn, ok := r.funcs[name]
	if !ok {
		return fmt.Errorf("kernel %s not in the embedded PTX", name)
	}
	params := make([]unsafe.Pointer, len(a))
	for i := range a {
		params[i] = unsafe.Pointer(&a[i])
	}
	return fn.Launch(grid[0], grid[1], grid[2], threads, 1, 1, shared, r.stream, params)
}

func (r *driver) alloc(bytes int64) (devPtr, error) {
	p, err := cu.MemAlloc(bytes)
	return devPtr(p), err
}

func (r *driver) free(p devPtr) error { return cu.MemFree(cu.DevicePtr(p)) }

func (r *driver) memsetD32(p devPtr, v uint32, n int) error {
	return cu.MemsetD32Async(cu.DevicePtr(p), uint(v), int64(n), r.stream)
}

func (r *driver) upload(dst devPtr, src unsafe.Pointer, bytes int64) error {
	if err := cu.MemcpyHtoDAsync(cu.DevicePtr(dst), src, bytes, r.stream); err != nil {
		return err
	}
	return r.stream.Synchronize()
}

func (r *driver) download(dst unsafe.Pointer, src devPtr, bytes int64) error {
	return cu.MemcpyDtoHAsync(dst, cu.DevicePtr(src), bytes, r.stream)
}

func (r *driver) synchronize() error { return r.stream.Synchronize() }

func (r *driver) destroy() error {
	var errs []error
	if r.stream != (cu.Stream{}) {
		if err := r.stream.Destroy(); err != nil {
			errs = append(errs, fmt.Errorf("destroy stream: %w", err))
		}
	}
	if err := r.ctx.Destroy(); err != nil {
		errs = append(errs, fmt.Errorf("destroy context: %w", err))
	}
	return errors.Join(errs...)
}

func (r *driver) newEvent() (event, error) { return cu.MakeEvent(cu.DefaultEvent) }

func (r *driver) record(e event) error { return e.Record(r.stream) }

func (r *driver) elapsed(start, stop event) (float64, error) {
	if err := stop.Synchronize(); err != nil {
		return 0, err
	}
	return start.Elapsed(stop)
}

func (r *driver) destroyEvent(e event) error { return cu.DestroyEvent(&e) }
