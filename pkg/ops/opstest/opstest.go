// Package opstest builds two small Collegium networks, with seeded random
// values bound to every leaf, for tests that compare ways of running a graph
// (gorgonia's TapeMachine, Collegium's executor on CPU or GPU):
//
//	g := G.NewGraph()
//	net, err := opstest.MLPCE(g, tensor.Float64, batch, members, width, classes, seed)
//	// run g, then compare net.Cost and net.Grads[i] (∂Cost/∂net.Params[i])
//
// MLPCE is an MLP collegial ensemble of m members of width n:
//
//	x (batch, n) → MatMul (n, m·n) → BiasAdd → ReLU
//	  → BlockDiagMatMul (m, n, n) → BiasAdd → ReLU
//	  → BlockDiagMatMul (m, n, classes) → MemberMean (scale 1/m)
//	  → SoftmaxCrossEntropy with labels (batch)
//
// ConvCE is a convolutional one over c = m·n channels of size×size images,
// with a residual connection (so its gradient graph holds a "+"):
//
//	x (batch, c, size, size) → GroupedConv2d 3×3 pad 1, groups m → BatchNorm
//	  (training) → ReLU = h → GroupedConv2d 3×3 pad 1, groups m → Add h
//	  → GlobalAvgPool → MatMul (c, classes) → SoftmaxCrossEntropy
//
// Leaf names are fixed, so build one network per graph. Weights are
// He-normal, biases and BN shifts small normal, BN scales near 1, running
// statistics 0 and 1, inputs standard normal, labels uniform over the
// classes; the same seed gives the same values in float32 and float64.
package opstest

import (
	"fmt"
	"math"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/collegium/collegium/pkg/ops"
)

// Net is a built network: its leaves with values bound, its cost and the
// gradients of the cost.
type Net struct {
	Input  *G.Node // the batch of inputs
	Labels *G.Node // class indices as floats, (batch)
	Params G.Nodes // the trained parameters, in construction order
	State  G.Nodes // leaves the forward pass updates in place (BN running statistics)
	Cost   *G.Node // the scalar mean loss
	Grads  G.Nodes // Grads[i] is ∂Cost/∂Params[i], from G.Grad
}

// MLPCE builds the MLP collegial ensemble described in the package comment.
func MLPCE(g *G.ExprGraph, dt tensor.Dtype, batch, members, width, classes int, seed uint64) (*Net, error) {
	b := newBuilder(g, dt, seed)
	m, n := members, width
	x := b.leaf("x", normal(1), batch, n)
	labels := b.leaf("labels", uniformInt(classes), batch)
	w1 := b.param("w1", normal(math.Sqrt(2/float64(n))), n, m*n)
	b1 := b.param("b1", normal(0.1), m*n)
	w2 := b.param("w2", normal(math.Sqrt(2/float64(n))), m, n, n)
	b2 := b.param("b2", normal(0.1), m*n)
	w3 := b.param("w3", normal(math.Sqrt(2/float64(n))), m, n, classes)
	h := b.do(ops.MatMul(x, w1))
	h = b.do(ops.BiasAdd(h, b1))
	h = b.do(ops.ReLU(h))
	h = b.do(ops.BlockDiagMatMul(h, w2))
	h = b.do(ops.BiasAdd(h, b2))
	h = b.do(ops.ReLU(h))
	h = b.do(ops.BlockDiagMatMul(h, w3))
	h = b.do(ops.MemberMean(h, m, 1/float64(m)))
	return b.finish(x, labels, b.do(ops.SoftmaxCrossEntropy(h, labels)))
}

