package ops

import (
	G "gorgonia.org/gorgonia"

	"github.com/collegium/collegium/pkg/device"
)

// ReLU is max(x, 0) elementwise.
func ReLU(x *G.Node) (*G.Node, error) {
	if err := checkArgs("ReLU", in("x", x)); err != nil {
		return nil, err
	}
	return apply(relu{}, x.Shape(), x)
}

// relu is y = max(x, 0); input x.
type relu struct{}

// reluGrad is dx = dy where y > 0, else 0; inputs y (relu's output), dy.
type reluGrad struct{}

func (relu) launch(k device.Kernels, in []device.Buffer, out device.Buffer) error {
	return k.ReLU(in[0], out)
}

func (reluGrad) launch(k device.Kernels, in []device.Buffer, out device.Buffer) error {
	return k.ReLUGrad(in[0], in[1], out)
}

func (relu) diffWRT() []bool { return []bool{true} }

func (relu) grads(in G.Nodes, y, dy *G.Node) (G.Nodes, error) {
	return applyGradients(gradient{reluGrad{}, in[0].Shape(), G.Nodes{y, dy}})
}
