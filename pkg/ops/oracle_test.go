package ops_test

import (
	"fmt"
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/collegium/collegium/pkg/ops"
	"github.com/collegium/collegium/pkg/ops/opstest"
)

// run executes a graph once and returns the values of the nodes as float64s.
func run(t *testing.T, g *G.ExprGraph, nodes ...*G.Node) [][]float64 {
	t.Helper()
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	out := make([][]float64, len(nodes))
	for i, n := range nodes {
		out[i] = opstest.Float64s(n.Value())
	}
	return out
}

// gorgoniaCost is Σ y⊙r in gorgonia's own ops, the oracle's WeightedSum.
func gorgoniaCost(y, r *G.Node) (*G.Node, error) {
	p, err := G.HadamardProd(y, r)
	if err != nil {
		return nil, err
	}
	return G.Sum(p)
}

// valueAndGrads adds the cost(y, r) for a seeded random r, differentiates it
// with respect to wrt, runs g and returns y's value then the gradients'.
func valueAndGrads(t *testing.T, y *G.Node, cost func(y, r *G.Node) (*G.Node, error), wrt ...*G.Node) [][]float64 {
	t.Helper()
	c, err := cost(y, randomLike(y, "r", 9))
	if err != nil {
		t.Fatal(err)
	}
	grads, err := G.Grad(c, wrt...)
	if err != nil {
		t.Fatal(err)
	}
	return run(t, y.Graph(), append(G.Nodes{y}, grads...)...)
}

