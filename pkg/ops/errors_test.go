package ops_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/device/cpu"
	"github.com/collegium/collegium/pkg/ops"
)

// shapes makes value-less leaves in one graph.
type shapes struct {
	g *G.ExprGraph
	n int
}

func (s *shapes) of(dt tensor.Dtype, shape ...int) *G.Node {
	s.n++
	name := fmt.Sprintf("leaf%d", s.n)
	if len(shape) == 0 {
		return G.NewScalar(s.g, dt, G.WithName(name))
	}
	return G.NewTensor(s.g, dt, len(shape), G.WithShape(shape...), G.WithName(name))
}

func (s *shapes) f64(shape ...int) *G.Node { return s.of(tensor.Float64, shape...) }

// TestBadInputsAreErrors checks that every op refuses bad shapes, ranks and
// dtypes at construction with an error that names the shapes (the wanted
// substring), and never panics.
func TestBadInputsAreErrors(t *testing.T) {
	s := &shapes{g: G.NewGraph()}
	relu, err := ops.ReLU(s.f64(2, 3, 4, 4))
	if err != nil {
		t.Fatal(err)
	}
	bn := func(x *G.Node, c int, cfg ops.BatchNormConfig) (*G.Node, error) {
		return ops.BatchNorm(x, s.f64(c), s.f64(c), s.f64(c), s.f64(c), cfg)
	}
	train := ops.BatchNormConfig{Eps: 1e-5, Momentum: 0.1, Training: true}
	cases := []struct {
		name, want string
		build      func() (*G.Node, error)
	}{
		{"blockdiag width", "(4, 7)", func() (*G.Node, error) { return ops.BlockDiagMatMul(s.f64(4, 7), s.f64(2, 3, 5)) }},
		{"blockdiag x rank", "(4, 6, 1)", func() (*G.Node, error) { return ops.BlockDiagMatMul(s.f64(4, 6, 1), s.f64(2, 3, 5)) }},
		{"blockdiag w rank", "(6, 5)", func() (*G.Node, error) { return ops.BlockDiagMatMul(s.f64(4, 6), s.f64(6, 5)) }},
		{"blockdiag dtypes", "float32", func() (*G.Node, error) { return ops.BlockDiagMatMul(s.f64(4, 6), s.of(tensor.Float32, 2, 3, 5)) }},
		{"blockdiag int", "int", func() (*G.Node, error) { return ops.BlockDiagMatMul(s.of(tensor.Int, 4, 6), s.of(tensor.Int, 2, 3, 5)) }},
		{"blockdiag nil", "nil", func() (*G.Node, error) { return ops.BlockDiagMatMul(nil, s.f64(2, 3, 5)) }},
		{"matmul inner", "(3, 5)", func() (*G.Node, error) { return ops.MatMul(s.f64(4, 6), s.f64(3, 5)) }},
		{"matmul rank", "(3, 5, 1)", func() (*G.Node, error) { return ops.MatMul(s.f64(4, 3), s.f64(3, 5, 1)) }},
		{"conv groups", "(1, 6, 5, 5)", func() (*G.Node, error) {
			return ops.GroupedConv2d(s.f64(1, 6, 5, 5), s.f64(4, 2, 3, 3), ops.ConvConfig{Groups: 4})
		}},
		{"conv out groups", "(3, 2, 3, 3)", func() (*G.Node, error) {
			return ops.GroupedConv2d(s.f64(1, 4, 5, 5), s.f64(3, 2, 3, 3), ops.ConvConfig{Groups: 2})
		}},
		{"conv depth", "(4, 3, 3, 3)", func() (*G.Node, error) {
			return ops.GroupedConv2d(s.f64(1, 4, 5, 5), s.f64(4, 3, 3, 3), ops.ConvConfig{Groups: 2})
		}},
		{"conv kernel too large", "(1, 2, 2, 5)", func() (*G.Node, error) {
			return ops.GroupedConv2d(s.f64(1, 2, 2, 5), s.f64(2, 2, 3, 3), ops.ConvConfig{})
		}},
		{"conv dilated too large", "(1, 2, 4, 4)", func() (*G.Node, error) {
			return ops.GroupedConv2d(s.f64(1, 2, 4, 4), s.f64(2, 2, 3, 3), ops.ConvConfig{Dilation: [2]int{2, 2}})
		}},
		{"conv negative pad", "(1, 2, 4, 4)", func() (*G.Node, error) {
			return ops.GroupedConv2d(s.f64(1, 2, 4, 4), s.f64(2, 2, 1, 1), ops.ConvConfig{Pad: [2]int{-1, 0}})
		}},
		{"conv negative stride", "(1, 2, 4, 4)", func() (*G.Node, error) {
			return ops.GroupedConv2d(s.f64(1, 2, 4, 4), s.f64(2, 2, 1, 1), ops.ConvConfig{Stride: [2]int{1, -2}})
		}},
		{"conv negative groups", "(1, 2, 4, 4)", func() (*G.Node, error) {
			return ops.GroupedConv2d(s.f64(1, 2, 4, 4), s.f64(2, 2, 1, 1), ops.ConvConfig{Groups: -1})
		}},
		{"conv rank", "(2, 4, 5)", func() (*G.Node, error) { return ops.GroupedConv2d(s.f64(2, 4, 5), s.f64(2, 4, 1, 1), ops.ConvConfig{}) }},
		{"bias length", "(5)", func() (*G.Node, error) { return ops.BiasAdd(s.f64(2, 4), s.f64(5)) }},
		{"bias rank", "(2, 4, 3)", func() (*G.Node, error) { return ops.BiasAdd(s.f64(2, 4, 3), s.f64(4)) }},
		{"bias dtypes", "float32", func() (*G.Node, error) { return ops.BiasAdd(s.f64(2, 4), s.of(tensor.Float32, 4)) }},
		{"relu nil", "nil", func() (*G.Node, error) { return ops.ReLU(nil) }},
		{"batchnorm channels", "(3)", func() (*G.Node, error) { return bn(s.f64(2, 4, 3, 3), 3, train) }},
		{"batchnorm rank", "(2, 4, 3)", func() (*G.Node, error) { return bn(s.f64(2, 4, 3), 4, train) }},
		{"batchnorm momentum", "momentum", func() (*G.Node, error) {
			return bn(s.f64(2, 4), 4, ops.BatchNormConfig{Eps: 1e-5, Momentum: 1.5})
		}},
		{"batchnorm eps", "eps", func() (*G.Node, error) { return bn(s.f64(2, 4), 4, ops.BatchNormConfig{Eps: -1}) }},
		{"pool rank", "(2, 4)", func() (*G.Node, error) { return ops.GlobalAvgPool(s.f64(2, 4)) }},
		{"maxpool rank", "(2, 4, 5)", func() (*G.Node, error) {
			return ops.MaxPool2d(s.f64(2, 4, 5), ops.PoolConfig{Kernel: [2]int{2, 2}})
		}},
		{"maxpool zero kernel", "(1, 2, 4, 4)", func() (*G.Node, error) { return ops.MaxPool2d(s.f64(1, 2, 4, 4), ops.PoolConfig{}) }},
		{"maxpool kernel too large", "(1, 2, 2, 5)", func() (*G.Node, error) {
			return ops.MaxPool2d(s.f64(1, 2, 2, 5), ops.PoolConfig{Kernel: [2]int{3, 3}})
		}},
		{"maxpool pad over half", "(1, 2, 4, 4)", func() (*G.Node, error) {
			return ops.MaxPool2d(s.f64(1, 2, 4, 4), ops.PoolConfig{Kernel: [2]int{3, 3}, Pad: [2]int{2, 1}})
		}},
		{"maxpool negative pad", "(1, 2, 4, 4)", func() (*G.Node, error) {
			return ops.MaxPool2d(s.f64(1, 2, 4, 4), ops.PoolConfig{Kernel: [2]int{3, 3}, Pad: [2]int{0, -1}})
		}},
		{"maxpool negative stride", "(1, 2, 4, 4)", func() (*G.Node, error) {
			return ops.MaxPool2d(s.f64(1, 2, 4, 4), ops.PoolConfig{Kernel: [2]int{3, 3}, Stride: [2]int{-1, 1}})
		}},
		{"maxpool int", "int", func() (*G.Node, error) {
			return ops.MaxPool2d(s.of(tensor.Int, 1, 2, 4, 4), ops.PoolConfig{Kernel: [2]int{2, 2}})
		}},
		{"maxpool nil", "nil", func() (*G.Node, error) { return ops.MaxPool2d(nil, ops.PoolConfig{Kernel: [2]int{2, 2}}) }},
		{"add shapes", "(2, 5)", func() (*G.Node, error) { return ops.Add(s.f64(2, 4), s.f64(2, 5)) }},
		{"add dtypes", "float32", func() (*G.Node, error) { return ops.Add(s.f64(2, 4), s.of(tensor.Float32, 2, 4)) }},
		{"member divides", "(3, 10)", func() (*G.Node, error) { return ops.MemberMean(s.f64(3, 10), 4, 0.25) }},
		{"member zero", "(3, 10)", func() (*G.Node, error) { return ops.MemberMean(s.f64(3, 10), 0, 1) }},
		{"member rank", "(3, 4, 2)", func() (*G.Node, error) { return ops.MemberMean(s.f64(3, 4, 2), 2, 0.5) }},
		{"loss batch", "(4)", func() (*G.Node, error) { return ops.SoftmaxCrossEntropy(s.f64(3, 5), s.f64(4)) }},
		{"loss rank", "(3, 1)", func() (*G.Node, error) { return ops.SoftmaxCrossEntropy(s.f64(3, 5), s.f64(3, 1)) }},
		{"weighted shapes", "(6)", func() (*G.Node, error) { return ops.WeightedSum(s.f64(2, 3), s.f64(6)) }},
		{"flatten leaf", "(2, 3, 4, 4)", func() (*G.Node, error) { return ops.Flatten(s.f64(2, 3, 4, 4)) }},
		{"flatten rank", "(4)", func() (*G.Node, error) {
			v, err := ops.ReLU(s.f64(4))
			if err != nil {
				return nil, err
			}
			return ops.Flatten(v)
		}},
		{"flatten ok", "", func() (*G.Node, error) { return ops.Flatten(relu) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("panicked: %v", r)
				}
			}()
			n, err := c.build()
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case c.want == "":
				if !n.Shape().Eq(tensor.Shape{2, 48}) {
					t.Fatalf("shape %v", n.Shape())
				}
			case err == nil:
				t.Fatalf("no error, got node %v", n)
			case !strings.Contains(err.Error(), c.want):
				t.Fatalf("error %q does not mention %q", err, c.want)
			}
		})
	}
}

