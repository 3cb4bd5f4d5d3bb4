package cpu

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/device/cpu/gemm"
	"gorgonia.org/tensor"
)

// Device is the CPU device. Kernels run synchronously on a persistent pool of
// worker goroutines; calls from several goroutines are serialised.
type Device struct {
	mu   sync.Mutex
	pool *pool
	f32  *workspace[float32]
	f64  *workspace[float64]
}

var _ device.Device = (*Device)(nil)

// New returns a CPU device running kernels on workers goroutines
// (runtime.GOMAXPROCS(0) when workers <= 0).
func New(workers int) *Device {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	p := newPool(workers)
	return &Device{pool: p, f32: newWorkspace[float32](p), f64: newWorkspace[float64](p)}
}

// Name is "cpu".
func (d *Device) Name() string { return "cpu" }

// Alloc returns a zeroed host buffer of n elements of dt.
func (d *Device) Alloc(dt tensor.Dtype, n int) (device.Buffer, error) {
	if n < 0 {
		return nil, fmt.Errorf("cpu: alloc: negative length %d", n)
	}
	switch dt {
	case tensor.Float32:
		return &Buffer{F32: make([]float32, n), dt: dt}, nil
	case tensor.Float64:
		return &Buffer{F64: make([]float64, n), dt: dt}, nil
	}
	return nil, fmt.Errorf("cpu: alloc %v: %w", dt, device.NoKernel("alloc", "cpu"))
}

// Free drops the buffer's memory (the garbage collector reclaims it).
func (d *Device) Free(b device.Buffer) error {
	cb, ok := b.(*Buffer)
	if !ok || cb == nil {
		return fmt.Errorf("cpu: free: %T is not a non-nil *cpu.Buffer", b)
	}
	cb.F32, cb.F64 = nil, nil
	return nil
}

// Upload copies src into dst.
func (d *Device) Upload(dst device.Buffer, src any) error {
	if _, err := operands("upload", dst); err != nil {
		return err
	}
	return transfer("upload", dst.(*Buffer), src, true)
}

// Download copies src into dst.
func (d *Device) Download(dst any, src device.Buffer) error {
	if _, err := operands("download", src); err != nil {
		return err
	}
	return transfer("download", src.(*Buffer), dst, false)
}

// transfer copies between b and the host slice s, in the direction up
// (s → b) or down (b → s), checking dtype and length.
func transfer(op string, b *Buffer, s any, up bool) error {
	switch v := s.(type) {
	case []float32:
		return copyHost(op, b, tensor.Float32, b.F32, v, up)
	case []float64:
		return copyHost(op, b, tensor.Float64, b.F64, v, up)
	}
	return fmt.Errorf("cpu: %s: host data is %T, want []float32 or []float64", op, s)
}

// copyHost copies host into the elements dst of b (or back when !up) after
// checking that b's dtype is dt, host's.
func copyHost[T gemm.Float](op string, b *Buffer, dt tensor.Dtype, dst, host []T, up bool) error {
	if b.dt != dt {
		return fmt.Errorf("cpu: %s: host %T with a %v buffer", op, host, b.dt)
	}
	if len(host) != len(dst) {
		return fmt.Errorf("cpu: %s: host slice has %d elements, buffer %d", op, len(host), len(dst))
	}
	if up {
		copy(dst, host)
	} else {
		copy(host, dst)
	}
	return nil
}

// Sync returns nil: CPU kernels finish before they return.
func (d *Device) Sync() error { return nil }

// Close stops the worker goroutines. The device must not be used afterwards.
func (d *Device) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.pool.close()
	return nil
}
