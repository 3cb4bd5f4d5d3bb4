package ntk

import (
	"math"
	"testing"

	"github.com/collegium/collegium/pkg/device/cpu"
	"github.com/collegium/collegium/pkg/models"
)

func compileSpec(t *testing.T, s mlpSpec) *Tangent {
	t.Helper()
	return compiled(t, s.build)
}

// TestKernelMatchesFiniteDifferences compares the kernel with J·Jᵀ for the
// Jacobian J of the logits taken by central differences.
func TestKernelMatchesFiniteDifferences(t *testing.T) {
	s := mlpSpec{m: 2, n: 3, depth: 2, d: 4, k: 3, relu: true, scale: 0.5, std: math.Sqrt2}
	net, err := s.build()
	if err != nil {
		t.Fatal(err)
	}
	// Parameters come from vals, so that single entries can be nudged.
	vals := make([][]float64, len(net.Params))
	for i := range net.Params {
		vals[i] = net.Params[i].Init(5)
		net.Params[i].Init = func(uint64) []float64 { return vals[i] }
	}
	tg, err := Compile(net, cpu.New(1))
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	inputs := randomInputs(3, s.d, 1)
	// jac[k][i] is ∂f_k(x_i)/∂θ, flattened in Params order.
	jac := make([][][]float64, s.k)
	for k := range jac {
		jac[k] = make([][]float64, len(inputs))
	}
	const h = 1e-6
	for p := range vals {
		for e := range vals[p] {
			orig := vals[p][e]
			var outs [2][][]float64
			for side, d := range []float64{h, -h} {
				vals[p][e] = orig + d
				if err := tg.Init(0); err != nil {
					t.Fatal(err)
				}
				for _, x := range inputs {
					o, err := tg.Output(x)
					if err != nil {
						t.Fatal(err)
					}
					outs[side] = append(outs[side], o)
				}
			}
			vals[p][e] = orig
			for k := range s.k {
				for i := range inputs {
					jac[k][i] = append(jac[k][i], (outs[0][i][k]-outs[1][i][k])/(2*h))
				}
			}
		}
	}
	if err := tg.Init(0); err != nil {
		t.Fatal(err)
	}
	trace := make([]float64, len(inputs)*len(inputs))
	for k := range s.k {
		got, err := Empirical(tg, inputs, Output{Logit: k})
		if err != nil {
			t.Fatal(err)
		}
		want := Gram(jac[k])
		assertClose(t, "logit", got, want, 1e-6)
		for i := range trace {
			trace[i] += want[i]
		}
	}
	got, err := Empirical(tg, inputs, Output{Trace: true})
	if err != nil {
		t.Fatal(err)
	}
	assertClose(t, "trace", got, trace, 1e-6)
	// The summed logits have the Jacobian Σ_k J_k.
	sum := make([][]float64, len(inputs))
	for i := range inputs {
		sum[i] = make([]float64, len(jac[0][i]))
		for k := range s.k {
			for p, v := range jac[k][i] {
				sum[i][p] += v
			}
		}
	}
	got, err = Empirical(tg, inputs, Output{Sum: true})
	if err != nil {
		t.Fatal(err)
	}
	assertClose(t, "sum", got, Gram(sum), 1e-6)
}

// TestKernelMatchesLinearClosedForm checks a linear CE f_k(x) =
// c·Σ_j v_jkᵀ·W_j·x, whose kernel is exactly
// K_k(x, x') = c²·Σ_j [(W_j x)·(W_j x') + ‖v_jk‖²·(x·x')].
func TestKernelMatchesLinearClosedForm(t *testing.T) {
	s := mlpSpec{m: 3, n: 4, depth: 1, d: 5, k: 2, scale: 0.3, std: 1}
	tg := compileSpec(t, s)
	const seed = 9
	if err := tg.Init(seed); err != nil {
		t.Fatal(err)
	}
	w := models.Gaussian(s.d*s.m*s.n, s.std/math.Sqrt(float64(s.d)), seed, 1) // (d, m·n)
	v := models.Gaussian(s.m*s.n*s.k, s.std/math.Sqrt(float64(s.n)), seed, 2) // (m, n, k)
	inputs := randomInputs(4, s.d, 2)
	hidden := func(x []float64, j, u int) float64 { // (W_j x)_u
		var h float64
		for a := range s.d {
			h += x[a] * w[a*s.m*s.n+j*s.n+u]
		}
		return h
	}
	closed := func(k int) []float64 {
		b := len(inputs)
		out := make([]float64, b*b)
		for i, x := range inputs {
			for l, y := range inputs {
				var dot, kk float64
				for a := range s.d {
					dot += x[a] * y[a]
				}
				for j := range s.m {
					for u := range s.n {
						kk += hidden(x, j, u) * hidden(y, j, u)
						vv := v[(j*s.n+u)*s.k+k]
						kk += vv * vv * dot
					}
				}
				out[i*b+l] = s.scale * s.scale * kk
			}
		}
		return out
	}
	trace := make([]float64, len(inputs)*len(inputs))
	for k := range s.k {
		got, err := Empirical(tg, inputs, Output{Logit: k})
		if err != nil {
			t.Fatal(err)
		}
		want := closed(k)
		assertClose(t, "linear logit", got, want, 1e-10)
		for i := range want {
			trace[i] += want[i]
		}
	}
	got, err := Empirical(tg, inputs, Output{Trace: true})
	if err != nil {
		t.Fatal(err)
	}
	assertClose(t, "linear trace", got, trace, 1e-10)
}

func TestGradientRejectsBadArguments(t *testing.T) {
	tg := compileSpec(t, mlpSpec{m: 1, n: 2, depth: 1, d: 3, k: 2, scale: 1, std: 1})
	if err := tg.Gradient(make([]float64, 2), 0, make([]float64, tg.NumParams())); err == nil {
		t.Error("short input accepted")
	}
	if err := tg.Gradient(make([]float64, 3), 2, make([]float64, tg.NumParams())); err == nil {
		t.Error("output index out of range accepted")
	}
}

func assertClose(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d entries, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Abs(got[i]-want[i]) > tol*math.Max(1, math.Abs(want[i])) {
			t.Errorf("%s[%d] = %.10g, want %.10g", what, i, got[i], want[i])
		}
	}
}
