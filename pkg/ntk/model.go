package ntk

import (
	"fmt"

	"gorgonia.org/tensor"

	"github.com/collegium/collegium/pkg/models"
)

// FromModel returns a Builder of the model of spec in dtype. By default
// (batchStats false) it is the eval-mode model for one example: BN runs on
// its running statistics, which at initialisation are mean 0 and variance
// 1, so with weight 1 and bias 0 every BN is the identity map (up to ε) and
// K(x, x') depends on x and x' alone. With batchStats the graph takes the
// batch of all kernel inputs (batch of them) and BN normalises by that
// batch's statistics, as in training: each example's output, and so its
// kernel row, then depends on the other examples of the batch. BN weights
// and biases count as parameters of the kernel either way.
func FromModel(spec models.Spec, dtype tensor.Dtype, batchStats bool, batch int) Builder {
	if !batchStats {
		batch = 1
	}
	return func() (Network, error) {
		m, err := models.BuildForward(spec, batch, dtype, batchStats)
		if err != nil {
			return Network{}, fmt.Errorf("ntk: build %s: %w", spec, err)
		}
		net := Network{Graph: m.Graph, Input: m.Input, Output: m.Logits, Batch: batch}
		for _, p := range m.Params {
			net.Params = append(net.Params, Param{Node: p.Node, Init: p.Values, Scale: p.LRScale})
		}
		for _, s := range m.State {
			net.Fixed = append(net.Fixed, Fixed{Node: s.Node, Values: s.Values()})
		}
		net.Fixed = append(net.Fixed, Fixed{Node: m.Labels, Values: make([]float64, batch)})
		return net, nil
	}
}

// FromTrained returns a Builder of the eval-mode model of spec for one
// example whose parameters and BN running statistics are the named values
// (a trained checkpoint, see train.CheckpointTensors) instead of draws:
// its kernel is the NTK at those parameters, whatever the seed.
func FromTrained(spec models.Spec, dtype tensor.Dtype, values map[string][]float64) Builder {
	return func() (Network, error) {
		m, err := models.BuildForward(spec, 1, dtype, false)
		if err != nil {
			return Network{}, fmt.Errorf("ntk: build %s: %w", spec, err)
		}
		net := Network{Graph: m.Graph, Input: m.Input, Output: m.Logits}
		for _, p := range m.Params {
			v, ok := values[p.Name]
			if !ok || len(v) != p.Size() {
				return Network{}, fmt.Errorf("ntk: trained %s: parameter %s missing or of %d values, want %d", spec, p.Name, len(v), p.Size())
			}
			net.Params = append(net.Params, Param{Node: p.Node, Init: func(uint64) []float64 { return v }, Scale: p.LRScale})
		}
		for _, s := range m.State {
			v, ok := values[s.Name]
			if !ok {
				return Network{}, fmt.Errorf("ntk: trained %s: BN statistics %s missing", spec, s.Name)
			}
			net.Fixed = append(net.Fixed, Fixed{Node: s.Node, Values: v})
		}
		net.Fixed = append(net.Fixed, Fixed{Node: m.Labels, Values: []float64{0}})
		return net, nil
	}
}
