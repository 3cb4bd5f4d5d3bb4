package ntk

import (
	"fmt"

	"gorgonia.org/tensor"

	"github.com/collegium/collegium/pkg/models"
)

// FromModel returns a Builder of the eval-mode model of spec for one
// example. BN runs on its running statistics, which at initialisation are
// mean 0 and variance 1, so with weight 1 and bias 0 every BN is the
// identity map (up to ε) and K(x, x') depends on x and x' alone; train-mode
// batch statistics would make each example's output, and so its kernel
// row, depend on the other examples of the batch. BN weights and biases
// still count as parameters of the kernel.
func FromModel(spec models.Spec) Builder {
	return func() (Network, error) {
		m, err := models.Build(spec, 1, tensor.Float64, false)
		if err != nil {
			return Network{}, fmt.Errorf("ntk: build %s: %w", spec, err)
		}
		net := Network{Graph: m.Graph, Input: m.Input, Output: m.Logits}
		for _, p := range m.Params {
			net.Params = append(net.Params, Param{Node: p.Node, Init: p.Values, Scale: p.LRScale})
		}
		for _, s := range m.State {
			net.Fixed = append(net.Fixed, Fixed{Node: s.Node, Values: s.Values()})
		}
		net.Fixed = append(net.Fixed, Fixed{Node: m.Labels, Values: []float64{0}})
		return net, nil
	}
}
