package ops_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/collegium/collegium/pkg/ops"
	"github.com/collegium/collegium/pkg/ops/opstest"
)

// leaf is an input of a gradient check: its shape, whether it is
// differentiated, and how its values are drawn (standard normal when nil).
type leaf struct {
	shape tensor.Shape
	diff  bool
	draw  func(*rand.Rand) float64
}

func param(shape ...int) leaf { return leaf{shape: shape, diff: true} }

func fixed(draw func(*rand.Rand) float64, shape ...int) leaf {
	return leaf{shape: shape, draw: draw}
}

// awayFromZero draws ±[0.1, 1.1), so a ReLU's kink is never within a step.
func awayFromZero(r *rand.Rand) float64 {
	v := 0.1 + r.Float64()
	if r.IntN(2) == 0 {
		return -v
	}
	return v
}

func classes(k int) func(*rand.Rand) float64 {
	return func(r *rand.Rand) float64 { return float64(r.IntN(k)) }
}

// graphOf builds float64 leaves named in0, in1, … with seeded values.
func graphOf(seed uint64, leaves []leaf) (*G.ExprGraph, []*G.Node, [][]float64) {
	g := G.NewGraph()
	r := rand.New(rand.NewPCG(seed, 7))
	nodes := make([]*G.Node, len(leaves))
	data := make([][]float64, len(leaves))
	for i, l := range leaves {
		draw := l.draw
		if draw == nil {
			draw = (*rand.Rand).NormFloat64
		}
		data[i] = make([]float64, l.shape.TotalSize())
		for j := range data[i] {
			data[i][j] = draw(r)
		}
		nodes[i] = newLeaf(g, fmt.Sprintf("in%d", i), l.shape, data[i])
	}
	return g, nodes, data
}

// newLeaf makes a float64 input node over data (a scalar for rank 0).
func newLeaf(g *G.ExprGraph, name string, shape tensor.Shape, data []float64) *G.Node {
	if len(shape) == 0 {
		return G.NewScalar(g, tensor.Float64, G.WithName(name), G.WithValue(data[0]))
	}
	v := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))
	return G.NewTensor(g, tensor.Float64, len(shape), G.WithShape(shape...), G.WithName(name), G.WithValue(v))
}

// randomLike makes a leaf shaped like n with seeded normal values.
func randomLike(n *G.Node, name string, seed uint64) *G.Node {
	r := rand.New(rand.NewPCG(seed, 11))
	d := make([]float64, max(1, n.Shape().TotalSize()))
	for i := range d {
		d[i] = r.NormFloat64()
	}
	return newLeaf(n.Graph(), name, n.Shape(), d)
}

// gradCheck builds y = f(leaves) with seeded values and the cost
// WeightedSum(y, r) for a fixed random r, then compares the gradients that
// G.Grad builds (run by a TapeMachine) with central differences of the cost
// for every element of every differentiated leaf. Before every run all
// leaves get their values back, so state that the forward pass updates in
// place (BN running statistics) cannot disturb the differences.
func gradCheck(t *testing.T, seed uint64, leaves []leaf, f func(in []*G.Node) (*G.Node, error)) {
	t.Helper()
	g, nodes, data := graphOf(seed, leaves)
	y, err := f(nodes)
	if err != nil {
		t.Fatal(err)
	}
	cost, err := ops.WeightedSum(y, randomLike(y, "r", seed))
	if err != nil {
		t.Fatal(err)
	}
	var wrt []*G.Node
	var wrtData [][]float64
	for i, l := range leaves {
		if l.diff {
			wrt = append(wrt, nodes[i])
			wrtData = append(wrtData, data[i])
		}
	}
	grads, err := G.Grad(cost, wrt...)
	if err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	saved := make([][]float64, len(data))
	for i, d := range data {
		saved[i] = append([]float64(nil), d...)
	}
	run := func() float64 {
		m.Reset()
		if err := m.RunAll(); err != nil {
			t.Fatal(err)
		}
		return cost.Value().Data().(float64)
	}
	restore := func() {
		for i, d := range data {
			copy(d, saved[i])
		}
	}
	run()
	analytic := make([][]float64, len(grads))
	for i, gr := range grads {
		analytic[i] = opstest.Float64s(gr.Value())
	}
	const h = 1e-5
	for i, d := range wrtData {
		bad := 0
		for j := range d {
			restore()
			d[j] += h
			plus := run()
			restore()
			d[j] -= h
			minus := run()
			num, got := (plus-minus)/(2*h), analytic[i][j]
			if rel := math.Abs(num-got) / max(1, math.Abs(num), math.Abs(got)); !(rel < 1e-6) {
				if bad++; bad <= 3 {
					t.Errorf("%v: ∂cost/∂%s[%d] = %.10g, central difference %.10g (rel err %.2g)", y.Op(), wrt[i].Name(), j, got, num, rel)
				}
			}
		}
	}
	restore()
}

