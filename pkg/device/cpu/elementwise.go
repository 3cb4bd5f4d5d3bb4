package cpu

import (
	"fmt"

	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/device/cpu/gemm"
	"gorgonia.org/tensor"
)

// vecChunk is the number of elements per task of memory-bound kernels:
// large enough to amortise the hand-off, small enough to balance.
const vecChunk = 1 << 14

// rowsPerChunk is how many rows of the given length make about vecChunk
// elements.
func rowsPerChunk(rowLen int) int { return max(1, vecChunk/max(rowLen, 1)) }

// Fill sets every element of b to v.
func (d *Device) Fill(b device.Buffer, v float64) error {
	return d.vec("fill", [spanScalars]float64{v}, fillSpan[float32], fillSpan[float64], b)
}

// Copy copies src into dst.
func (d *Device) Copy(dst, src device.Buffer) error {
	return d.vec("copy", [spanScalars]float64{}, copySpan[float32], copySpan[float64], dst, src)
}

// Add computes y = a + b elementwise; y may alias a or b.
func (d *Device) Add(a, b, y device.Buffer) error {
	return d.vec("add", [spanScalars]float64{}, addSpan[float32], addSpan[float64], y, a, b)
}

// Scale computes y = alpha·x elementwise; y may alias x.
func (d *Device) Scale(alpha float64, x, y device.Buffer) error {
	return d.vec("scale", [spanScalars]float64{alpha}, scaleSpan[float32], scaleSpan[float64], y, x)
}

// ReLU computes y = max(x, 0).
func (d *Device) ReLU(x, y device.Buffer) error {
	return d.vec("relu", [spanScalars]float64{}, reluSpan[float32], reluSpan[float64], y, x)
}

// ReLUGrad computes dx = dy where y > 0, else 0.
func (d *Device) ReLUGrad(y, dy, dx device.Buffer) error {
	return d.vec("relu grad", [spanScalars]float64{}, reluGradSpan[float32], reluGradSpan[float64], dx, y, dy)
}

// vec runs an elementwise span function with bufs (all of one length, the
// output first) in spanArgs.buf and the scalars s.
func (d *Device) vec(op string, s [spanScalars]float64, f32 func(*spanArgs[float32], int, int), f64 func(*spanArgs[float64], int, int), bufs ...device.Buffer) error {
	dt, err := operands(op, bufs...)
	if err != nil {
		return err
	}
	n := bufs[0].Len()
	for i, b := range bufs {
		if b.Len() != n {
			return fmt.Errorf("cpu: %s: operand %d has %d elements, want %d", op, i, b.Len(), n)
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if dt == tensor.Float32 {
		runVec(d.f32, f32, n, s, bufs)
	} else {
		runVec(d.f64, f64, n, s, bufs)
	}
	return nil
}

func runVec[T gemm.Float](e *workspace[T], f func(*spanArgs[T], int, int), n int, s [spanScalars]float64, bufs []device.Buffer) {
	a := &e.span.a
	a.s = s
	a.bind(bufs)
	e.spans(f, n, vecChunk)
}

func fillSpan[T gemm.Float](a *spanArgs[T], lo, hi int) {
	v := T(a.s[0])
	for i := lo; i < hi; i++ {
		a.buf[0][i] = v
	}
}

func copySpan[T gemm.Float](a *spanArgs[T], lo, hi int) { copy(a.buf[0][lo:hi], a.buf[1][lo:hi]) }

func addSpan[T gemm.Float](a *spanArgs[T], lo, hi int) {
	x, y, z := a.buf[0][lo:hi], a.buf[1][lo:hi], a.buf[2][lo:hi]
	for i := range x {
		x[i] = y[i] + z[i]
	}
}

func scaleSpan[T gemm.Float](a *spanArgs[T], lo, hi int) {
	alpha := T(a.s[0])
	x, y := a.buf[0][lo:hi], a.buf[1][lo:hi]
	for i := range x {
		x[i] = alpha * y[i]
	}
}

func reluSpan[T gemm.Float](a *spanArgs[T], lo, hi int) {
	x, y := a.buf[0][lo:hi], a.buf[1][lo:hi]
	if x32, ok := any(x).([]float32); ok {
		relu32(x32, any(y).([]float32))
		return
	}
	for i := range x {
		x[i] = max(y[i], 0)
	}
}

func reluGradSpan[T gemm.Float](a *spanArgs[T], lo, hi int) {
	dx, y, dy := a.buf[0][lo:hi], a.buf[1][lo:hi], a.buf[2][lo:hi]
	if dx32, ok := any(dx).([]float32); ok {
		reluGrad32(dx32, any(y).([]float32), any(dy).([]float32))
		return
	}
	y, dy = y[:len(dx)], dy[:len(dx)]
	for i := range dx {
		if y[i] > 0 {
			dx[i] = dy[i]
		} else {
			dx[i] = 0
		}
	}
}
