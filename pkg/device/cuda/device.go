//go:build gpu

package cuda

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/collegium/collegium/pkg/device"
	_ "github.com/collegium/collegium/pkg/device/cuda/internal/probe" // must initialise before gorgonia.org/cu
	"gorgonia.org/cu"
)

// Device is one CUDA GPU with its own context, stream, kernel modules and
// memory pool. Its methods may be called from any goroutine; they serialise.
type Device struct {
	mu      sync.Mutex
	ordinal int
	name    string
	ctx     cu.CUContext
	stream  cu.Stream
	funcs   map[string]cu.Function
	pool    pool
	errFlag cu.DevicePtr // 4 int32: code, row, value bits, limit (see kernels/common.cuh)
	closed  bool
}

var _ device.Device = (*Device)(nil)

// New opens GPU ordinal: it creates a context and a stream, loads the
// embedded PTX and allocates the device error flag.
func New(ordinal int) (*Device, error) {
	n, err := cu.NumDevices()
	if err != nil {
		return nil, fmt.Errorf("cuda: counting devices: %w", err)
	}
	if ordinal < 0 || ordinal >= n {
		return nil, fmt.Errorf("cuda: device %d does not exist (%d CUDA devices)", ordinal, n)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	dev, err := cu.GetDevice(ordinal)
	if err != nil {
		return nil, fmt.Errorf("cuda:%d: get device: %w", ordinal, err)
	}
	name, err := dev.Name()
	if err != nil {
		return nil, fmt.Errorf("cuda:%d: device name: %w", ordinal, err)
	}
	ctx, err := dev.MakeContext(cu.SchedAuto)
	if err != nil {
		return nil, fmt.Errorf("cuda:%d (%s): create context: %w", ordinal, name, err)
	}
	d := &Device{ordinal: ordinal, name: name, ctx: ctx, funcs: map[string]cu.Function{}}
	if err := d.setup(); err != nil {
		return nil, errors.Join(err, d.release())
	}
	return d, nil
}

// setup creates the stream, loads the modules and zeroes the error flag; the
// context is current on the calling (locked) thread.
func (d *Device) setup() error {
	var err error
	if d.stream, err = cu.MakeStream(cu.NonBlocking); err != nil {
		return fmt.Errorf("%s: create stream: %w", d.Name(), err)
	}
	if err := d.loadModules(); err != nil {
		return err
	}
	if d.errFlag, err = cu.MemAlloc(16); err != nil {
		return fmt.Errorf("%s: allocate error flag: %w", d.Name(), err)
	}
	if err := cu.MemsetD32(d.errFlag, 0, 4); err != nil {
		return fmt.Errorf("%s: clear error flag: %w", d.Name(), err)
	}
	return nil
}

// Name is "cuda:N".
func (d *Device) Name() string { return fmt.Sprintf("cuda:%d", d.ordinal) }

// Model is the GPU's marketing name, e.g. "NVIDIA H100 80GB HBM3".
func (d *Device) Model() string { return d.name }

// enter locks the device and the calling goroutine's OS thread and makes the
// device's context current on it; the returned function undoes both.
func (d *Device) enter() (func(), error) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil, fmt.Errorf("%s: device is closed", d.Name())
	}
	runtime.LockOSThread()
	if err := cu.SetCurrentContext(d.ctx); err != nil {
		runtime.UnlockOSThread()
		d.mu.Unlock()
		return nil, fmt.Errorf("%s: set current context: %w", d.Name(), err)
	}
	return func() {
		runtime.UnlockOSThread()
		d.mu.Unlock()
	}, nil
}

// Sync waits for all enqueued work and reports an error that a kernel
// recorded in the device error flag (an invalid label, say).
func (d *Device) Sync() error {
	leave, err := d.enter()
	if err != nil {
		return err
	}
	defer leave()
	return d.syncLocked()
}

// syncLocked synchronises the stream and checks the error flag.
func (d *Device) syncLocked() error {
	if err := d.stream.Synchronize(); err != nil {
		return fmt.Errorf("%s: synchronize: %w", d.Name(), err)
	}
	var flag [4]int32
	if err := cu.MemcpyDtoH(ptrOf(flag[:]), d.errFlag, 16); err != nil {
		return fmt.Errorf("%s: read error flag: %w", d.Name(), err)
	}
	if flag[0] == 0 {
		return nil
	}
	if err := cu.MemsetD32(d.errFlag, 0, 4); err != nil {
		return fmt.Errorf("%s: clear error flag: %w", d.Name(), err)
	}
	value := math.Float32frombits(uint32(flag[2]))
	switch flag[0] {
	case errBadLabel:
		return fmt.Errorf("%s: softmax cross-entropy: label %v of row %d is not a class index in [0, %d)", d.Name(), value, flag[1], flag[3])
	}
	return fmt.Errorf("%s: kernel reported error code %d (row %d, value %v, limit %d)", d.Name(), flag[0], flag[1], value, flag[3])
}

// errBadLabel is the error-flag code of an invalid class label (softmax.cu).
const errBadLabel = 1

// Close waits for pending work and releases the pool, stream and context
// (destroying the context unloads the modules). The device is unusable afterwards.
func (d *Device) Close() error {
	leave, err := d.enter()
	if err != nil {
		return err
	}
	defer leave()
	syncErr := d.stream.Synchronize()
	if syncErr != nil {
		syncErr = fmt.Errorf("%s: synchronize before close: %w", d.Name(), syncErr)
	}
	d.closed = true
	return errors.Join(syncErr, d.release())
}

// release frees everything New made, with the context current.
func (d *Device) release() error {
	var errs []error
	errs = append(errs, d.pool.drain())
	if d.errFlag != 0 {
		if err := cu.MemFree(d.errFlag); err != nil {
			errs = append(errs, fmt.Errorf("%s: free error flag: %w", d.Name(), err))
		}
		d.errFlag = 0
	}
	if d.stream != (cu.Stream{}) {
		if err := d.stream.Destroy(); err != nil {
			errs = append(errs, fmt.Errorf("%s: destroy stream: %w", d.Name(), err))
		}
	}
	if err := d.ctx.Destroy(); err != nil {
		errs = append(errs, fmt.Errorf("%s: destroy context: %w", d.Name(), err))
	}
	return errors.Join(errs...)
}
