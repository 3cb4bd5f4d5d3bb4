package ops

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/collegium/collegium/pkg/device"
)

// GlobalAvgPool averages x (N, C, H, W) over space, giving (N, C).
func GlobalAvgPool(x *G.Node) (*G.Node, error) {
	const name = "GlobalAvgPool"
	if err := checkArgs(name, in("x", x, 4)); err != nil {
		return nil, err
	}
	xs := x.Shape()
	return apply(globalAvgPool{rows: xs[0] * xs[1], spatial: xs[2] * xs[3]}, xs[:2], x)
}

// globalAvgPool is y[r] = mean of row r of x viewed as (rows, spatial); input x.
type globalAvgPool struct{ rows, spatial int }

// poolGrad is dx[r, s] = dy[r]/spatial; input dy.
type poolGrad globalAvgPool

func (p globalAvgPool) launch(k device.Kernels, in []device.Buffer, out device.Buffer) error {
	return k.GlobalAvgPool(p.rows, p.spatial, in[0], out)
}

func (p poolGrad) launch(k device.Kernels, in []device.Buffer, out device.Buffer) error {
	return k.GlobalAvgPoolGrad(p.rows, p.spatial, in[0], out)
}

func (p globalAvgPool) diffWRT() []bool { return []bool{true} }

func (p globalAvgPool) grads(in G.Nodes, _, dy *G.Node) (G.Nodes, error) {
	return applyGradients(gradient{poolGrad(p), in[0].Shape(), G.Nodes{dy}})
}

// PoolConfig configures MaxPool2d: the window (height, width), the stride
// (zero entries mean the window's size, PyTorch's default) and the padding
// on each side, at most half the window.
type PoolConfig struct {
	Kernel, Stride, Pad [2]int
}

// MaxPool2d takes the maximum of each window of x (N, C, H, W) per channel,
// with −∞ padding, giving (N, C, Ho, Wo) as PyTorch's MaxPool2d. The
// gradient goes to each window's first maximal element.
func MaxPool2d(x *G.Node, c PoolConfig) (*G.Node, error) {
	const name = "MaxPool2d"
	if err := checkArgs(name, in("x", x, 4)); err != nil {
		return nil, err
	}
	xs := x.Shape()
	stride := func(i int) int {
		if c.Stride[i] == 0 {
			return c.Kernel[i]
		}
		return c.Stride[i]
	}
	p := device.PoolParams{
		N: xs[0], C: xs[1], H: xs[2], W: xs[3],
		KH: c.Kernel[0], KW: c.Kernel[1],
		StrideH: stride(0), StrideW: stride(1),
		PadH: c.Pad[0], PadW: c.Pad[1],
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("ops: %s: x %v, %+v: %w", name, xs, c, err)
	}
	return apply(maxPool2d{p}, tensor.Shape{p.N, p.C, p.OutH(), p.OutW()}, x)
}

// maxPool2d is y = the windows' maxima of x; input x.
type maxPool2d struct{ p device.PoolParams }

// maxPool2dGrad is dx from x and dy; inputs x, dy.
type maxPool2dGrad maxPool2d

func (m maxPool2d) launch(k device.Kernels, in []device.Buffer, out device.Buffer) error {
	return k.MaxPool2d(m.p, in[0], out)
}

func (m maxPool2dGrad) launch(k device.Kernels, in []device.Buffer, out device.Buffer) error {
	return k.MaxPool2dGrad(m.p, in[0], in[1], out)
}

func (m maxPool2d) diffWRT() []bool { return []bool{true} }

func (m maxPool2d) grads(in G.Nodes, _, dy *G.Node) (G.Nodes, error) {
	return applyGradients(gradient{maxPool2dGrad(m), in[0].Shape(), G.Nodes{in[0], dy}})
}