// TestDistinctParametersDoNotMerge builds, in one graph and over the same
// inputs, ops that differ only in one parameter (equal output shapes): each
// must stay its own node with its own hash.
func TestDistinctParametersDoNotMerge(t *testing.T) {
	s := &shapes{g: G.NewGraph()}
	x, w := s.f64(1, 2, 4, 4), s.f64(2, 2, 1, 1)
	w3 := s.f64(2, 2, 3, 3)
	xb, c := s.f64(3, 2), []*G.Node{s.f64(2), s.f64(2), s.f64(2), s.f64(2)}
	wide := s.f64(3, 4)
	bn := func(cfg ops.BatchNormConfig) func() (*G.Node, error) {
		return func() (*G.Node, error) { return ops.BatchNorm(xb, c[0], c[1], c[2], c[3], cfg) }
	}
	conv := func(x, w *G.Node, cfg ops.ConvConfig) func() (*G.Node, error) {
		return func() (*G.Node, error) { return ops.GroupedConv2d(x, w, cfg) }
	}
	pairs := []struct {
		name string
		a, b func() (*G.Node, error)
	}{
		{"stride 2 vs 3", conv(x, w, ops.ConvConfig{Stride: [2]int{2, 2}}), conv(x, w, ops.ConvConfig{Stride: [2]int{3, 3}})},
		{"pad+dilation", conv(x, w3, ops.ConvConfig{Pad: [2]int{1, 1}}), conv(x, w3, ops.ConvConfig{Pad: [2]int{2, 2}, Dilation: [2]int{2, 2}})},
		{"bn training", bn(ops.BatchNormConfig{Eps: 1e-5, Momentum: 0.1, Training: true}), bn(ops.BatchNormConfig{Eps: 1e-5, Momentum: 0.1})},
		{"bn eps", bn(ops.BatchNormConfig{Eps: 1e-5, Momentum: 0.1}), bn(ops.BatchNormConfig{Eps: 1e-3, Momentum: 0.1})},
		{"bn momentum", bn(ops.BatchNormConfig{Eps: 1e-5, Momentum: 0.1, Training: true}), bn(ops.BatchNormConfig{Eps: 1e-5, Momentum: 0.2, Training: true})},
		{"member scale", func() (*G.Node, error) { return ops.MemberMean(wide, 2, 0.5) }, func() (*G.Node, error) { return ops.MemberMean(wide, 2, 0.7071) }},
		{"maxpool kernel+pad", func() (*G.Node, error) { return ops.MaxPool2d(x, ops.PoolConfig{Kernel: [2]int{2, 2}}) }, func() (*G.Node, error) {
			return ops.MaxPool2d(x, ops.PoolConfig{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Pad: [2]int{1, 1}})
		}},
		{"matmul vs blockdiag", func() (*G.Node, error) { return ops.MatMul(s.f64(3, 4), s.f64(4, 2)) }, func() (*G.Node, error) { return ops.BlockDiagMatMul(s.f64(3, 4), s.f64(1, 4, 2)) }},
	}
	for _, p := range pairs {
		t.Run(p.name, func(t *testing.T) {
			a, err := p.a()
			if err != nil {
				t.Fatal(err)
			}
			b, err := p.b()
			if err != nil {
				t.Fatal(err)
			}
			if a == b {
				t.Fatalf("%v and %v merged into one node", a.Op(), b.Op())
			}
			if a.Op().Hashcode() == b.Op().Hashcode() {
				t.Fatalf("%v and %v have equal hashes", a.Op(), b.Op())
			}
		})
	}
	again, err := pairs[0].a()
	if err != nil {
		t.Fatal(err)
	}
	if first, _ := pairs[0].a(); first != again {
		t.Fatalf("the same op over the same inputs did not merge")
	}
}

