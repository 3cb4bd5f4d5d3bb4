package ntk

import (
	"math"
	"math/rand/v2"
	"testing"
)

// synthetic draws y = law(x; p) with 1% Gaussian noise.
func synthetic(law Law, p []float64, xs []float64, seed uint64) (ys, ses []float64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	for _, x := range xs {
		y := law.Eval(x, p)
		se := 0.01 * y
		ys = append(ys, y+se*rng.NormFloat64())
		ses = append(ses, se)
	}
	return ys, ses
}

func TestFitLawRecoversParameters(t *testing.T) {
	xs := []float64{1, 2, 4, 8, 16, 32, 64}
	cases := []struct {
		law Law
		p   []float64
	}{
		{InverseWidth, []float64{0.4}},
		{InverseQuadratic, []float64{0.4, 0.3}},
		{ExpInverse, []float64{2.5}},
		{PowerLaw, []float64{0.7, 0.8}},
		{InverseWidthFloor, []float64{0.4, 0.05}},
	}
	for _, c := range cases {
		ys, ses := synthetic(c.law, c.p, xs, 7)
		f, err := FitLaw(c.law, xs, ys, ses)
		if err != nil {
			t.Fatalf("%s: %v", c.law.Name, err)
		}
		for i, want := range c.p {
			if d := math.Abs(f.Params[i] - want); d > 4*f.ParamSE[i]+1e-9 || d > 0.05*math.Abs(want)+0.02 {
				t.Errorf("%s: %s = %g ± %g, want %g", c.law.Name, c.law.Params[i], f.Params[i], f.ParamSE[i], want)
			}
		}
		if f.WSSE > 3*float64(len(xs)) {
			t.Errorf("%s: WSSE %g too large for %d points", c.law.Name, f.WSSE, len(xs))
		}
	}
}

func TestFitAllPrefersTrueLaw(t *testing.T) {
	xs := []float64{1, 2, 3, 4, 6, 8, 12, 16, 24, 32}
	ys, ses := synthetic(ExpInverse, []float64{3}, xs, 3)
	fits, err := FitAll(WidthLaws, xs, ys, ses)
	if err != nil {
		t.Fatal(err)
	}
	if fits[0].Law != ExpInverse.Name {
		t.Errorf("best law %s (AIC %g), want %s", fits[0].Law, fits[0].AIC, ExpInverse.Name)
	}
	for i := 1; i < len(fits); i++ {
		if fits[i].AIC < fits[i-1].AIC {
			t.Errorf("fits not sorted by AIC: %v", fits)
		}
	}
}

func TestFitRejectsBadData(t *testing.T) {
	if _, err := FitLaw(InverseWidth, []float64{1, 2}, []float64{1, 2}, []float64{0, 1}); err == nil {
		t.Error("zero standard error accepted")
	}
	if _, err := FitLaw(PowerLaw, []float64{1}, []float64{1}, []float64{1}); err == nil {
		t.Error("one point accepted for two parameters")
	}
	if _, err := FitLaw(InverseWidth, []float64{1, 2}, []float64{1}, []float64{1, 1}); err == nil {
		t.Error("mismatched lengths accepted")
	}
}

func TestLogLogSlope(t *testing.T) {
	xs := []float64{1, 2, 4, 8, 16, 32}
	var ys, ses []float64
	for _, x := range xs {
		ys = append(ys, 0.8*math.Pow(x, -1))
		ses = append(ses, 0.01*0.8/x)
	}
	s, err := LogLogSlope(xs, ys, ses)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(s.Slope+1) > 1e-12 || math.Abs(math.Exp(s.Intercept)-0.8) > 1e-12 {
		t.Errorf("slope %g intercept %g, want −1 and ln 0.8", s.Slope, s.Intercept)
	}
	if s.SE <= 0 {
		t.Errorf("slope SE %g", s.SE)
	}
}

func TestSummarizeKnownMoments(t *testing.T) {
	// Kernel entries K = μ·(1 + ε) with ε ~ N(0, σ²): V = σ².
	rng := rand.New(rand.NewPCG(11, 2))
	const n, b, sigma = 4000, 3, 0.3
	s := Samples{Inputs: b}
	for range n {
		k := make([]float64, b*b)
		for i := range b {
			for j := range b {
				mu := 1.0
				if i != j {
					mu = 0.5
				}
				k[i*b+j] = mu * (1 + sigma*rng.NormFloat64())
			}
		}
		s.Kernels = append(s.Kernels, k)
	}
	sum, err := Summarize(s, SummaryConfig{Resamples: 200, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for name, e := range map[string]Estimate{"diag": sum.VDiag, "off": sum.VOff} {
		if math.Abs(e.Value-sigma*sigma) > 4*e.SE || e.Lo > e.Value || e.Hi < e.Value {
			t.Errorf("%s: V %g ± %g [%g, %g], want %g", name, e.Value, e.SE, e.Lo, e.Hi, sigma*sigma)
		}
	}
	again, _ := Summarize(s, SummaryConfig{Resamples: 200, Seed: 1})
	if again != sum {
		t.Error("bootstrap not reproducible with the same seed")
	}
	if _, err := Summarize(Samples{Inputs: 2, Kernels: [][]float64{{1, 2, 3, 4}}}, SummaryConfig{Resamples: 10}); err == nil {
		t.Error("one sample accepted")
	}
}
