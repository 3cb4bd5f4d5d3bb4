package ops

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/collegium/collegium/pkg/device"
)

// ConvConfig configures GroupedConv2d. Zero Stride or Dilation entries mean
// 1 and Groups 0 means 1; Pad is the zero padding on each side.
type ConvConfig struct {
	Groups                int
	Stride, Pad, Dilation [2]int
}

// GroupedConv2d convolves x (N, C, H, W) with w (O, C/g, kh, kw) in g groups
// (cross-correlation, as PyTorch), giving (N, O, Ho, Wo). Output channels
// are group-major: group j's O/g channels read input channels
// [j·C/g, (j+1)·C/g). With g = m it is the hidden layer of m convolutional
// networks trained as one.
func GroupedConv2d(x, w *G.Node, c ConvConfig) (*G.Node, error) {
	const name = "GroupedConv2d"
	if err := checkArgs(name, in("x", x, 4), in("w", w, 4)); err != nil {
		return nil, err
	}
	xs, ws := x.Shape(), w.Shape()
	p := device.ConvParams{
		N: xs[0], C: xs[1], H: xs[2], W: xs[3],
		O: ws[0], KH: ws[2], KW: ws[3],
		Groups:  orOne(c.Groups),
		StrideH: orOne(c.Stride[0]), StrideW: orOne(c.Stride[1]),
		PadH: c.Pad[0], PadW: c.Pad[1],
		DilH: orOne(c.Dilation[0]), DilW: orOne(c.Dilation[1]),
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("ops: %s: x %v, w %v, %+v: %w", name, xs, ws, c, err)
	}
	if ws[1]*p.Groups != p.C {
		return nil, fmt.Errorf("ops: %s: x %v, w %v: filter depth %d is not channels %d / groups %d", name, xs, ws, ws[1], p.C, p.Groups)
	}
	return apply(groupedConv2d{p}, tensor.Shape{p.N, p.O, p.OutH(), p.OutW()}, x, w)
}

// orOne maps the zero value of a config entry to 1.
func orOne(v int) int {
	if v == 0 {
		return 1
	}
	return v
}

// groupedConv2d is y = conv(x, w); inputs x, w.
type groupedConv2d struct{ p device.ConvParams }

// convBackwardData is dx from dy and w; inputs dy, w.
type convBackwardData groupedConv2d

// convBackwardFilter is dw from x and dy; inputs x, dy.
type convBackwardFilter groupedConv2d

func (c groupedConv2d) launch(k device.Kernels, in []device.Buffer, out device.Buffer) error {
	return k.Conv2dForward(c.p, in[0], in[1], out)
}

func (c convBackwardData) launch(k device.Kernels, in []device.Buffer, out device.Buffer) error {
	return k.Conv2dBackwardData(c.p, in[0], in[1], out)
}

func (c convBackwardFilter) launch(k device.Kernels, in []device.Buffer, out device.Buffer) error {
	return k.Conv2dBackwardFilter(c.p, in[0], in[1], out)
}

func (c groupedConv2d) diffWRT() []bool { return []bool{true, true} }

func (c groupedConv2d) grads(in G.Nodes, _, dy *G.Node) (G.Nodes, error) {
	x, w := in[0], in[1]
	return applyGradients(
		gradient{convBackwardData(c), x.Shape(), G.Nodes{dy, w}},
		gradient{convBackwardFilter(c), w.Shape(), G.Nodes{x, dy}})
}
