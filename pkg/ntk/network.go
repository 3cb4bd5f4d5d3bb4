package ntk

import (
	"errors"
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/engine"
	"github.com/collegium/collegium/pkg/ops"
)

// Param is a trainable leaf of a Network and how to draw it.
type Param struct {
	Node *G.Node
	// Init draws the tensor's values for the initialisation seed.
	Init func(seed uint64) []float64
	// Scale weighs this tensor in the kernel: K = Σ_p Scale_p·J_p·J_pᵀ
	// (1 for the standard parameterisation, 2/fan_in for a weight in the
	// NTK parameterisation).
	Scale float64
}

// Fixed is a non-trainable leaf set once (BN running statistics, labels).
type Fixed struct {
	Node   *G.Node
	Values []float64
}

// Network is a float64 or float32 graph: Input is (B, …), Output is (B, K)
// (the logits), and every leaf other than Input is a Param or Fixed. B is
// Batch, or 1 when Batch is 0: a graph for one example, whose kernel is a
// function of the inputs alone. With Batch B > 1 the graph takes all B
// kernel inputs at once (train-mode BN normalises over them) and example
// i's gradient is that of its own output row. Values cross into and out of
// the graph as float64 whatever its dtype, so kernels are always
// accumulated in float64. The graph must not be differentiated yet:
// Compile adds the gradient of the chosen output.
type Network struct {
	Graph  *G.ExprGraph
	Input  *G.Node
	Output *G.Node
	Params []Param
	Fixed  []Fixed
	Batch  int
}

// Tangent is a compiled Network that computes per-example gradients of one
// output, ∂f_k(x)/∂θ, at parameters drawn from a seed. It is not safe for
// concurrent use: each goroutine compiles its own.
type Tangent struct {
	net     Network
	dtype   tensor.Dtype
	plan    *engine.Plan
	weight  *G.Node
	grads   []*G.Node
	onehot  []float64
	batch   int
	weights []float64
	size    int
	inSize  int
	offsets []int
	// work holds one gradient per input for Empirical.
	work [][]float64
	// host32 is the float32 staging buffer of a float32 graph.
	host32 []float32
}

// Compile adds a one-hot WeightedSum of the Output to the graph,
// differentiates it with respect to every Param and compiles the result on
// dev.
func Compile(net Network, dev device.Device) (*Tangent, error) {
	if net.Graph == nil || net.Input == nil || net.Output == nil || len(net.Params) == 0 {
		return nil, errors.New("ntk: compile: network needs a graph, an input, an output and parameters")
	}
	dt := net.Output.Dtype()
	if dt != tensor.Float64 && dt != tensor.Float32 {
		return nil, fmt.Errorf("ntk: compile: output dtype %v: want float64 or float32", dt)
	}
	batch := max(net.Batch, 1)
	if s := net.Output.Shape(); len(s) != 2 || s[0] != batch {
		return nil, fmt.Errorf("ntk: compile: output shape %v: want (%d, K)", s, batch)
	}
	if s := net.Input.Shape(); len(s) < 1 || s[0] != batch {
		return nil, fmt.Errorf("ntk: compile: input shape %v: want a batch of %d", s, batch)
	}
	w := G.NewMatrix(net.Graph, dt, G.WithShape(net.Output.Shape()...), G.WithName("ntk_output_weight"))
	f, err := ops.WeightedSum(net.Output, w)
	if err != nil {
		return nil, fmt.Errorf("ntk: compile: %w", err)
	}
	wrt := make(G.Nodes, len(net.Params))
	k := net.Output.Shape()[1]
	t := &Tangent{net: net, dtype: dt, weight: w, onehot: make([]float64, k), batch: batch,
		weights: make([]float64, batch*k), inSize: net.Input.Shape().TotalSize() / batch}
	for i, p := range net.Params {
		wrt[i] = p.Node
		t.offsets = append(t.offsets, t.size)
		t.size += p.Node.Shape().TotalSize()
	}
	grads, err := G.Grad(f, wrt...)
	if err != nil {
		return nil, fmt.Errorf("ntk: compile: gradient: %w", err)
	}
	t.grads = grads
	t.plan, err = engine.Compile(net.Graph, dev, append(grads, net.Output)...)
	if err != nil {
		return nil, fmt.Errorf("ntk: compile: %w", err)
	}
	for _, fx := range net.Fixed {
		if err := t.set(fx.Node, fx.Values); err != nil {
			t.plan.Close()
			return nil, fmt.Errorf("ntk: compile: set %v: %w", fx.Node, err)
		}
	}
	return t, nil
}

