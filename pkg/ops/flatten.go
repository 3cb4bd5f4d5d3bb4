package ops

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/collegium/collegium/pkg/device"
)

// Flatten reshapes x (N, ...) into (N, rest) by copying. It refuses leaves
// (input nodes): feed inputs in the shape the model needs instead, since
// gorgonia's Reshape of a leaf followed by Grad overwrites the leaf (issue
// #511) and models should not rely on which reshape they get.
func Flatten(x *G.Node) (*G.Node, error) {
	const name = "Flatten"
	if err := checkArgs(name, in("x", x)); err != nil {
		return nil, err
	}
	if x.Op() == nil {
		return nil, fmt.Errorf("ops: %s: %v %v is a leaf; feed it in the flat shape instead (gorgonia issue #511)", name, x.Name(), x.Shape())
	}
	if x.Dims() < 2 {
		return nil, fmt.Errorf("ops: %s: x has shape %v, want rank 2 or more", name, x.Shape())
	}
	xs := x.Shape()
	return apply(flatten{}, tensor.Shape{xs[0], size(xs[1:])}, x)
}

// flatten copies x into its flat shape; input x.
type flatten struct{}

// unflatten copies dy back into x's shape; input dy.
type unflatten struct{}

func (flatten) launch(k device.Kernels, in []device.Buffer, out device.Buffer) error {
	return k.Copy(out, in[0])
}

func (unflatten) launch(k device.Kernels, in []device.Buffer, out device.Buffer) error {
	return k.Copy(out, in[0])
}

func (flatten) diffWRT() []bool { return []bool{true} }

func (flatten) grads(in G.Nodes, _, dy *G.Node) (G.Nodes, error) {
	return applyGradients(gradient{unflatten{}, in[0].Shape(), G.Nodes{dy}})
}
