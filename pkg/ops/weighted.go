package ops

import (
	"fmt"
	"slices"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/collegium/collegium/pkg/device"
)

// WeightedSum is the scalar Σ_i w_i·x_i over x and w of equal shapes; it is
// not differentiable with respect to w. With a fixed random w it turns any
// output into a cost whose gradient is w (used by gradient checks and to
// sample the NTK).
func WeightedSum(x, w *G.Node) (*G.Node, error) {
	const name = "WeightedSum"
	if err := checkArgs(name, in("x", x), in("w", w)); err != nil {
		return nil, err
	}
	if !slices.Equal(x.Shape(), w.Shape()) {
		return nil, fmt.Errorf("ops: %s: x %v and w %v differ in shape", name, x.Shape(), w.Shape())
	}
	return apply(weightedSum{}, tensor.ScalarShape(), x, w)
}

// weightedSum is y = Σ w·x; inputs x, w.
type weightedSum struct{}

// weightedSumGrad is dx = dy·w; inputs w, dy.
type weightedSumGrad struct{}

func (weightedSum) launch(k device.Kernels, in []device.Buffer, out device.Buffer) error {
	return k.WeightedSum(in[0], in[1], out)
}

func (weightedSumGrad) launch(k device.Kernels, in []device.Buffer, out device.Buffer) error {
	return k.WeightedSumGrad(in[0], in[1], out)
}

func (weightedSum) diffWRT() []bool { return []bool{true, false} }

func (weightedSum) grads(in G.Nodes, _, dy *G.Node) (G.Nodes, error) {
	return applyGradients(gradient{weightedSumGrad{}, in[0].Shape(), G.Nodes{in[1], dy}}, gradient{})
}