// ConvCE builds the convolutional collegial ensemble described in the
// package comment.
func ConvCE(g *G.ExprGraph, dt tensor.Dtype, batch, members, width, size, classes int, seed uint64) (*Net, error) {
	b := newBuilder(g, dt, seed)
	m, c := members, members*width
	he := normal(math.Sqrt(2 / float64(9*width)))
	cfg := ops.ConvConfig{Groups: m, Pad: [2]int{1, 1}}
	x := b.leaf("x", normal(1), batch, c, size, size)
	labels := b.leaf("labels", uniformInt(classes), batch)
	w1 := b.param("w1", he, c, width, 3, 3)
	gamma := b.param("gamma", func(r *rand.Rand) float64 { return 1 + 0.1*r.NormFloat64() }, c)
	beta := b.param("beta", normal(0.1), c)
	runMean := b.state("runMean", func(*rand.Rand) float64 { return 0 }, c)
	runVar := b.state("runVar", func(*rand.Rand) float64 { return 1 }, c)
	w2 := b.param("w2", he, c, width, 3, 3)
	w3 := b.param("w3", normal(math.Sqrt(1/float64(c))), c, classes)
	h := b.do(ops.GroupedConv2d(x, w1, cfg))
	h = b.do(ops.BatchNorm(h, gamma, beta, runMean, runVar, ops.BatchNormConfig{Eps: 1e-5, Momentum: 0.1, Training: true}))
	h = b.do(ops.ReLU(h))
	y := b.do(ops.GroupedConv2d(h, w2, cfg))
	y = b.do(ops.Add(y, h))
	y = b.do(ops.GlobalAvgPool(y))
	y = b.do(ops.MatMul(y, w3))
	return b.finish(x, labels, b.do(ops.SoftmaxCrossEntropy(y, labels)))
}

// builder makes leaves with seeded values and keeps the first error.
type builder struct {
	g     *G.ExprGraph
	dt    tensor.Dtype
	r     *rand.Rand
	net   Net
	first error
}

func newBuilder(g *G.ExprGraph, dt tensor.Dtype, seed uint64) *builder {
	return &builder{g: g, dt: dt, r: rand.New(rand.NewPCG(seed, 0x0c011e61))}
}

// normal draws from N(0, sd²).
func normal(sd float64) func(*rand.Rand) float64 {
	return func(r *rand.Rand) float64 { return sd * r.NormFloat64() }
}

// uniformInt draws class indices in [0, n).
func uniformInt(n int) func(*rand.Rand) float64 {
	return func(r *rand.Rand) float64 { return float64(r.IntN(n)) }
}

// leaf makes an input node of the given shape with values from draw.
func (b *builder) leaf(name string, draw func(*rand.Rand) float64, shape ...int) *G.Node {
	n := 1
	for _, d := range shape {
		n *= d
	}
	var backing any
	if b.dt == tensor.Float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(draw(b.r))
		}
		backing = v
	} else {
		v := make([]float64, n)
		for i := range v {
			v[i] = draw(b.r)
		}
		backing = v
	}
	val := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(backing))
	return G.NewTensor(b.g, b.dt, len(shape), G.WithShape(shape...), G.WithName(name), G.WithValue(val))
}

func (b *builder) param(name string, draw func(*rand.Rand) float64, shape ...int) *G.Node {
	n := b.leaf(name, draw, shape...)
	b.net.Params = append(b.net.Params, n)
	return n
}

func (b *builder) state(name string, draw func(*rand.Rand) float64, shape ...int) *G.Node {
	n := b.leaf(name, draw, shape...)
	b.net.State = append(b.net.State, n)
	return n
}

// do keeps the first error of an op constructor; later ops see nil inputs
// and fail too, so finish reports the first.
func (b *builder) do(n *G.Node, err error) *G.Node {
	if err != nil && b.first == nil {
		b.first = err
	}
	return n
}

func (b *builder) finish(x, labels, cost *G.Node) (*Net, error) {
	if b.first != nil {
		return nil, fmt.Errorf("opstest: building the network: %w", b.first)
	}
	grads, err := G.Grad(cost, b.net.Params...)
	if err != nil {
		return nil, fmt.Errorf("opstest: differentiating the network: %w", err)
	}
	b.net.Input, b.net.Labels, b.net.Cost, b.net.Grads = x, labels, cost, grads
	return &b.net, nil
}

// Float64s copies the elements of a float32 or float64 value (scalar or
// tensor) as float64; it returns nil for any other element type.
func Float64s(v G.Value) []float64 {
	switch d := v.Data().(type) {
	case float32:
		return []float64{float64(d)}
	case float64:
		return []float64{d}
	case []float32:
		out := make([]float64, len(d))
		for i, x := range d {
			out[i] = float64(x)
		}
		return out
	case []float64:
		return append([]float64(nil), d...)
	}
	return nil
}
