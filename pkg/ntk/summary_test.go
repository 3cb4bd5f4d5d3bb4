package ntk

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestJackknifeMatchesDelta: for i.i.d. draws the delete-one jackknife SE
// of V = s²/x̄² agrees with the delta-method SE computed from the sample
// moments, √(μ4/σ⁴ − 1 + 4V − 4μ3/(σ·x̄)·√V... ) written out below, and the
// blocked jackknife agrees with the unblocked one.
func TestJackknifeMatchesDelta(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	const n = 4000
	s := Samples{Inputs: 1}
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = gamma(r, 3)
		s.Kernels = append(s.Kernels, []float64{xs[i]})
	}
	var mean float64
	for _, x := range xs {
		mean += x
	}
	mean /= n
	var m2, m3, m4 float64
	for _, x := range xs {
		d := x - mean
		m2 += d * d / n
		m3 += d * d * d / n
		m4 += d * d * d * d / n
	}
	// V = m2/μ²: gradient (1/μ², −2·m2/μ³) in (m2, μ); Var(m2) ≈ (m4 −
	// m2²)/n, Var(μ) = m2/n, Cov(m2, μ) = m3/n.
	g1, g2 := 1/(mean*mean), -2*m2/(mean*mean*mean)
	delta := math.Sqrt((g1*g1*(m4-m2*m2) + g2*g2*m2 + 2*g1*g2*m3) / n)
	one, _ := jackknife(s, n)
	blocked, _ := jackknife(s, 64)
	if math.Abs(one-delta) > 0.05*delta {
		t.Errorf("delete-one jackknife SE %g, delta method %g", one, delta)
	}
	if math.Abs(blocked-one) > 0.3*one {
		t.Errorf("64-block jackknife SE %g far from delete-one %g", blocked, one)
	}
}

// TestCoverageOfTheSE draws replicate experiments from distributions of
// known V and checks how often V̂ ± 1.96·SE covers it: close to 95% for
// light tails (gamma) and for the mildest log-normal, lower but still most
// of the time for a Pareto tail with a finite fourth moment. A wrong SE
// (half the jackknife's) must fail the same check.
func TestCoverageOfTheSE(t *testing.T) {
	cases := []struct {
		d   Distribution
		min float64
	}{
		{GammaDist(4), 0.91},
		{LogNormalDist(0.5), 0.86},
		{ParetoDist(6), 0.75},
	}
	for _, c := range cases {
		for _, rule := range []Sampling{FixedSampling(256), {Min: 64, Max: 1024, Block: 32, RelSE: 0.10}} {
			res, err := Coverage(c.d, rule, 200, 1)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s, %s: jackknife %.1f%%, bootstrap %.1f%%, mean n %.0f, spread/SE %.2f", c.d.Name, rule, 100*res.Jack, 100*res.Boot, res.MeanN, res.SpreadOverSE)
			if res.Jack < c.min {
				t.Errorf("%s, %s: jackknife coverage %.1f%% < %.0f%%", c.d.Name, rule, 100*res.Jack, 100*c.min)
			}
			if res.Jack > 0.995 {
				t.Errorf("%s, %s: jackknife coverage %.1f%%: the SE is far too wide", c.d.Name, rule, 100*res.Jack)
			}
		}
	}
	// Power of the check: halving the SE on light tails drops coverage to
	// about 68%, well below the bar.
	r := rand.New(rand.NewPCG(3, 3))
	d := GammaDist(4)
	hit := 0
	for range 200 {
		s := Samples{Inputs: 1}
		for range 256 {
			s.Kernels = append(s.Kernels, []float64{d.Draw(r)})
		}
		sum, err := Summarize(s, SummaryConfig{Resamples: 10, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(sum.VDiag.Value-d.V) <= 1.96*sum.VDiag.SE/2 {
			hit++
		}
	}
	if float64(hit)/200 >= 0.91 {
		t.Errorf("half the SE still covers %d of 200: the coverage check has no power", hit)
	}
}

// TestTailDiagnostics: a sample with one huge draw reports it.
func TestTailDiagnostics(t *testing.T) {
	s := Samples{Inputs: 1}
	for i := range 99 {
		s.Kernels = append(s.Kernels, []float64{1 + 0.01*float64(i%3)})
	}
	s.Kernels = append(s.Kernels, []float64{100})
	sum, err := Summarize(s, SummaryConfig{Resamples: 20, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	tl := sum.Tail
	if tl.TopShare < 0.95 || tl.MaxOverMedian < 90 || tl.Kurtosis < 50 {
		t.Errorf("one draw of 100 among ~1s: tail %+v", tl)
	}
	if sum.Halves == nil || math.Abs(sum.Halves.Z) < 1 || sum.Halves.Second.Value < 10*sum.Halves.First.Value {
		t.Errorf("split-half check missed the outlier in the second half: %+v", sum.Halves)
	}
	// Log-normal draws: V_lognormal estimates exp(σ²) − 1.
	r := rand.New(rand.NewPCG(1, 2))
	d := LogNormalDist(0.4)
	ln := Samples{Inputs: 1}
	for range 20000 {
		ln.Kernels = append(ln.Kernels, []float64{d.Draw(r)})
	}
	if got := tailOf(ln).VLogNormal; math.Abs(got-d.V) > 0.02*d.V {
		t.Errorf("V_lognormal %g, want %g", got, d.V)
	}
}
