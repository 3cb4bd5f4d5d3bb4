package dist

import (
	"fmt"

	"gorgonia.org/tensor"

	"github.com/collegium/collegium/pkg/device"
)

// Averager replaces buffers, on every rank, by their mean over the ranks.
type Averager interface {
	// Average averages every buffer of bufs (all of one dtype) and every
	// value of host, in place.
	Average(bufs []device.Buffer, host []float64) error
}

// deviceAveragers are averagers for particular devices (NCCL for CUDA
// buffers, in builds with the tags mpi and gpu), tried before the host one.
// Each returns nil when it does not serve dev.
var deviceAveragers []func(Comm, device.Device) (Averager, error)

// NewAverager returns the averager for dev's buffers over c: a device one
// where the build has it (NCCL for CUDA), else host staging over c.
func NewAverager(c Comm, dev device.Device) (Averager, error) {
	for _, f := range deviceAveragers {
		a, err := f(c, dev)
		if err != nil || a != nil {
			return a, err
		}
	}
	return &hostAverager{comm: c, dev: dev}, nil
}

// hostAverager copies every buffer into one host array, all-reduces it with
// one call, divides by the number of ranks and copies back: one message
// per step whatever the number of parameters.
type hostAverager struct {
	comm Comm
	dev  device.Device
	f32  []float32
	f64  []float64
}

func (a *hostAverager) Average(bufs []device.Buffer, host []float64) error {
	n := len(host)
	dt := tensor.Float32
	for i, b := range bufs {
		if i == 0 {
			dt = b.Dtype()
		} else if b.Dtype() != dt {
			return fmt.Errorf("dist: average: buffer %d is %v, buffer 0 is %v", i, b.Dtype(), dt)
		}
		n += b.Len()
	}
	if dt == tensor.Float64 {
		a.f64 = grow(a.f64, n)
		return average(a, a.f64, bufs, host, a.comm.AllReduceSum64)
	}
	a.f32 = grow(a.f32, n)
	return average(a, a.f32, bufs, host, a.comm.AllReduceSum32)
}

func average[T float32 | float64](a *hostAverager, flat []T, bufs []device.Buffer, host []float64, reduce func([]T) error) error {
	off := 0
	for i, b := range bufs {
		if err := a.dev.Download(flat[off:off+b.Len()], b); err != nil {
			return fmt.Errorf("dist: average: download buffer %d: %w", i, err)
		}
		off += b.Len()
	}
	for i, v := range host {
		flat[off+i] = T(v)
	}
	if err := reduce(flat); err != nil {
		return fmt.Errorf("dist: average: %w", err)
	}
	inv := 1 / T(a.comm.Size())
	for i := range flat {
		flat[i] *= inv
	}
	off = 0
	for i, b := range bufs {
		if err := a.dev.Upload(b, flat[off:off+b.Len()]); err != nil {
			return fmt.Errorf("dist: average: upload buffer %d: %w", i, err)
		}
		off += b.Len()
	}
	for i := range host {
		host[i] = float64(flat[off+i])
	}
	return nil
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