// shapeRand draws test shapes from a seeded stream.
type shapeRand struct{ *rand.Rand }

func newShapeRand(seed uint64) shapeRand { return shapeRand{rand.New(rand.NewPCG(seed, 3))} }

// in draws from [lo, hi].
func (r shapeRand) in(lo, hi int) int { return lo + r.IntN(hi-lo+1) }

func TestGradBlockDiagMatMul(t *testing.T) {
	type tc struct{ batch, members, in, out int }
	cases := []tc{{1, 1, 3, 2}, {1, 4, 2, 3}, {3, 1, 5, 4}, {4, 3, 2, 2}}
	r := newShapeRand(1)
	for range 3 {
		cases = append(cases, tc{r.in(1, 5), r.in(1, 4), r.in(1, 4), r.in(1, 4)})
	}
	for i, c := range cases {
		t.Run(fmt.Sprintf("B%d-m%d-%dx%d", c.batch, c.members, c.in, c.out), func(t *testing.T) {
			gradCheck(t, uint64(i), []leaf{param(c.batch, c.members*c.in), param(c.members, c.in, c.out)},
				func(in []*G.Node) (*G.Node, error) { return ops.BlockDiagMatMul(in[0], in[1]) })
		})
	}
}

func TestGradMatMul(t *testing.T) {
	r := newShapeRand(2)
	for i := range 4 {
		b, din, dout := r.in(1, 5), r.in(1, 6), r.in(1, 6)
		t.Run(fmt.Sprintf("B%d-%dx%d", b, din, dout), func(t *testing.T) {
			gradCheck(t, uint64(i), []leaf{param(b, din), param(din, dout)},
				func(in []*G.Node) (*G.Node, error) { return ops.MatMul(in[0], in[1]) })
		})
	}
}

// convCase is a grouped convolution to test: x (n, c, h, w), filter
// (o, c/groups, kh, kw).
type convCase struct {
	name       string
	n, c, h, w int
	o, kh, kw  int
	cfg        ops.ConvConfig
}

func (c convCase) leaves() []leaf {
	return []leaf{param(c.n, c.c, c.h, c.w), param(c.o, c.c/max(1, c.cfg.Groups), c.kh, c.kw)}
}

