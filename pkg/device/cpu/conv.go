package cpu

import (
	"fmt"

	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/device/cpu/gemm"
	"gorgonia.org/tensor"
)

// Conv2dForward computes y = conv(x, w) as one task per (image, group):
// im2col into per-worker scratch, then Y_g = W_g·col.
func (d *Device) Conv2dForward(p device.ConvParams, x, w, y device.Buffer) error {
	return d.conv(convForward, "conv2d forward", p, x, w, y)
}

// Conv2dBackwardData computes dx from dy and w: per (image, group),
// col = W_gᵀ·dY_g, then col2im into dx.
func (d *Device) Conv2dBackwardData(p device.ConvParams, dy, w, dx device.Buffer) error {
	return d.conv(convBackwardData, "conv2d backward data", p, dx, w, dy)
}

// Conv2dBackwardFilter computes dw from x and dy: dW_g = Σ_n dY_g·colᵀ.
func (d *Device) Conv2dBackwardFilter(p device.ConvParams, x, dy, dw device.Buffer) error {
	return d.conv(convBackwardFilter, "conv2d backward filter", p, x, dw, dy)
}

type convMode int

const (
	convForward convMode = iota
	convBackwardData
	convBackwardFilter
)

// conv validates a convolution whose input-side tensor is x, filter-side w
// and output-side y (gradients included), then runs mode.
func (d *Device) conv(mode convMode, op string, p device.ConvParams, x, w, y device.Buffer) error {
	if err := p.Validate(); err != nil {
		return fmt.Errorf("cpu: %s: %w", op, err)
	}
	dt, err := operands(op, x, w, y)
	if err != nil {
		return err
	}
	if err := length(op, "input", x, p.N*p.C*p.H*p.W); err != nil {
		return err
	}
	if err := length(op, "filter", w, p.O*(p.C/p.Groups)*p.KH*p.KW); err != nil {
		return err
	}
	if err := length(op, "output", y, p.N*p.O*p.OutH()*p.OutW()); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if dt == tensor.Float32 {
		runConv(d.f32, mode, p, x, w, y)
	} else {
		runConv(d.f64, mode, p, x, w, y)
	}
	return nil
}

// convTask holds one convolution call; items are (image, group) pairs, or
// groups when the backward filter pass owns a group per task.
type convTask[T gemm.Float] struct {
	e        *engine[T]
	mode     convMode
	p        device.ConvParams
	x, w, y  []T
	cpg, opg int // channels per group in and out
	kc, pix  int // im2col rows (cpg·KH·KW) and output pixels
	direct   bool
	perGroup bool // backward filter: one task per group over all images
}

func runConv[T gemm.Float](e *engine[T], mode convMode, p device.ConvParams, x, w, y device.Buffer) {
	t := &e.conv
	*t = convTask[T]{e: e, mode: mode, p: p, x: elems[T](x), w: elems[T](w), y: elems[T](y)}
	t.cpg, t.opg = p.C/p.Groups, p.O/p.Groups
	t.kc, t.pix = t.cpg*p.KH*p.KW, p.OutH()*p.OutW()
	t.direct = p.KH == 1 && p.KW == 1 && p.StrideH == 1 && p.StrideW == 1 && p.PadH == 0 && p.PadW == 0
	items := p.N * p.Groups
	switch mode {
	case convBackwardData:
		clear(t.x)
	case convBackwardFilter:
		t.perGroup = p.Groups >= gemmTasks*e.pool.workers || e.pool.workers == 1
		if t.perGroup {
			items = p.Groups
			break
		}
		clear(t.w)
		for wk := 1; wk < e.pool.workers; wk++ {
			e.accum[wk] = grow(e.accum[wk], len(t.w))
			clear(e.accum[wk])
		}
	}
	e.pool.run(t, items)
	if mode == convBackwardFilter && !t.perGroup {
		e.span.a.x, e.span.a.acc = t.w, e.accum[1:]
		e.spans(sumAccum[T], len(t.w), 1<<14)
	}
	*t = convTask[T]{}
}

// sumAccum adds the accumulators a.acc into a.x.
func sumAccum[T gemm.Float](a *spanArgs[T], lo, hi int) {
	for _, acc := range a.acc {
		addTo(a.x[lo:hi], acc[lo:hi])
	}
}

// col returns worker wk's im2col matrix of image n, group g (filled from
// x unless fill is false), or the group's input itself for direct convs.
func (t *convTask[T]) col(wk, n, g int, fill bool) []T {
	xg := t.x[(n*t.p.C+g*t.cpg)*t.p.H*t.p.W:][:t.cpg*t.p.H*t.p.W]
	if t.direct {
		return xg
	}
	s := grow(t.e.scratch[wk], t.kc*t.pix)
	t.e.scratch[wk] = s
	if fill {
		im2col(&t.p, t.cpg, xg, s)
	}
	return s
}

func (t *convTask[T]) run(wk, i int) {
	if t.perGroup {
		for n := range t.p.N {
			t.filter(wk, n, i, t.w, T(min(n, 1)))
		}
		return
	}
	n, g := i/t.p.Groups, i%t.p.Groups
	yg := t.y[(n*t.p.O+g*t.opg)*t.pix:][:t.opg*t.pix]
	wg := t.w[g*t.opg*t.kc:][:t.opg*t.kc]
	switch t.mode {
	case convForward:
		gemm.Gemm(false, false, t.opg, t.pix, t.kc, 1, wg, t.kc, t.col(wk, n, g, true), t.pix, 0, yg, t.pix)
	case convBackwardData:
		col := t.col(wk, n, g, false)
		gemm.Gemm(true, false, t.kc, t.pix, t.opg, 1, wg, t.kc, yg, t.pix, 0, col, t.pix)
		if !t.direct {
			col2im(&t.p, t.cpg, col, t.x[(n*t.p.C+g*t.cpg)*t.p.H*t.p.W:])
		}
	case convBackwardFilter:
		dw := t.w
		if wk > 0 {
			dw = t.e.accum[wk]
		}
		t.filter(wk, n, g, dw, 1)
	}
}

// filter computes dw_g = beta·dw_g + dY_g·colᵀ for image n, group g.
func (t *convTask[T]) filter(wk, n, g int, dw []T, beta T) {
	dyg := t.y[(n*t.p.O+g*t.opg)*t.pix:][:t.opg*t.pix]
	gemm.Gemm(false, true, t.opg, t.kc, t.pix, 1, dyg, t.pix, t.col(wk, n, g, true), t.pix, beta, dw[g*t.opg*t.kc:], t.kc)
}
