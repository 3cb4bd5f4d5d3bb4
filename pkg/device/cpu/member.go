package cpu

import (
	"fmt"

	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/device/cpu/gemm"
	"gorgonia.org/tensor"
)

// MemberMean computes y[b, j] = scale·Σ_k x[b, k·width + j], summing in
// float64.
func (d *Device) MemberMean(p device.MemberParams, x, y device.Buffer) error {
	return d.member("member mean", p, memberMeanSpan[float32], memberMeanSpan[float64], x, y)
}

// MemberMeanGrad computes dx[b, k·width + j] = scale·dy[b, j].
func (d *Device) MemberMeanGrad(p device.MemberParams, dy, dx device.Buffer) error {
	return d.member("member mean grad", p, memberMeanGradSpan[float32], memberMeanGradSpan[float64], dx, dy)
}

// member checks the (batch, members·width) tensor full and the (batch,
// width) tensor agg, then runs f32 or f64 over batch rows with full, agg in
// spanArgs.buf, the layout (batch, members, width) and the scale in
// s[0].
func (d *Device) member(op string, p device.MemberParams, f32 func(*spanArgs[float32], int, int), f64 func(*spanArgs[float64], int, int), full, agg device.Buffer) error {
	if p.Batch < 0 || p.Members <= 0 || p.Width < 0 {
		return fmt.Errorf("cpu: %s: batch %d, members %d, width %d: need members > 0 and no negative size", op, p.Batch, p.Members, p.Width)
	}
	dt, err := operands(op, full, agg)
	if err != nil {
		return err
	}
	if err := length(op, "members tensor", full, p.Batch*p.Members*p.Width); err != nil {
		return err
	}
	if err := length(op, "aggregate", agg, p.Batch*p.Width); err != nil {
		return err
	}
	l := device.ChannelLayout{Outer: p.Batch, C: p.Members, Inner: p.Width}
	d.mu.Lock()
	defer d.mu.Unlock()
	if dt == tensor.Float32 {
		d.f32.span.a.s[0] = p.Scale
		channelRun(d.f32, f32, l, p.Batch, p.Members*p.Width, full, agg)
	} else {
		d.f64.span.a.s[0] = p.Scale
		channelRun(d.f64, f64, l, p.Batch, p.Members*p.Width, full, agg)
	}
	return nil
}

// memberMeanSpan: buf = x, output y; batch rows b of x (l.C members of
// l.Inner) into y.
func memberMeanSpan[T gemm.Float](a *spanArgs[T], lo, hi int) {
	m, w := a.l.C, a.l.Inner
	for b := lo; b < hi; b++ {
		y := a.buf[1][b*w : (b+1)*w]
		for j := range y {
			var s float64
			for k := range m {
				s += float64(a.buf[0][(b*m+k)*w+j])
			}
			y[j] = T(a.s[0] * s)
		}
	}
}

// memberMeanGradSpan: buf = output dx, dy; scale·dy rows copied to every
// member of dx.
func memberMeanGradSpan[T gemm.Float](a *spanArgs[T], lo, hi int) {
	m, w := a.l.C, a.l.Inner
	scale := T(a.s[0])
	for b := lo; b < hi; b++ {
		dy := a.buf[1][b*w : (b+1)*w]
		for k := range m {
			dx := a.buf[0][(b*m+k)*w : (b*m+k+1)*w]
			for j, v := range dy {
				dx[j] = scale * v
			}
		}
	}
}