// convCases are the edge cases, then random ones.
func convCases() []convCase {
	cases := []convCase{
		{name: "dense", n: 2, c: 3, h: 5, w: 5, o: 4, kh: 3, kw: 3, cfg: ops.ConvConfig{Pad: [2]int{1, 1}}},
		{name: "groups2", n: 2, c: 4, h: 5, w: 4, o: 6, kh: 3, kw: 3, cfg: ops.ConvConfig{Groups: 2, Pad: [2]int{1, 1}}},
		{name: "depthwise", n: 2, c: 4, h: 5, w: 5, o: 4, kh: 3, kw: 3, cfg: ops.ConvConfig{Groups: 4, Pad: [2]int{1, 1}}},
		{name: "depthwise-x2", n: 1, c: 3, h: 4, w: 4, o: 6, kh: 2, kw: 2, cfg: ops.ConvConfig{Groups: 3}},
		{name: "stride2", n: 2, c: 4, h: 7, w: 6, o: 4, kh: 3, kw: 3, cfg: ops.ConvConfig{Groups: 2, Stride: [2]int{2, 2}, Pad: [2]int{1, 1}}},
		{name: "stride-2x1", n: 1, c: 2, h: 6, w: 5, o: 2, kh: 3, kw: 2, cfg: ops.ConvConfig{Stride: [2]int{2, 1}}},
		{name: "pad2-nopad", n: 1, c: 2, h: 4, w: 5, o: 3, kh: 3, kw: 3, cfg: ops.ConvConfig{Pad: [2]int{2, 0}}},
		{name: "dilation2", n: 2, c: 4, h: 7, w: 7, o: 4, kh: 3, kw: 3, cfg: ops.ConvConfig{Groups: 2, Pad: [2]int{2, 2}, Dilation: [2]int{2, 2}}},
		{name: "dilation-1x2", n: 1, c: 2, h: 5, w: 7, o: 2, kh: 2, kw: 3, cfg: ops.ConvConfig{Dilation: [2]int{1, 2}}},
		{name: "kernel-1x3", n: 2, c: 3, h: 3, w: 5, o: 3, kh: 1, kw: 3, cfg: ops.ConvConfig{Groups: 3, Pad: [2]int{0, 1}}},
		{name: "kernel-3x1-odd", n: 3, c: 2, h: 5, w: 3, o: 5, kh: 3, kw: 1, cfg: ops.ConvConfig{}},
		{name: "batch1-1x1", n: 1, c: 6, h: 3, w: 3, o: 3, kh: 1, kw: 1, cfg: ops.ConvConfig{Groups: 3}},
		{name: "kernel-fills-input", n: 2, c: 2, h: 3, w: 2, o: 2, kh: 3, kw: 2, cfg: ops.ConvConfig{}},
	}
	r := newShapeRand(4)
	for i := range 3 {
		g := r.in(1, 3)
		c := convCase{
			name: fmt.Sprintf("random%d", i), n: r.in(1, 3), c: g * r.in(1, 2), h: r.in(3, 6), w: r.in(3, 6),
			o: g * r.in(1, 2), kh: r.in(1, 3), kw: r.in(1, 3),
			cfg: ops.ConvConfig{Groups: g, Stride: [2]int{r.in(1, 2), r.in(1, 2)}, Pad: [2]int{r.in(0, 1), r.in(0, 1)}, Dilation: [2]int{r.in(1, 2), r.in(1, 2)}},
		}
		cases = append(cases, c)
	}
	return cases
}

func TestGradGroupedConv2d(t *testing.T) {
	for i, c := range convCases() {
		t.Run(c.name, func(t *testing.T) {
			gradCheck(t, uint64(i), c.leaves(),
				func(in []*G.Node) (*G.Node, error) { return ops.GroupedConv2d(in[0], in[1], c.cfg) })
		})
	}
}

func TestGradBiasAdd(t *testing.T) {
	for i, shape := range []tensor.Shape{{3, 4}, {1, 5}, {2, 3, 3, 2}, {1, 2, 1, 3}} {
		t.Run(fmt.Sprint(shape), func(t *testing.T) {
			gradCheck(t, uint64(i), []leaf{param(shape...), param(shape[1])},
				func(in []*G.Node) (*G.Node, error) { return ops.BiasAdd(in[0], in[1]) })
		})
	}
}

func TestGradReLU(t *testing.T) {
	for i, shape := range []tensor.Shape{{4, 5}, {2, 3, 2, 3}} {
		t.Run(fmt.Sprint(shape), func(t *testing.T) {
			gradCheck(t, uint64(i), []leaf{{shape: shape, diff: true, draw: awayFromZero}},
				func(in []*G.Node) (*G.Node, error) { return ops.ReLU(in[0]) })
		})
	}
}