// NumParams is the number of trainable values, the length of a gradient.
func (t *Tangent) NumParams() int { return t.size }

// NumOutputs is K, the number of logits.
func (t *Tangent) NumOutputs() int { return len(t.onehot) }

// Batch is the number of examples the graph takes at once.
func (t *Tangent) Batch() int { return t.batch }

// InputSize is the number of values of one example.
func (t *Tangent) InputSize() int { return t.inSize }

// Init sets every parameter to the values drawn from seed.
func (t *Tangent) Init(seed uint64) error {
	for _, p := range t.net.Params {
		if err := t.set(p.Node, p.Init(seed)); err != nil {
			return fmt.Errorf("ntk: init %v: %w", p.Node, err)
		}
	}
	return nil
}

// Gradient writes √Scale_p·∂f_k(x)/∂θ_p for every parameter tensor p, in
// Params order, into dst (length NumParams), so that dot products of
// gradients are kernel entries.
func (t *Tangent) Gradient(x []float64, k int, dst []float64) error {
	if k < 0 || k >= len(t.onehot) {
		return fmt.Errorf("ntk: gradient: output %d of %d", k, len(t.onehot))
	}
	if t.batch != 1 {
		return fmt.Errorf("ntk: gradient: the graph takes %d examples at once", t.batch)
	}
	clear(t.onehot)
	t.onehot[k] = 1
	return t.gradient(x, t.onehot, dst)
}

// gradient writes the scaled gradient of Σ w·f(x) into dst, for the whole
// batch x (Batch·InputSize values) and weights w (Batch·K).
func (t *Tangent) gradient(x, w, dst []float64) error {
	if len(x) != t.batch*t.inSize || len(dst) != t.size {
		return fmt.Errorf("ntk: gradient: input %d values (want %d), dst %d (want %d)", len(x), t.batch*t.inSize, len(dst), t.size)
	}
	if err := t.set(t.weight, w); err != nil {
		return fmt.Errorf("ntk: gradient: %w", err)
	}
	if err := t.set(t.net.Input, x); err != nil {
		return fmt.Errorf("ntk: gradient: %w", err)
	}
	if err := t.plan.Run(); err != nil {
		return fmt.Errorf("ntk: gradient: %w", err)
	}
	for i, g := range t.grads {
		part := dst[t.offsets[i] : t.offsets[i]+g.Shape().TotalSize()]
		if err := t.get(g, part); err != nil {
			return fmt.Errorf("ntk: gradient: %w", err)
		}
		if s := t.net.Params[i].Scale; s != 1 {
			r := math.Sqrt(s)
			for j := range part {
				part[j] *= r
			}
		}
	}
	return nil
}

// Output runs the network forward at x and returns the logits.
func (t *Tangent) Output(x []float64) ([]float64, error) {
	if len(x) != t.inSize || t.batch != 1 {
		return nil, fmt.Errorf("ntk: output: input %d values, want %d", len(x), t.inSize)
	}
	if err := t.set(t.net.Input, x); err != nil {
		return nil, fmt.Errorf("ntk: output: %w", err)
	}
	if err := t.plan.Run(); err != nil {
		return nil, fmt.Errorf("ntk: output: %w", err)
	}
	out := make([]float64, len(t.onehot))
	if err := t.get(t.net.Output, out); err != nil {
		return nil, fmt.Errorf("ntk: output: %w", err)
	}
	return out, nil
}

// set uploads float64 values into n, converting for a float32 graph.
func (t *Tangent) set(n *G.Node, v []float64) error {
	if t.dtype == tensor.Float64 {
		return t.plan.Set(n, v)
	}
	h := t.staging(len(v))
	for i, x := range v {
		h[i] = float32(x)
	}
	return t.plan.Set(n, h)
}

// get downloads n's value into dst, converting from a float32 graph.
func (t *Tangent) get(n *G.Node, dst []float64) error {
	if t.dtype == tensor.Float64 {
		return t.plan.Get(n, dst)
	}
	h := t.staging(len(dst))
	if err := t.plan.Get(n, h); err != nil {
		return err
	}
	for i, x := range h {
		dst[i] = float64(x)
	}
	return nil
}

// staging returns the float32 staging buffer resized to n values.
func (t *Tangent) staging(n int) []float32 {
	if cap(t.host32) < n {
		t.host32 = make([]float32, n)
	}
	return t.host32[:n]
}

// Close frees the compiled plan.
func (t *Tangent) Close() error {
	if err := t.plan.Close(); err != nil {
		return fmt.Errorf("ntk: close: %w", err)
	}
	return nil
}
