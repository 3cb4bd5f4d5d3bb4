package ops

import (
	"fmt"
	"slices"

	G "gorgonia.org/gorgonia"

	"github.com/collegium/collegium/pkg/device"
)

// Add is a + b for equal shapes: the residual connection.
func Add(a, b *G.Node) (*G.Node, error) {
	const name = "Add"
	if err := checkArgs(name, in("a", a), in("b", b)); err != nil {
		return nil, err
	}
	if !slices.Equal(a.Shape(), b.Shape()) {
		return nil, fmt.Errorf("ops: %s: shapes %v and %v differ", name, a.Shape(), b.Shape())
	}
	return apply(add{}, a.Shape(), a, b)
}

// add is y = a + b; inputs a, b. Its gradient is dy for both.
type add struct{}

func (add) launch(k device.Kernels, in []device.Buffer, out device.Buffer) error {
	return k.Add(in[0], in[1], out)
}

func (add) diffWRT() []bool { return []bool{true, true} }

func (add) grads(_ G.Nodes, _, dy *G.Node) (G.Nodes, error) { return G.Nodes{dy, dy}, nil }
