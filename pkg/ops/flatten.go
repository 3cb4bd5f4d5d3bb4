package ops

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/collegium/collegium/pkg/device"
)

// Flatten copies x (N, ...) into the shape (N, rest). Leaves (input nodes)
// are refused: an input should be fed in the shape the model needs, since
// reshaping leaves is where gorgonia's own Reshape overwrites the input after
// Grad (issue #511), so models built on Flatten never learn to do it.
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