// TestLaunchChecksBuffers launches an op with wrong buffers: each is an error.
func TestLaunchChecksBuffers(t *testing.T) {
	s := &shapes{g: G.NewGraph()}
	y, err := ops.MatMul(s.f64(2, 3), s.f64(3, 4))
	if err != nil {
		t.Fatal(err)
	}
	l := y.Op().(device.Launcher)
	k := cpu.New(1)
	buf := func(n int) device.Buffer {
		b, err := cpu.Wrap(make([]float64, n))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	f32, err := cpu.Wrap(make([]float32, 6))
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Launch(k, []device.Buffer{buf(6), buf(12)}, buf(8)); err != nil {
		t.Fatalf("good buffers: %v", err)
	}
	for name, c := range map[string]struct {
		in  []device.Buffer
		out device.Buffer
	}{
		"arity":       {[]device.Buffer{buf(6)}, buf(8)},
		"input size":  {[]device.Buffer{buf(5), buf(12)}, buf(8)},
		"output size": {[]device.Buffer{buf(6), buf(12)}, buf(9)},
		"dtype":       {[]device.Buffer{f32, buf(12)}, buf(8)},
		"nil":         {[]device.Buffer{nil, buf(12)}, buf(8)},
	} {
		if err := l.Launch(k, c.in, c.out); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestBadLabelFailsAtRun checks that a label outside the classes is a run
// error, not a panic.
func TestBadLabelFailsAtRun(t *testing.T) {
	g, in, _ := graphOf(1, []leaf{param(2, 3), fixed(func(*rand.Rand) float64 { return 3 }, 2)})
	loss, err := ops.SoftmaxCrossEntropy(in[0], in[1])
	if err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err == nil {
		t.Fatalf("label 3 of 3 classes gave loss %v", loss.Value())
	}
}

// TestLaunchAllocatesNothing checks that Launch adds no allocation to the
// device kernels' own, as the executor launches every op each step.
func TestLaunchAllocatesNothing(t *testing.T) {
	s := &shapes{g: G.NewGraph()}
	y, err := ops.BlockDiagMatMul(s.f64(4, 6), s.f64(2, 3, 5))
	if err != nil {
		t.Fatal(err)
	}
	l := y.Op().(device.Launcher)
	k := cpu.New(1)
	defer k.Close()
	var in []device.Buffer
	for _, n := range []int{24, 30} {
		b, err := k.Alloc(tensor.Float64, n)
		if err != nil {
			t.Fatal(err)
		}
		in = append(in, b)
	}
	out, err := k.Alloc(tensor.Float64, 40)
	if err != nil {
		t.Fatal(err)
	}
	if allocs := testing.AllocsPerRun(20, func() {
		if err := l.Launch(k, in, out); err != nil {
			t.Fatal(err)
		}
	}); allocs != 0 {
		t.Errorf("%v allocations per Launch", allocs)
	}
}
