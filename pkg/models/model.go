package models

import (
	"errors"
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Model is one built graph: a training model (batch statistics in BN, the
// gradient of Loss with respect to every parameter) or an eval model (BN
// running statistics, no gradients). Params and State are in the same order
// with the same names in every model built from one Spec, so an eval model
// can share a training model's buffers by position.
type Model struct {
	Spec     Spec
	Batch    int
	Dtype    tensor.Dtype
	Training bool
	Graph    *G.ExprGraph
	// Input is (Batch, C, H, W), or (Batch, C·H·W) for MLPs.
	Input *G.Node
	// Labels is (Batch): class indices as floats.
	Labels *G.Node
	// Logits is (Batch, Classes).
	Logits *G.Node
	// Loss is the scalar mean softmax cross-entropy of Logits and Labels.
	Loss   *G.Node
	Params []Param
	// State holds the BN running statistics, updated in place by a
	// training forward pass.
	State []State
}

// Build makes the graph of s for batches of batch examples in dtype
// (Float32 or Float64). A training model (training true) uses batch
// statistics in BN and holds G.Grad of Loss with respect to every parameter
// (Param.Grad); an eval model uses the running statistics and has no
// gradients. Parameter values are not set: draw them with Param.Values.
func Build(s Spec, batch int, dtype tensor.Dtype, training bool) (*Model, error) {
	m, err := BuildForward(s, batch, dtype, training)
	if err != nil || !training {
		return m, err
	}
	if err := m.differentiate(); err != nil {
		return nil, fmt.Errorf("models: build %s: %w", s, err)
	}
	return m, nil
}

// BuildForward makes the graph of s like Build but never differentiates
// it: batchStats picks BN on the batch's statistics (as in training) or on
// the running statistics. Callers that take their own gradients (the NTK
// of the train-mode network) start from it.
func BuildForward(s Spec, batch int, dtype tensor.Dtype, batchStats bool) (*Model, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if batch < 1 {
		return nil, fmt.Errorf("models: build %s: batch %d must be ≥ 1", s, batch)
	}
	if dtype != tensor.Float32 && dtype != tensor.Float64 {
		return nil, fmt.Errorf("models: build %s: dtype %v: want float32 or float64", s, dtype)
	}
	b := newBuilder(s, dtype, batchStats)
	m := &Model{Spec: s, Batch: batch, Dtype: dtype, Training: batchStats, Graph: b.g}
	if s.Family == MLP {
		m.Input = b.leaf("input", batch, s.Input.Size())
	} else {
		m.Input = b.leaf("input", batch, s.Input.Channels, s.Input.Height, s.Input.Width)
	}
	m.Labels = b.leaf("labels", batch)
	switch s.Family {
	case MLP:
		m.Logits = b.mlp(m.Input)
	case ConvNet:
		m.Logits = b.convNet(m.Input)
	case ResNeXt29:
		m.Logits = b.resnext29(m.Input)
	default:
		m.Logits = b.resnextImageNet(m.Input)
	}
	m.Loss = b.loss(m.Logits, m.Labels)
	if b.err != nil {
		return nil, fmt.Errorf("models: build %s: %w", s, b.err)
	}
	m.Params, m.State = b.params, b.state
	return m, nil
}

func (m *Model) differentiate() error {
	wrt := make(G.Nodes, len(m.Params))
	for i, p := range m.Params {
		wrt[i] = p.Node
	}
	grads, err := G.Grad(m.Loss, wrt...)
	if err != nil {
		return fmt.Errorf("gradient of the loss: %w", err)
	}
	if len(grads) != len(wrt) {
		return errors.New("gradient of the loss: gorgonia returned a gradient count unlike the parameter count")
	}
	for i := range m.Params {
		m.Params[i].Grad = grads[i]
	}
	return nil
}

// ParamCount is the number of trainable values in m.
func (m *Model) ParamCount() int {
	total := 0
	for _, p := range m.Params {
		total += p.Size()
	}
	return total
}
