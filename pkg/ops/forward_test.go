package ops_test

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/collegium/collegium/pkg/ops"
)

// TestForwardValues checks each op's output against a direct computation,
// so that a layout mistake in an op's parameters cannot hide behind a
// gradient that merely agrees with the forward pass.
func TestForwardValues(t *testing.T) {
	cases := []struct {
		name   string
		leaves []leaf
		build  func(in []*G.Node) (*G.Node, error)
		want   func(d [][]float64) []float64
	}{
		{"BiasAdd (N,C,H,W)", []leaf{param(2, 3, 2, 2), param(3)},
			func(in []*G.Node) (*G.Node, error) { return ops.BiasAdd(in[0], in[1]) },
			func(d [][]float64) []float64 {
				out := make([]float64, len(d[0]))
				for i := range out {
					out[i] = d[0][i] + d[1][i/4%3]
				}
				return out
			}},
		{"BiasAdd (B,C)", []leaf{param(4, 3), param(3)},
			func(in []*G.Node) (*G.Node, error) { return ops.BiasAdd(in[0], in[1]) },
			func(d [][]float64) []float64 {
				out := make([]float64, len(d[0]))
				for i := range out {
					out[i] = d[0][i] + d[1][i%3]
				}
				return out
			}},
		{"ReLU", []leaf{param(3, 4)},
			func(in []*G.Node) (*G.Node, error) { return ops.ReLU(in[0]) },
			func(d [][]float64) []float64 {
				out := make([]float64, len(d[0]))
				for i, v := range d[0] {
					out[i] = max(v, 0)
				}
				return out
			}},
		{"GlobalAvgPool", []leaf{param(2, 3, 2, 3)},
			func(in []*G.Node) (*G.Node, error) { return ops.GlobalAvgPool(in[0]) },
			func(d [][]float64) []float64 {
				out := make([]float64, 6)
				for i, v := range d[0] {
					out[i/6] += v / 6
				}
				return out
			}},
		{"Add", []leaf{param(2, 3), param(2, 3)},
			func(in []*G.Node) (*G.Node, error) { return ops.Add(in[0], in[1]) },
			func(d [][]float64) []float64 {
				out := make([]float64, 6)
				for i := range out {
					out[i] = d[0][i] + d[1][i]
				}
				return out
			}},
		{"MemberMean", []leaf{param(2, 6)},
			func(in []*G.Node) (*G.Node, error) { return ops.MemberMean(in[0], 3, 0.5) },
			func(d [][]float64) []float64 {
				out := make([]float64, 4)
				for b := range 2 {
					for j := range 2 {
						for k := range 3 {
							out[b*2+j] += 0.5 * d[0][b*6+k*2+j]
						}
					}
				}
				return out
			}},
		{"SoftmaxCrossEntropy", []leaf{param(3, 4), fixed(classes(4), 3)},
			func(in []*G.Node) (*G.Node, error) { return ops.SoftmaxCrossEntropy(in[0], in[1]) },
			func(d [][]float64) []float64 {
				loss := 0.0
				for b := range 3 {
					row := d[0][b*4 : b*4+4]
					sum := 0.0
					for _, v := range row {
						sum += math.Exp(v)
					}
					loss += (math.Log(sum) - row[int(d[1][b])]) / 3
				}
				return []float64{loss}
			}},
		{"WeightedSum", []leaf{param(2, 3), param(2, 3)},
			func(in []*G.Node) (*G.Node, error) { return ops.WeightedSum(in[0], in[1]) },
			func(d [][]float64) []float64 {
				s := 0.0
				for i := range d[0] {
					s += d[0][i] * d[1][i]
				}
				return []float64{s}
			}},
		{"Flatten", []leaf{param(2, 3, 2)},
			func(in []*G.Node) (*G.Node, error) {
				h, err := ops.Add(in[0], in[0])
				if err != nil {
					return nil, err
				}
				return ops.Flatten(h)
			},
			func(d [][]float64) []float64 {
				out := make([]float64, len(d[0]))
				for i, v := range d[0] {
					out[i] = 2 * v
				}
				return out
			}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, in, data := graphOf(uint64(i), c.leaves)
			y, err := c.build(in)
			if err != nil {
				t.Fatal(err)
			}
			assertClose(t, "y", run(t, g, y)[0], c.want(data))
		})
	}
}

// TestBatchNormForward checks the normalisation and the running statistics
// in both modes against PyTorch's rules: training normalises by the batch
// mean and biased variance and moves the running stats toward the batch
// mean and unbiased variance; eval normalises by the running stats and
// leaves them alone.
func TestBatchNormForward(t *testing.T) {
	const n, c, hw, eps, mom = 3, 2, 4, 1e-5, 0.25
	positive := func(r *rand.Rand) float64 { return 0.5 + r.Float64() }
	for _, training := range []bool{true, false} {
		g, in, d := graphOf(3, []leaf{param(n, c, 2, 2), param(c), param(c), fixed(nil, c), fixed(positive, c)})
		oldMean, oldVar := append([]float64(nil), d[3]...), append([]float64(nil), d[4]...)
		y, err := ops.BatchNorm(in[0], in[1], in[2], in[3], in[4], ops.BatchNormConfig{Eps: eps, Momentum: mom, Training: training})
		if err != nil {
			t.Fatal(err)
		}
		got := run(t, g, y)[0]
		want := make([]float64, len(d[0]))
		for ch := range c {
			var vals []float64
			for b := range n {
				vals = append(vals, d[0][(b*c+ch)*hw:(b*c+ch+1)*hw]...)
			}
			mean, sq := 0.0, 0.0
			for _, v := range vals {
				mean += v / float64(len(vals))
			}
			for _, v := range vals {
				sq += (v - mean) * (v - mean)
			}
			variance := sq / float64(len(vals))
			wantMean, wantVar := oldMean[ch], oldVar[ch]
			if training {
				wantMean = (1-mom)*oldMean[ch] + mom*mean
				wantVar = (1-mom)*oldVar[ch] + mom*sq/float64(len(vals)-1)
			} else {
				mean, variance = oldMean[ch], oldVar[ch]
			}
			if math.Abs(d[3][ch]-wantMean) > 1e-12 || math.Abs(d[4][ch]-wantVar) > 1e-12 {
				t.Errorf("training=%v channel %d: running mean, var %v, %v; want %v, %v", training, ch, d[3][ch], d[4][ch], wantMean, wantVar)
			}
			for b := range n {
				for i := range hw {
					j := (b*c+ch)*hw + i
					want[j] = d[1][ch]*(d[0][j]-mean)/math.Sqrt(variance+eps) + d[2][ch]
				}
			}
		}
		assertClose(t, "y", got, want)
	}
}

// TestScalarShapes checks that scalar-valued ops produce gorgonia scalars,
// which G.Grad needs of a cost.
func TestScalarShapes(t *testing.T) {
	g, in, _ := graphOf(1, []leaf{param(2, 3), param(2, 3)})
	y, err := ops.WeightedSum(in[0], in[1])
	if err != nil {
		t.Fatal(err)
	}
	if !y.IsScalar() || y.Dtype() != tensor.Float64 {
		t.Fatalf("WeightedSum gives %v of type %v", y.Shape(), y.Type())
	}
	run(t, g, y)
	if _, ok := y.Value().(*G.F64); !ok {
		t.Fatalf("WeightedSum's value is %T, want *G.F64", y.Value())
	}
}