func TestGradBatchNorm(t *testing.T) {
	positive := func(r *rand.Rand) float64 { return 0.5 + r.Float64() }
	for i, tc := range []struct {
		shape    tensor.Shape
		training bool
	}{{tensor.Shape{6, 3}, true}, {tensor.Shape{3, 2, 3, 2}, true}, {tensor.Shape{1, 3, 2, 3}, true}, {tensor.Shape{4, 3}, false}, {tensor.Shape{2, 2, 3, 3}, false}} {
		t.Run(fmt.Sprintf("%v-training=%v", tc.shape, tc.training), func(t *testing.T) {
			c := tc.shape[1]
			cfg := ops.BatchNormConfig{Eps: 1e-5, Momentum: 0.1, Training: tc.training}
			gradCheck(t, uint64(i), []leaf{param(tc.shape...), param(c), param(c), fixed(nil, c), fixed(positive, c)},
				func(in []*G.Node) (*G.Node, error) { return ops.BatchNorm(in[0], in[1], in[2], in[3], in[4], cfg) })
		})
	}
}

func TestGradGlobalAvgPool(t *testing.T) {
	for i, shape := range []tensor.Shape{{2, 3, 4, 5}, {1, 2, 1, 1}, {3, 1, 3, 3}} {
		t.Run(fmt.Sprint(shape), func(t *testing.T) {
			gradCheck(t, uint64(i), []leaf{param(shape...)},
				func(in []*G.Node) (*G.Node, error) { return ops.GlobalAvgPool(in[0]) })
		})
	}
}

// poolCase is a max pool to test on x of the given shape.
type poolCase struct {
	name  string
	shape tensor.Shape
	cfg   ops.PoolConfig
}

// poolCases cover torchvision's stem pool, overlapping and disjoint windows,
// kernels 2 and 3, non-square windows, odd sizes and batch 1.
func poolCases() []poolCase {
	k := func(h, w int) [2]int { return [2]int{h, w} }
	return []poolCase{
		{"stem-3x3-s2-p1", tensor.Shape{2, 3, 6, 6}, ops.PoolConfig{Kernel: k(3, 3), Stride: k(2, 2), Pad: k(1, 1)}},
		{"3x3-s2-p1-odd", tensor.Shape{1, 2, 5, 7}, ops.PoolConfig{Kernel: k(3, 3), Stride: k(2, 2), Pad: k(1, 1)}},
		{"3x3-s1-p0", tensor.Shape{1, 2, 5, 4}, ops.PoolConfig{Kernel: k(3, 3), Stride: k(1, 1)}},
		{"3x3-s1-p1", tensor.Shape{2, 1, 4, 4}, ops.PoolConfig{Kernel: k(3, 3), Stride: k(1, 1), Pad: k(1, 1)}},
		{"2x2-default-stride", tensor.Shape{2, 2, 4, 6}, ops.PoolConfig{Kernel: k(2, 2)}},
		{"2x2-s2-p1-odd", tensor.Shape{1, 3, 5, 3}, ops.PoolConfig{Kernel: k(2, 2), Stride: k(2, 2), Pad: k(1, 1)}},
		{"3x2-s2x1-p1x0", tensor.Shape{1, 2, 5, 6}, ops.PoolConfig{Kernel: k(3, 2), Stride: k(2, 1), Pad: k(1, 0)}},
	}
}

// distinct draws the n values 0.1·(1 … n) in a random order, one per call:
// no window holds a tie and no two values lie within a difference step, so
// the max pool is differentiable at them.
func distinct(n int) func(*rand.Rand) float64 {
	var perm []int
	i := 0
	return func(r *rand.Rand) float64 {
		if perm == nil {
			perm = r.Perm(n)
		}
		v := 0.1 * float64(perm[i%n]+1)
		i++
		return v
	}
}

func TestGradMaxPool2d(t *testing.T) {
	for i, c := range poolCases() {
		t.Run(c.name, func(t *testing.T) {
			gradCheck(t, uint64(i), []leaf{{shape: c.shape, diff: true, draw: distinct(c.shape.TotalSize())}},
				func(in []*G.Node) (*G.Node, error) { return ops.MaxPool2d(in[0], c.cfg) })
		})
	}
}

func TestGradAdd(t *testing.T) {
	for i, shape := range []tensor.Shape{{3, 4}, {2, 2, 3, 2}} {
		t.Run(fmt.Sprint(shape), func(t *testing.T) {
			gradCheck(t, uint64(i), []leaf{param(shape...), param(shape...)},
				func(in []*G.Node) (*G.Node, error) { return ops.Add(in[0], in[1]) })
		})
	}
}

