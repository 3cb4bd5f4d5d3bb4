package ops

import (
	"fmt"

	G "gorgonia.org/gorgonia"

	"github.com/collegium/collegium/pkg/device"
)

// BiasAdd adds b (C) to every channel c of x, which is (B, C) or (N, C, H, W).
func BiasAdd(x, b *G.Node) (*G.Node, error) {
	const name = "BiasAdd"
	if err := checkArgs(name, in("x", x, 2, 4), in("b", b, 1)); err != nil {
		return nil, err
	}
	xs, bs := x.Shape(), b.Shape()
	if bs[0] != xs[1] {
		return nil, fmt.Errorf("ops: %s: x %v, b %v: bias length is not the channel count", name, xs, bs)
	}
	return apply(biasAdd{channelLayout(xs)}, xs, x, b)
}

// biasAdd is y = x + b per channel; inputs x, b.
type biasAdd struct{ l device.ChannelLayout }

// biasGrad is db = Σ dy over all but the channel axis; input dy. It is also
// the gradient of batch norm's shift.
type biasGrad biasAdd

func (a biasAdd) launch(k device.Kernels, in []device.Buffer, out device.Buffer) error {
	return k.BiasAdd(a.l, in[0], in[1], out)
}

func (a biasGrad) launch(k device.Kernels, in []device.Buffer, out device.Buffer) error {
	return k.BiasGrad(a.l, in[0], out)
}

func (a biasAdd) diffWRT() []bool { return []bool{true, true} }

// grads passes dy through to x and sums it per channel for b.
func (a biasAdd) grads(in G.Nodes, _, dy *G.Node) (G.Nodes, error) {
	gs, err := applyGradients(gradient{}, gradient{biasGrad(a), in[1].Shape(), G.Nodes{dy}})
	if err != nil {
		return nil, err
	}
	gs[0] = dy
	return gs, nil
}
