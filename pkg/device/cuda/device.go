//go:build gpu || cudaemu

package cuda

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/collegium/collegium/pkg/device"
)

// Device is one CUDA GPU with its own context, stream, kernel modules and
// memory pool. Its methods may be called from any goroutine; they serialise.
type Device struct {
	mu      sync.Mutex
	ordinal int
	info    gpuInfo
	drv     *driver
	kernels map[string]int // the kernels loaded for this GPU's compute capability, with their most threads per block
	tf32    bool           // Gemm on TF32 tensor cores (SetTF32)
	pool    pool
	errFlag devPtr // 4 int32: code, row, value bits, limit (see kernels/common.cuh)
	closed  bool

	syncLaunches bool         // COLLEGIUM_CUDA_SYNC=1: wait after every launch
	lastLaunch   launchRecord // the latest launch, named when a wait fails
}

var _ device.Device = (*Device)(nil)

// New opens GPU ordinal: it creates a context and a stream, loads the
// embedded PTX and allocates the device error flag. With the environment
// variable COLLEGIUM_CUDA_SYNC=1 the device waits after every kernel launch
// and names a failing kernel with its grid (slow: for debugging).
func New(ordinal int) (*Device, error) {
	syncLaunches, err := syncLaunchesFromEnv()
	if err != nil {
		return nil, fmt.Errorf("cuda:%d: %w", ordinal, err)
	}
	drv, info, err := openDriver(ordinal)
	if err != nil {
		return nil, fmt.Errorf("cuda:%d: %w", ordinal, err)
	}
	d := &Device{ordinal: ordinal, info: info, drv: drv, kernels: map[string]int{}, syncLaunches: syncLaunches}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := d.setup(); err != nil {
		return nil, errors.Join(err, d.release())
	}
	return d, nil
}

// setup loads the modules and allocates and zeroes the error flag, on the
// calling (locked) thread.
func (d *Device) setup() error {
	var err error
	if err = d.drv.makeCurrent(); err != nil {
		return fmt.Errorf("%s: set current context: %w", d.Name(), err)
	}
	if err := d.loadModules(); err != nil {
		return err
	}
	if d.errFlag, err = d.drv.alloc(16); err != nil {
		return fmt.Errorf("%s: allocate error flag: %w", d.Name(), err)
	}
	return d.clearErrorFlag()
}

// clearErrorFlag zeroes the error flag in stream order and waits for it, so
// that the next kernel finds it clear.
func (d *Device) clearErrorFlag() error {
	if err := d.drv.memsetD32(d.errFlag, 0, 4); err != nil {
		return fmt.Errorf("%s: clear error flag: %w", d.Name(), err)
	}
	return d.synchronizeLocked("clear error flag")
}

// Name is "cuda:N".
func (d *Device) Name() string { return fmt.Sprintf("cuda:%d", d.ordinal) }

// Model describes the GPU: its name, compute capability, multiprocessors
// and the CUDA version its driver supports, e.g. "NVIDIA H100 80GB HBM3
// (compute capability 9.0, 132 multiprocessors, driver for CUDA 12.4)".
func (d *Device) Model() string { return d.info.String() }

// enter locks the device and the calling goroutine's OS thread and makes the
// device's context current on it; the returned function undoes both.
func (d *Device) enter() (func(), error) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil, fmt.Errorf("%s: device is closed", d.Name())
	}
	runtime.LockOSThread()
	if err := d.drv.makeCurrent(); err != nil {
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
	var flag [4]int32
	if err := d.drv.download(ptrOf(flag[:]), d.errFlag, 16); err != nil {
		return fmt.Errorf("%s: read error flag: %w", d.Name(), err)
	}
	if err := d.synchronizeLocked("synchronize"); err != nil {
		return err
	}
	if flag[0] == 0 {
		return nil
	}
	if err := d.clearErrorFlag(); err != nil {
		return err
	}
	value := math.Float32frombits(uint32(flag[2]))
	switch flag[0] {
	case errBadLabel:
		return fmt.Errorf("%s: softmax cross-entropy: label %v of row %d is not a class index in [0, %d)", d.Name(), value, flag[1], flag[3])
	}
	return fmt.Errorf("%s: kernel reported error code %d (row %d, value %v, limit %d)", d.Name(), flag[0], flag[1], value, flag[3])
}

// SetTF32 switches Gemm between float32 (the default) and TF32 tensor-core
// products (kernels/gemm_tf32.cu), which need compute capability 8.0.
func (d *Device) SetTF32(on bool) error {
	leave, err := d.enter()
	if err != nil {
		return err
	}
	defer leave()
	if _, ok := d.kernels[gemmTF32Kernel(false, false)]; on && !ok {
		return fmt.Errorf("%s (%s): TF32 needs compute capability 8.0 or newer, this GPU has %d.%d", d.Name(), d.info.name, d.info.capability/10, d.info.capability%10)
	}
	d.tf32 = on
	return nil
}

var _ device.TF32Switch = (*Device)(nil)

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
	syncErr := d.synchronizeLocked("synchronize before close")
	d.closed = true
	return errors.Join(syncErr, d.release())
}

// release frees everything New made, with the context current.
func (d *Device) release() error {
	errs := []error{d.pool.drain(d.drv)}
	if d.errFlag != 0 {
		if err := d.drv.free(d.errFlag); err != nil {
			errs = append(errs, fmt.Errorf("%s: free error flag: %w", d.Name(), err))
		}
		d.errFlag = 0
	}
	if err := d.drv.destroy(); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", d.Name(), err))
	}
	return errors.Join(errs...)
}
