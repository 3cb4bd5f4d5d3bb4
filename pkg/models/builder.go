package models

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/collegium/collegium/pkg/ops"
)

// BN settings of PyTorch's BatchNorm2d, which the reference code uses.
const (
	bnEps      = 1e-5
	bnMomentum = 0.1
)

// builder assembles a graph layer by layer. The first error sticks: later
// layer calls return nil and do nothing, and Build reports it.
type builder struct {
	spec     Spec
	g        *G.ExprGraph
	dt       tensor.Dtype
	training bool
	params   []Param
	state    []State
	err      error
}

func newBuilder(s Spec, dt tensor.Dtype, training bool) *builder {
	return &builder{spec: s, g: G.NewGraph(), dt: dt, training: training}
}

// leaf makes an input node of the given shape.
func (b *builder) leaf(name string, shape ...int) *G.Node {
	return G.NewTensor(b.g, b.dt, len(shape), G.WithShape(shape...), G.WithName(name))
}

// param makes a trainable leaf and records it.
func (b *builder) param(name string, how Init, fanIn int, shape ...int) *G.Node {
	n := b.leaf(name, shape...)
	scale := 1.0
	if b.spec.Parameterization == NTK && how == Kaiming {
		scale = 2 / float64(fanIn)
	}
	b.params = append(b.params, Param{Name: name, Node: n, Shape: shape, Init: how, FanIn: fanIn, LRScale: scale})
	return n
}

// stateLeaf makes a BN running-statistic leaf and records it.
func (b *builder) stateLeaf(name string, how Init, c int) *G.Node {
	n := b.leaf(name, c)
	b.state = append(b.state, State{Name: name, Node: n, Shape: []int{c}, Init: how})
	return n
}

// apply runs one op unless an earlier one failed, keeping the first error.
func (b *builder) apply(what string, f func() (*G.Node, error)) *G.Node {
	if b.err != nil {
		return nil
	}
	n, err := f()
	if err != nil {
		b.err = fmt.Errorf("%s: %w", what, err)
		return nil
	}
	return n
}

// dense is x·W + b for x (B, din) and a shared W (din, dout).
func (b *builder) dense(name string, x *G.Node, din, dout int) *G.Node {
	w := b.param(name+".weight", Kaiming, din, din, dout)
	bias := b.param(name+".bias", Zeros, din, dout)
	h := b.apply(name, func() (*G.Node, error) { return ops.MatMul(x, w) })
	return b.apply(name, func() (*G.Node, error) { return ops.BiasAdd(h, bias) })
}

// blockDiag is m independent dense layers din→dout on x (B, m·din).
func (b *builder) blockDiag(name string, x *G.Node, m, din, dout int) *G.Node {
	w := b.param(name+".weight", Kaiming, din, m, din, dout)
	bias := b.param(name+".bias", Zeros, din, m*dout)
	h := b.apply(name, func() (*G.Node, error) { return ops.BlockDiagMatMul(x, w) })
	return b.apply(name, func() (*G.Node, error) { return ops.BiasAdd(h, bias) })
}

// convSpec is one convolution layer: output channels, square kernel,
// stride, padding and groups.
type convSpec struct {
	out, kernel, stride, pad, groups int
}

// conv convolves x (N, C, H, W); with bias it adds a per-channel bias.
func (b *builder) conv(name string, x *G.Node, c convSpec, bias bool) *G.Node {
	if b.err != nil {
		return nil
	}
	in := x.Shape()[1]
	fanIn := in / c.groups * c.kernel * c.kernel
	w := b.param(name+".weight", Kaiming, fanIn, c.out, in/c.groups, c.kernel, c.kernel)
	cfg := ops.ConvConfig{Groups: c.groups, Stride: [2]int{c.stride, c.stride}, Pad: [2]int{c.pad, c.pad}}
	y := b.apply(name, func() (*G.Node, error) { return ops.GroupedConv2d(x, w, cfg) })
	if !bias {
		return y
	}
	bv := b.param(name+".bias", Zeros, fanIn, c.out)
	return b.apply(name, func() (*G.Node, error) { return ops.BiasAdd(y, bv) })
}

// bn is batch normalisation with PyTorch's defaults.
func (b *builder) bn(name string, x *G.Node) *G.Node {
	if b.err != nil {
		return nil
	}
	c := x.Shape()[1]
	gamma := b.param(name+".weight", Ones, 1, c)
	beta := b.param(name+".bias", Zeros, 1, c)
	mean := b.stateLeaf(name+".running_mean", Zeros, c)
	variance := b.stateLeaf(name+".running_var", Ones, c)
	cfg := ops.BatchNormConfig{Eps: bnEps, Momentum: bnMomentum, Training: b.training}
	return b.apply(name, func() (*G.Node, error) { return ops.BatchNorm(x, gamma, beta, mean, variance, cfg) })
}

func (b *builder) relu(x *G.Node) *G.Node {
	return b.apply("relu", func() (*G.Node, error) { return ops.ReLU(x) })
}

func (b *builder) add(x, y *G.Node) *G.Node {
	return b.apply("residual add", func() (*G.Node, error) { return ops.Add(x, y) })
}

func (b *builder) globalAvgPool(x *G.Node) *G.Node {
	return b.apply("global average pool", func() (*G.Node, error) { return ops.GlobalAvgPool(x) })
}

// readout is the members' own linear heads on h (B, m·n) and their
// aggregation c_m·Σ_j into (B, classes).
func (b *builder) readout(h *G.Node) *G.Node {
	s := b.spec
	y := b.blockDiag("readout", h, s.Members, s.Width, s.Classes)
	return b.apply("member mean", func() (*G.Node, error) { return ops.MemberMean(y, s.Members, s.Scale()) })
}

func (b *builder) loss(logits, labels *G.Node) *G.Node {
	return b.apply("loss", func() (*G.Node, error) { return ops.SoftmaxCrossEntropy(logits, labels) })
}