func assertClose(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-9*(1+math.Abs(want[i])) {
			t.Fatalf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

// TestBlockDiagMatMulEqualsDenseMul compares BlockDiagMatMul, forward and
// gradients, with G.Mul by the dense block-diagonal weight.
func TestBlockDiagMatMulEqualsDenseMul(t *testing.T) {
	for i, tc := range []struct{ batch, members, in, out int }{{3, 1, 4, 2}, {2, 3, 2, 4}, {1, 4, 3, 3}, {5, 2, 1, 3}} {
		t.Run(fmt.Sprintf("B%d-m%d-%dx%d", tc.batch, tc.members, tc.in, tc.out), func(t *testing.T) {
			m, din, dout := tc.members, tc.in, tc.out
			_, in, data := graphOf(uint64(i), []leaf{param(tc.batch, m*din), param(m, din, dout)})
			y, err := ops.BlockDiagMatMul(in[0], in[1])
			if err != nil {
				t.Fatal(err)
			}
			got := valueAndGrads(t, y, ops.WeightedSum, in...)

			dense := make([]float64, m*din*m*dout)
			for k := range m {
				for a := range din {
					for b := range dout {
						dense[(k*din+a)*m*dout+k*dout+b] = data[1][(k*din+a)*dout+b]
					}
				}
			}
			oracle := G.NewGraph()
			x := newLeaf(oracle, "x", in[0].Shape(), append([]float64(nil), data[0]...))
			w := newLeaf(oracle, "w", tensor.Shape{m * din, m * dout}, dense)
			oy, err := G.Mul(x, w)
			if err != nil {
				t.Fatal(err)
			}
			want := valueAndGrads(t, oy, gorgoniaCost, x, w)

			assertClose(t, "y", got[0], want[0])
			assertClose(t, "dx", got[1], want[1])
			var diag []float64
			for k := range m {
				for a := range din {
					row := (k*din + a) * m * dout
					diag = append(diag, want[2][row+k*dout:row+(k+1)*dout]...)
				}
			}
			assertClose(t, "dw", got[2], diag)
		})
	}
}

// TestGroupedConv2dEqualsGorgoniaConv compares GroupedConv2d, forward and
// gradients, with g independent G.Conv2d over the groups' channel slices,
// concatenated along channels (for g = 1, with G.Conv2d itself). The slices
// are fed as separate leaves so that no leaf is reshaped (gorgonia #511).
func TestGroupedConv2dEqualsGorgoniaConv(t *testing.T) {
	for i, c := range convCases() {
		t.Run(c.name, func(t *testing.T) {
			groups := max(1, c.cfg.Groups)
			_, in, data := graphOf(uint64(i), c.leaves())
			y, err := ops.GroupedConv2d(in[0], in[1], c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			got := valueAndGrads(t, y, ops.WeightedSum, in...)

			cg, og := c.c/groups, c.o/groups
			kernel := tensor.Shape{c.kh, c.kw}
			oracle := G.NewGraph()
			var xs, ws, ys []*G.Node
			for j := range groups {
				x := newLeaf(oracle, fmt.Sprintf("x%d", j), tensor.Shape{c.n, cg, c.h, c.w}, channelSlice(data[0], c.n, c.c, c.h*c.w, j*cg, cg))
				w := newLeaf(oracle, fmt.Sprintf("w%d", j), tensor.Shape{og, cg, c.kh, c.kw}, append([]float64(nil), data[1][j*og*cg*c.kh*c.kw:(j+1)*og*cg*c.kh*c.kw]...))
				y, err := G.Conv2d(x, w, kernel, pair(c.cfg.Pad, 0), pair(c.cfg.Stride, 1), pair(c.cfg.Dilation, 1))
				if err != nil {
					t.Fatal(err)
				}
				xs, ws, ys = append(xs, x), append(ws, w), append(ys, y)
			}
			oy := ys[0]
			if groups > 1 {
				if oy, err = G.Concat(1, ys...); err != nil {
					t.Fatal(err)
				}
			}
			want := valueAndGrads(t, oy, gorgoniaCost, append(xs, ws...)...)

			assertClose(t, "y", got[0], want[0])
			for j := range groups {
				assertClose(t, fmt.Sprintf("dx group %d", j), channelSlice(got[1], c.n, c.c, c.h*c.w, j*cg, cg), want[1+j])
				size := og * cg * c.kh * c.kw
				assertClose(t, fmt.Sprintf("dw group %d", j), got[2][j*size:(j+1)*size], want[1+groups+j])
			}
		})
	}
}

// channelSlice copies channels [from, from+count) of an (n, c, spatial) array.
func channelSlice(d []float64, n, c, spatial, from, count int) []float64 {
	var out []float64
	for i := range n {
		start := (i*c + from) * spatial
		out = append(out, d[start:start+count*spatial]...)
	}
	return out
}

// pair turns a config pair into gorgonia's slice, zeros becoming def.
func pair(v [2]int, def int) []int {
	out := []int{v[0], v[1]}
	for i := range out {
		if out[i] == 0 {
			out[i] = def
		}
	}
	return out
}

// TestMaxPool2dEqualsGorgoniaMaxPool compares MaxPool2d, forward and
// gradient, with G.MaxPool2D, whose padding (padded positions never win, as
// −∞) and tie rule (the first strict maximum) are PyTorch's too.
func TestMaxPool2dEqualsGorgoniaMaxPool(t *testing.T) {
	for i, c := range poolCases() {
		t.Run(c.name, func(t *testing.T) {
			_, in, data := graphOf(uint64(i), []leaf{param(c.shape...)})
			y, err := ops.MaxPool2d(in[0], c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			got := valueAndGrads(t, y, ops.WeightedSum, in[0])

			oracle := G.NewGraph()
			x := newLeaf(oracle, "x", c.shape, append([]float64(nil), data[0]...))
			stride := c.cfg.Stride
			for j, s := range stride {
				if s == 0 {
					stride[j] = c.cfg.Kernel[j]
				}
			}
			oy, err := G.MaxPool2D(x, tensor.Shape{c.cfg.Kernel[0], c.cfg.Kernel[1]}, c.cfg.Pad[:], stride[:])
			if err != nil {
				t.Fatal(err)
			}
			want := valueAndGrads(t, oy, gorgoniaCost, x)

			assertClose(t, "y", got[0], want[0])
			assertClose(t, "dx", got[1], want[1])
		})
	}
}
