package bench

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/collegium/collegium/pkg/device"
	"gorgonia.org/tensor"
)

// layer is one case set up on a device: the forward tensors x, w, y, the
// gradients dy (an input, like x and w) and dx, dw (outputs), and host copies
// of the three inputs for the reference.
//
// Matmul cases store x, y, dy and dx as (B, m·n) row-major, the natural
// layout of m concatenated activations, and w, dw as m row-major n×n blocks;
// conv cases use NCHW activations and (O, C/g, k, k) filters.
type layer struct {
	c                   Case
	dev                 device.Device
	x, w, y, dy, dx, dw device.Buffer
	hx, hw, hdy         []float32
	scratch             []float32
}

// newLayer allocates c's buffers on dev and uploads random inputs in
// [-1, 1) drawn from rng.
func newLayer(dev device.Device, c Case, rng *rand.Rand) (l *layer, err error) {
	s := c.Sizes()
	l = &layer{c: c, dev: dev, scratch: make([]float32, max(s.Input, s.Weight, s.Output))}
	defer func() {
		if err != nil {
			err = errors.Join(err, l.free())
		}
	}()
	for _, b := range []struct {
		buf *device.Buffer
		n   int
	}{{&l.x, s.Input}, {&l.w, s.Weight}, {&l.y, s.Output}, {&l.dy, s.Output}, {&l.dx, s.Input}, {&l.dw, s.Weight}} {
		if *b.buf, err = dev.Alloc(tensor.Float32, b.n); err != nil {
			return l, fmt.Errorf("alloc %d floats: %w", b.n, err)
		}
	}
	for _, in := range []struct {
		host *[]float32
		buf  device.Buffer
	}{{&l.hx, l.x}, {&l.hw, l.w}, {&l.hdy, l.dy}} {
		*in.host = make([]float32, in.buf.Len())
		for i := range *in.host {
			(*in.host)[i] = 2*rng.Float32() - 1
		}
		if err = dev.Upload(in.buf, *in.host); err != nil {
			return l, fmt.Errorf("upload: %w", err)
		}
	}
	return l, nil
}

// free releases the device buffers that were allocated.
func (l *layer) free() error {
	var errs []error
	for _, b := range []device.Buffer{l.x, l.w, l.y, l.dy, l.dx, l.dw} {
		if b != nil {
			errs = append(errs, l.dev.Free(b))
		}
	}
	return errors.Join(errs...)
}

// output is the buffer that product p writes.
func (l *layer) output(p Pass) device.Buffer {
	switch p {
	case BackwardData:
		return l.dx
	case BackwardWeight:
		return l.dw
	}
	return l.y
}

// run enqueues pass p.
func (l *layer) run(p Pass) error {
	for _, q := range p.outputs() {
		var err error
		if l.c.IsConv() {
			err = l.conv(q)
		} else {
			err = l.dev.Gemm(l.gemm(q))
		}
		if err != nil {
			return fmt.Errorf("%s %s: %w", l.c.Name(), q, err)
		}
	}
	return nil
}

func (l *layer) conv(p Pass) error {
	cp := l.c.ConvParams()
	switch p {
	case BackwardData:
		return l.dev.Conv2dBackwardData(cp, l.dy, l.w, l.dx)
	case BackwardWeight:
		return l.dev.Conv2dBackwardFilter(cp, l.x, l.dy, l.dw)
	}
	return l.dev.Conv2dForward(cp, l.x, l.w, l.y)
}

// gemm is product p of a matmul case: c.Groups members of width
// c.PerGroup() (device.BlockDiag).
func (l *layer) gemm(p Pass) device.GemmParams {
	n := l.c.PerGroup()
	s := device.BlockDiag{Members: l.c.Groups, Batch: l.c.Batch, In: n, Out: n}
	switch p {
	case BackwardData:
		return s.GradData(l.dy, l.w, l.dx)
	case BackwardWeight:
		return s.GradWeight(l.x, l.dy, l.dw)
	}
	return s.Forward(l.x, l.w, l.y)
}
