package ntk

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/collegium/collegium/pkg/models"
	"github.com/collegium/collegium/pkg/ops"
)

// mlpSpec is a small MLP-CE built directly with pkg/ops: a dense first
// layer d → m·n, depth−1 block-diagonal n → n layers, a block-diagonal
// readout n → k per member and the member sum scaled by scale. No biases.
type mlpSpec struct {
	m, n, depth, d, k int
	relu              bool
	scale             float64
	// std is the weight standard deviation as a multiple of 1/√fan_in.
	std float64
}

func (s mlpSpec) build() (Network, error) {
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float64, G.WithShape(1, s.d), G.WithName("x"))
	net := Network{Graph: g, Input: x}
	add := func(name string, fanIn int, shape ...int) *G.Node {
		var w *G.Node
		if len(shape) == 2 {
			w = G.NewMatrix(g, tensor.Float64, G.WithShape(shape...), G.WithName(name))
		} else {
			w = G.NewTensor(g, tensor.Float64, len(shape), G.WithShape(shape...), G.WithName(name))
		}
		idx, size := len(net.Params), w.Shape().TotalSize()
		net.Params = append(net.Params, Param{Node: w, Scale: 1, Init: func(seed uint64) []float64 {
			return models.Gaussian(size, s.std/math.Sqrt(float64(fanIn)), seed, uint64(idx)+1)
		}})
		return w
	}
	act := func(h *G.Node, err error) (*G.Node, error) {
		if err != nil || !s.relu {
			return h, err
		}
		return ops.ReLU(h)
	}
	h, err := act(ops.MatMul(x, add("w0", s.d, s.d, s.m*s.n)))
	for l := 1; l < s.depth && err == nil; l++ {
		h, err = act(ops.BlockDiagMatMul(h, add(fmt.Sprintf("w%d", l), s.n, s.m, s.n, s.n)))
	}
	if err == nil {
		h, err = ops.BlockDiagMatMul(h, add("readout", s.n, s.m, s.n, s.k))
	}
	if err == nil {
		net.Output, err = ops.MemberMean(h, s.m, s.scale)
	}
	return net, err
}

// randomInputs draws count inputs of size N(0, 1) values.
func randomInputs(count, size int, seed uint64) [][]float64 {
	return RandomInputs(Inputs{Count: count, Size: size, Seed: seed})
}