func TestGradMemberMean(t *testing.T) {
	for i, tc := range []struct{ batch, members, width int }{{3, 1, 4}, {2, 3, 2}, {1, 4, 3}} {
		scale := 1 / math.Sqrt(float64(tc.members))
		t.Run(fmt.Sprintf("B%d-m%d-k%d", tc.batch, tc.members, tc.width), func(t *testing.T) {
			gradCheck(t, uint64(i), []leaf{param(tc.batch, tc.members*tc.width)},
				func(in []*G.Node) (*G.Node, error) { return ops.MemberMean(in[0], tc.members, scale) })
		})
	}
}

func TestGradSoftmaxCrossEntropy(t *testing.T) {
	for i, tc := range []struct{ batch, classes int }{{4, 3}, {1, 5}, {3, 1}, {5, 7}} {
		t.Run(fmt.Sprintf("B%d-K%d", tc.batch, tc.classes), func(t *testing.T) {
			gradCheck(t, uint64(i), []leaf{param(tc.batch, tc.classes), fixed(classes(tc.classes), tc.batch)},
				func(in []*G.Node) (*G.Node, error) { return ops.SoftmaxCrossEntropy(in[0], in[1]) })
		})
	}
}

func TestGradWeightedSum(t *testing.T) {
	for i, shape := range []tensor.Shape{{5}, {2, 3}, {2, 1, 2, 2}} {
		t.Run(fmt.Sprint(shape), func(t *testing.T) {
			gradCheck(t, uint64(i), []leaf{param(shape...), fixed(nil, shape...)},
				func(in []*G.Node) (*G.Node, error) { return ops.WeightedSum(in[0], in[1]) })
		})
	}
}

func TestGradFlatten(t *testing.T) {
	for i, shape := range []tensor.Shape{{2, 3, 2, 2}, {3, 4}, {1, 2, 3}} {
		t.Run(fmt.Sprint(shape), func(t *testing.T) {
			gradCheck(t, uint64(i), []leaf{{shape: shape, diff: true, draw: awayFromZero}},
				func(in []*G.Node) (*G.Node, error) {
					h, err := ops.ReLU(in[0])
					if err != nil {
						return nil, err
					}
					return ops.Flatten(h)
				})
		})
	}
}

// TestGradNetworks checks whole networks, where gradients accumulate.
func TestGradNetworks(t *testing.T) {
	t.Run("mlp", func(t *testing.T) {
		gradCheck(t, 1, []leaf{fixed(nil, 3, 4), param(4, 6), param(6), param(2, 3, 3), param(2, 3, 2)},
			func(in []*G.Node) (*G.Node, error) {
				h, err := ops.MatMul(in[0], in[1])
				if err == nil {
					h, err = ops.BiasAdd(h, in[2])
				}
				if err == nil {
					h, err = ops.BlockDiagMatMul(h, in[3])
				}
				if err == nil {
					h, err = ops.BlockDiagMatMul(h, in[4])
				}
				if err == nil {
					h, err = ops.MemberMean(h, 2, 0.5)
				}
				return h, err
			})
	})
	t.Run("residual-conv", func(t *testing.T) {
		cfg := ops.ConvConfig{Groups: 2, Pad: [2]int{1, 1}}
		gradCheck(t, 2, []leaf{param(2, 4, 4, 4), param(4, 2, 3, 3), param(4), param(4), fixed(nil, 4), fixed(func(*rand.Rand) float64 { return 1 }, 4), param(4, 2, 3, 3)},
			func(in []*G.Node) (*G.Node, error) {
				h, err := ops.GroupedConv2d(in[0], in[1], cfg)
				if err == nil {
					h, err = ops.BatchNorm(h, in[2], in[3], in[4], in[5], ops.BatchNormConfig{Eps: 1e-5, Momentum: 0.1, Training: true})
				}
				var y *G.Node
				if err == nil {
					y, err = ops.GroupedConv2d(h, in[6], cfg)
				}
				if err == nil {
					y, err = ops.Add(y, h)
				}
				if err == nil {
					y, err = ops.GlobalAvgPool(y)
				}
				return y, err
			})
	})
}
