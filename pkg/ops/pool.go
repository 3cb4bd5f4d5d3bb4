package ops

import (
	G "gorgonia.org/gorgonia"

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
