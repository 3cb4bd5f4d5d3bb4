package cpu

import (
	"fmt"

	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/device/cpu/gemm"
	"gorgonia.org/tensor"
)

// MaxPool2d computes y = the maximum of each window of x (see
// device.PoolParams), in parallel over (n, c) planes.
func (d *Device) MaxPool2d(p device.PoolParams, x, y device.Buffer) error {
	return d.maxPool("max pool", false, p, x, nil, y)
}

// MaxPool2dGrad computes dx by adding each dy element at its window's first
// maximal element of x, in parallel over (n, c) planes.
func (d *Device) MaxPool2dGrad(p device.PoolParams, x, dy, dx device.Buffer) error {
	return d.maxPool("max pool grad", true, p, x, dy, dx)
}

// maxPool checks p and the operands (dy is nil for the forward pass; out is
// y or dx) and runs the pass.
func (d *Device) maxPool(op string, grad bool, p device.PoolParams, x, dy, out device.Buffer) error {
	if err := p.Validate(); err != nil {
		return fmt.Errorf("cpu: %s: %w", op, err)
	}
	dt, err := operands(op, x, out)
	if err != nil {
		return err
	}
	nx, ny := p.N*p.C*p.H*p.W, p.N*p.C*p.OutH()*p.OutW()
	want := ny
	if grad {
		if _, err := operands(op, x, dy); err != nil {
			return err
		}
		if err := length(op, "dy", dy, ny); err != nil {
			return err
		}
		want = nx
	}
	if err := length(op, "x", x, nx); err != nil {
		return err
	}
	if err := length(op, "output", out, want); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if dt == tensor.Float32 {
		runMaxPool(d.f32, grad, p, x, dy, out)
	} else {
		runMaxPool(d.f64, grad, p, x, dy, out)
	}
	return nil
}

// maxPoolTask is one max-pool call; item i is a chunk of (n, c) planes.
type maxPoolTask[T gemm.Float] struct {
	p                 device.PoolParams
	grad              bool
	x, dy, y          []T // y is dx in the gradient pass
	oh, ow            int
	inPlane, outPlane int // elements per plane of x and of y
	planes, chunk     int
}

func runMaxPool[T gemm.Float](e *workspace[T], grad bool, p device.PoolParams, x, dy, out device.Buffer) {
	t := &e.maxPool
	*t = maxPoolTask[T]{p: p, grad: grad, x: elems[T](x), y: elems[T](out),
		oh: p.OutH(), ow: p.OutW(), inPlane: p.H * p.W, planes: p.N * p.C}
	if grad {
		t.dy = elems[T](dy)
	}
	t.outPlane = t.oh * t.ow
	t.chunk = rowsPerChunk(max(t.inPlane, t.outPlane))
	e.pool.run(t, (t.planes+t.chunk-1)/t.chunk)
	*t = maxPoolTask[T]{}
}

func (t *maxPoolTask[T]) run(_, i int) {
	for c := i * t.chunk; c < min((i+1)*t.chunk, t.planes); c++ {
		x := t.x[c*t.inPlane : (c+1)*t.inPlane]
		if t.grad {
			t.gradPlane(x, t.dy[c*t.outPlane:(c+1)*t.outPlane], t.y[c*t.inPlane:(c+1)*t.inPlane])
		} else {
			t.forwardPlane(x, t.y[c*t.outPlane:(c+1)*t.outPlane])
		}
	}
}

// forwardPlane writes the window maxima of plane x into y.
func (t *maxPoolTask[T]) forwardPlane(x, y []T) {
	for oy := range t.oh {
		for ox := range t.ow {
			_, y[oy*t.ow+ox] = t.argmax(x, oy, ox)
		}
	}
}

// gradPlane overwrites dx with dy routed to the windows' maxima of x.
func (t *maxPoolTask[T]) gradPlane(x, dy, dx []T) {
	clear(dx)
	for oy := range t.oh {
		for ox := range t.ow {
			i, _ := t.argmax(x, oy, ox)
			dx[i] += dy[oy*t.ow+ox]
		}
	}
}

// argmax is the offset in plane x of the first maximum of window (oy, ox),
// NaN ranking above every number, and its value. The window's first element
// starts the search, so an all −∞ window picks it as PyTorch does.
func (t *maxPoolTask[T]) argmax(x []T, oy, ox int) (int, T) {
	w := t.p.W
	y0, y1 := t.rows(oy)
	x0, x1 := t.cols(ox)
	best := y0*w + x0
	m := x[best]
	for iy := y0; iy < y1; iy++ {
		for j, v := range x[iy*w+x0 : iy*w+x1] {
			if v > m || (v != v && m == m) {
				best, m = iy*w+x0+j, v
			}
		}
	}
	return best, m
}

// rows is the range [y0, y1) of input rows in the windows of output row oy;
// Validate guarantees that it is not empty.
func (t *maxPoolTask[T]) rows(oy int) (y0, y1 int) {
	y0 = oy*t.p.StrideH - t.p.PadH
	return max(y0, 0), min(y0+t.p.KH, t.p.H)
}

// cols is the range [x0, x1) of input columns in the windows of output
// column ox.
func (t *maxPoolTask[T]) cols(ox int) (x0, x1 int) {
	x0 = ox*t.p.StrideW - t.p.PadW
	return max(x0, 0), min(x0+t.p.KW, t.p.W)
}
