package ntk

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// TestMonteCarloLinearVariance: for a linear CE with i.i.d. N(0, σ²) first
// layer and readout, K(x, x) = c²σ²‖x‖²·χ²(2nm), so V_diag = 1/(n·m).
func TestMonteCarloLinearVariance(t *testing.T) {
	inputs := randomInputs(3, 6, 4)
	for _, m := range []int{1, 2} {
		s := mlpSpec{m: m, n: 4, depth: 1, d: 6, k: 1, scale: 1 / float64(m), std: 1}
		samples, err := MonteCarlo(s.build, inputs, MonteCarloConfig{Samples: 3000, Seed: 1, Device: oneThreadCPU, Output: Output{}})
		if err != nil {
			t.Fatal(err)
		}
		sum, err := Summarize(samples, SummaryConfig{Resamples: 100, Seed: 2})
		if err != nil {
			t.Fatal(err)
		}
		want := 1 / float64(s.n*m)
		if math.Abs(sum.VDiag.Value-want) > 4*sum.VDiag.SE {
			t.Errorf("m=%d: V_diag %g ± %g, want %g", m, sum.VDiag.Value, sum.VDiag.SE, want)
		}
	}
}

func TestMonteCarloIndependentOfWorkers(t *testing.T) {
	s := mlpSpec{m: 2, n: 3, depth: 2, d: 4, k: 2, relu: true, scale: 0.5, std: math.Sqrt2}
	inputs := randomInputs(2, 4, 1)
	var runs []Samples
	for _, w := range []int{1, 3} {
		r, err := MonteCarlo(s.build, inputs, MonteCarloConfig{Samples: 20, Seed: 7, Workers: w, Device: oneThreadCPU, Output: Output{Trace: true}})
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r)
	}
	for i := range runs[0].Kernels {
		if !slices.Equal(runs[0].Kernels[i], runs[1].Kernels[i]) {
			t.Fatalf("sample %d differs between 1 and 3 workers", i)
		}
	}
	if slices.Equal(runs[0].Kernels[0], runs[0].Kernels[1]) {
		t.Error("samples 0 and 1 are equal: seeds not varied")
	}
	if _, err := MonteCarlo(s.build, inputs, MonteCarloConfig{Samples: 1, Device: oneThreadCPU}); err == nil {
		t.Error("one sample accepted")
	}
	if _, err := MonteCarlo(s.build, inputs, MonteCarloConfig{Samples: 2}); err == nil || !strings.Contains(err.Error(), "no device") {
		t.Errorf("no device: err %v", err)
	}
}
