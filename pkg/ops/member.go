package ops

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/collegium/collegium/pkg/device"
)

// MemberMean aggregates the members' outputs: x (B, m·k) holds member j's
// outputs in columns [j·k, (j+1)·k), and y (B, k) = scale·Σ_j of them. scale
// is c_m of the CE, 1/m for the mean or 1/√m for the NTK-preserving sum.
func MemberMean(x *G.Node, members int, scale float64) (*G.Node, error) {
	const name = "MemberMean"
	if err := checkArgs(name, in("x", x, 2)); err != nil {
		return nil, err
	}
	xs := x.Shape()
	if members <= 0 || xs[1]%members != 0 {
		return nil, fmt.Errorf("ops: %s: x %v: width %d is not a multiple of %d members", name, xs, xs[1], members)
	}
	p := device.MemberParams{Batch: xs[0], Members: members, Width: xs[1] / members, Scale: scale}
	return apply(memberMean{p}, tensor.Shape{p.Batch, p.Width}, x)
}

// memberMean is y = scale·Σ over members; input x.
type memberMean struct{ p device.MemberParams }

// memberMeanGrad is dx[:, j·k+i] = scale·dy[:, i]; input dy.
type memberMeanGrad memberMean

func (m memberMean) launch(k device.Kernels, in []device.Buffer, out device.Buffer) error {
	return k.MemberMean(m.p, in[0], out)
}

func (m memberMeanGrad) launch(k device.Kernels, in []device.Buffer, out device.Buffer) error {
	return k.MemberMeanGrad(m.p, in[0], out)
}

func (m memberMean) diffWRT() []bool { return []bool{true} }

func (m memberMean) grads(in G.Nodes, _, dy *G.Node) (G.Nodes, error) {
	return applyGradients(gradient{memberMeanGrad(m), in[0].Shape(), G.Nodes{dy}})
}
