package cpu

import (
	"fmt"

	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/device/cpu/gemm"
	"gorgonia.org/tensor"
)

// BiasAdd computes y[o,c,i] = x[o,c,i] + b[c]; y may alias x.
func (d *Device) BiasAdd(l device.ChannelLayout, x, b, y device.Buffer) error {
	dt, err := channelOperands("bias add", l, []device.Buffer{x, y}, []device.Buffer{b})
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if dt == tensor.Float32 && l.Inner == 1 {
		channelRun(d.f32, denseBiasAddSpan, l, l.Outer, l.C, x, b, y)
		return nil
	}
	if dt == tensor.Float32 {
		channelRun(d.f32, biasAddSpan[float32], l, l.Outer*l.C, l.Inner, x, b, y)
	} else {
		channelRun(d.f64, biasAddSpan[float64], l, l.Outer*l.C, l.Inner, x, b, y)
	}
	return nil
}

// BiasGrad computes db[c] = Σ_{o,i} dy[o,c,i], accumulating in float64.
func (d *Device) BiasGrad(l device.ChannelLayout, dy, db device.Buffer) error {
	dt, err := channelOperands("bias grad", l, []device.Buffer{dy}, []device.Buffer{db})
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if dt == tensor.Float32 && l.Inner == 1 {
		channelRun(d.f32, denseBiasGradSpan, l, l.C, l.Outer, dy, db)
		return nil
	}
	if dt == tensor.Float32 {
		channelRun(d.f32, biasGradSpan[float32], l, l.C, l.Outer*l.Inner, dy, db)
	} else {
		channelRun(d.f64, biasGradSpan[float64], l, l.C, l.Outer*l.Inner, dy, db)
	}
	return nil
}

// channelOperands checks a per-channel kernel's operands: full tensors of
// l.Len() elements and per-channel vectors of l.C elements.
func channelOperands(op string, l device.ChannelLayout, full, perChannel []device.Buffer) (tensor.Dtype, error) {
	if l.Outer < 0 || l.C < 0 || l.Inner < 0 {
		return tensor.Dtype{}, fmt.Errorf("cpu: %s: negative layout %+v", op, l)
	}
	dt, err := operands(op, full...)
	if err != nil {
		return dt, err
	}
	cdt, err := operands(op, perChannel...)
	if err != nil {
		return dt, err
	}
	if cdt != dt {
		return dt, fmt.Errorf("cpu: %s: per-channel operands have dtype %v, tensors %v", op, cdt, dt)
	}
	for i, b := range full {
		if b.Len() != l.Len() {
			return dt, fmt.Errorf("cpu: %s: tensor operand %d has %d elements, want %d for layout %+v", op, i, b.Len(), l.Len(), l)
		}
	}
	for i, b := range perChannel {
		if b.Len() != l.C {
			return dt, fmt.Errorf("cpu: %s: per-channel operand %d has %d elements, want %d", op, i, b.Len(), l.C)
		}
	}
	return dt, nil
}

// channelRun runs f over n items (rows (o, c) or channels) of perItem
// elements each, with the layout and up to four buffers in spanArgs.buf.
func channelRun[T gemm.Float](e *workspace[T], f func(*spanArgs[T], int, int), l device.ChannelLayout, n, perItem int, bufs ...device.Buffer) {
	a := &e.span.a
	a.l = l
	a.bind(bufs)
	e.spans(f, n, rowsPerChunk(perItem))
}

// biasAddSpan: buf = x, bias, output y; rows r = (o, c).
func biasAddSpan[T gemm.Float](a *spanArgs[T], lo, hi int) {
	for r := lo; r < hi; r++ {
		bc := a.buf[1][r%a.l.C]
		x, y := a.buf[0][r*a.l.Inner:(r+1)*a.l.Inner], a.buf[2][r*a.l.Inner:(r+1)*a.l.Inner]
		if y32, ok := any(y).([]float32); ok && len(y) >= vecRowMin {
			centered32(y32, any(x).([]float32), 0, 1, float32(bc))
			continue
		}
		for i := range y {
			y[i] = x[i] + bc
		}
	}
}

// denseBiasAddSpan: buf = x, bias, output y; rows o of a (batch, channels) x,
// whole rows at a time.
func denseBiasAddSpan(a *spanArgs[float32], lo, hi int) {
	c := a.l.C
	for o := lo; o < hi; o++ {
		add32(a.buf[2][o*c:][:c], a.buf[0][o*c:][:c], a.buf[1][:c])
	}
}

// denseBiasGradSpan: buf = dy, output db; channels [lo, hi) of a (batch,
// channels) dy. The rows are added into float64 accumulators in order, so each
// channel's sum is channelSum's, whole rows at a time.
func denseBiasGradSpan(a *spanArgs[float32], lo, hi int) {
	var buf [denseChunk]float64
	for c0 := lo; c0 < hi; c0 += denseChunk {
		acc := buf[:min(denseChunk, hi-c0)]
		clear(acc)
		for o := range a.l.Outer {
			accum32(acc, a.buf[0][o*a.l.C+c0:][:len(acc)])
		}
		for i, v := range acc {
			a.buf[1][c0+i] = float32(v)
		}
	}
}

// denseChunk is how many channels' accumulators denseBiasGradSpan keeps on
// the stack at a time.
const denseChunk = 256

// biasGradSpan: buf = dy, output db; channels c.
func biasGradSpan[T gemm.Float](a *spanArgs[T], lo, hi int) {
	for c := lo; c < hi; c++ {
		a.buf[1][c] = T(channelSum(a.buf[0], a.l, c))
	}
}

// channelSum is Σ_{o,i} x[o,c,i] in float64, row by row in order.
func channelSum[T gemm.Float](x []T, l device.ChannelLayout, c int) float64 {
	var s float64
	for o := range l.Outer {
		row := x[(o*l.C+c)*l.Inner:][:l.Inner]
		if len(row) >= vecRowMin {
			s += sum(row)
			continue
		}
		for _, v := range row {
			s += float64(v)
		}
	}
	return s
}

// vecRowMin is the shortest row worth a call into the vector loops of
// vec.go: a (batch, channels) layout has rows of one element.
const vecRowMin = 16
