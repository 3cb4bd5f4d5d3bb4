package cpu

import (
	"fmt"

	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/device/cpu/gemm"
	"gorgonia.org/tensor"
)

// GlobalAvgPool computes y[r] = mean of x[r, :] for x viewed as (rows,
// spatial), summing in float64.
func (d *Device) GlobalAvgPool(rows, spatial int, x, y device.Buffer) error {
	return d.pooling("global avg pool", rows, spatial, avgPoolSpan[float32], avgPoolSpan[float64], x, y)
}

// GlobalAvgPoolGrad computes dx[r, s] = dy[r]/spatial.
func (d *Device) GlobalAvgPoolGrad(rows, spatial int, dy, dx device.Buffer) error {
	return d.pooling("global avg pool grad", rows, spatial, avgPoolGradSpan[float32], avgPoolGradSpan[float64], dx, dy)
}

// pooling checks the (rows, spatial) tensor full and the per-row vector
// perRow, then runs f32 or f64 over rows with a layout (rows, 1, spatial)
// and full, perRow in spanArgs.buf.
func (d *Device) pooling(op string, rows, spatial int, f32 func(*spanArgs[float32], int, int), f64 func(*spanArgs[float64], int, int), full, perRow device.Buffer) error {
	if rows < 0 || spatial <= 0 {
		return fmt.Errorf("cpu: %s: rows %d must be non-negative and spatial %d positive", op, rows, spatial)
	}
	l := device.ChannelLayout{Outer: rows, C: 1, Inner: spatial}
	dt, err := operands(op, full, perRow)
	if err != nil {
		return err
	}
	if err := length(op, "tensor", full, l.Len()); err != nil {
		return err
	}
	if err := length(op, "per-row vector", perRow, rows); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if dt == tensor.Float32 {
		channelRun(d.f32, f32, l, rows, spatial, full, perRow)
	} else {
		channelRun(d.f64, f64, l, rows, spatial, full, perRow)
	}
	return nil
}

// avgPoolSpan: buf = x, output y; rows of x averaged into y.
func avgPoolSpan[T gemm.Float](a *spanArgs[T], lo, hi int) {
	n := a.l.Inner
	for r := lo; r < hi; r++ {
		var s float64
		for _, v := range a.buf[0][r*n : (r+1)*n] {
			s += float64(v)
		}
		a.buf[1][r] = T(s / float64(n))
	}
}

// avgPoolGradSpan: buf = output dx, dy; dy[r]/spatial spread over row r of dx.
func avgPoolGradSpan[T gemm.Float](a *spanArgs[T], lo, hi int) {
	n := a.l.Inner
	for r := lo; r < hi; r++ {
		v := T(float64(a.buf[1][r]) / float64(n))
		row := a.buf[0][r*n : (r+1)*n]
		for i := range row {
			row[i] = v
		}
	}
}
