package ntk

import (
	"math"
	"math/rand/v2"
	"strings"
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
		{HaninNica(10.5), []float64{0.3}},
		{ScaledExp, []float64{0.5, 3}},
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
	hn := HaninNica(3)
	ys, ses := synthetic(hn, []float64{1}, xs, 3)
	fits, err := FitAll(WidthLaws(3), xs, ys, ses)
	if err != nil {
		t.Fatal(err)
	}
	if fits[0].Law != hn.Name && fits[0].Law != ScaledExp.Name {
		t.Errorf("best law %s (AIC %g), want %s or its scaled form", fits[0].Law, fits[0].AIC, hn.Name)
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
	if again.VDiag != sum.VDiag || again.VOff != sum.VOff || *again.Halves != *sum.Halves {
		t.Error("bootstrap not reproducible with the same seed")
	}
	if _, err := Summarize(Samples{Inputs: 2, Kernels: [][]float64{{1, 2, 3, 4}}}, SummaryConfig{Resamples: 10}); err == nil {
		t.Error("one sample accepted")
	}
}

// TestSelectLawByHeldOutPrediction: on data drawn from each law, the
// held-out choice is that law (or one that predicts it as well), every
// law gets a finite score, and the reason names the choice.
func TestSelectLawByHeldOutPrediction(t *testing.T) {
	xs := []float64{1, 2, 3, 4, 6, 8, 12, 16, 32, 64}
	laws := WidthLaws(10.5)
	for _, c := range []struct {
		law Law
		p   []float64
	}{
		{InverseWidth, []float64{5}},
		{PowerLaw, []float64{4, 0.6}},
		{InverseWidthFloor, []float64{5, 0.2}},
		{HaninNica(10.5), []float64{0.3}},
	} {
		ys, ses := synthetic(c.law, c.p, xs, 11)
		sel, err := SelectLaw(laws, xs, ys, ses)
		if err != nil {
			t.Fatal(err)
		}
		best := sel.Fits[0]
		var truth Fit
		for _, f := range sel.Fits {
			if f.Law == c.law.Name {
				truth = f
			}
			if math.IsNaN(f.CV) {
				t.Errorf("%s: law %s scored NaN", c.law.Name, f.Law)
			}
		}
		if best.Law != c.law.Name && best.CV > 0.8*truth.CV {
			t.Errorf("data from %s: chose %s (CV %g), true law CV %g", c.law.Name, best.Law, best.CV, truth.CV)
		}
		if truth.CV > 3 {
			t.Errorf("data from %s: its own held-out z² is %g, want about 1", c.law.Name, truth.CV)
		}
		if !strings.Contains(sel.Reason, best.Law) {
			t.Errorf("reason %q does not name %s", sel.Reason, best.Law)
		}
	}
}

// TestLeaveOneOutByHand: for a/n with equal SEs the fit of the other
// points is a = Σ y x⁻¹ / Σ x⁻², so the held-out score can be computed by
// hand; and the fit's propagated SE at x is x⁻¹·SE(a).
func TestLeaveOneOutByHand(t *testing.T) {
	xs := []float64{1, 2, 4}
	ys := []float64{1.1, 0.45, 0.27}
	ses := []float64{0.1, 0.1, 0.1}
	var want float64
	for i := range xs {
		var num, den float64
		for j := range xs {
			if j != i {
				num += ys[j] / xs[j]
				den += 1 / (xs[j] * xs[j])
			}
		}
		z := (ys[i] - num/den/xs[i]) / ses[i]
		want += z * z / 3
	}
	if got := leaveOneOut(InverseWidth, xs, ys, ses); math.Abs(got-want) > 1e-6*want {
		t.Errorf("leave-one-out score %g, want %g", got, want)
	}
	f, err := FitLaw(InverseWidth, xs, ys, ses)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.EvalSE(4); math.Abs(got-f.ParamSE[0]/4) > 1e-6*got {
		t.Errorf("SE of a/n at 4: %g, want %g", got, f.ParamSE[0]/4)
	}
	if s := f.Score(xs, ys, ses); math.Abs(s-f.WSSE/3) > 1e-9 {
		t.Errorf("score on the fitted points %g, want WSSE/3 = %g", s, f.WSSE/3)
	}
	if got := leaveOneOut(PowerLaw, xs[:2], ys[:2], ses[:2]); !math.IsInf(got, 1) {
		t.Errorf("two points for a two-parameter law scored %g, want +Inf", got)
	}
}

// TestModelAverage: weights sum to 1 and follow the held-out scores; the
// average lies between the laws and its SE covers their spread.
func TestModelAverage(t *testing.T) {
	xs := []float64{1, 2, 4, 8, 16, 32}
	ys, ses := synthetic(PowerLaw, []float64{3, 0.8}, xs, 5)
	sel, err := SelectLaw([]Law{PowerLaw, InverseWidth, InverseWidthFloor}, xs, ys, ses)
	if err != nil {
		t.Fatal(err)
	}
	avg := ModelAverage(sel.Fits)
	var sum float64
	for i, w := range avg.Params {
		sum += w
		if i > 0 && w > avg.Params[0] {
			t.Errorf("law %s (CV %g) outweighs the best (CV %g)", avg.Names[i], sel.Fits[i].CV, sel.Fits[0].CV)
		}
	}
	if math.Abs(sum-1) > 1e-12 {
		t.Errorf("weights sum to %g", sum)
	}
	for _, x := range []float64{1.5, 64, 128} {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, f := range sel.Fits {
			lo, hi = math.Min(lo, f.Eval(x)), math.Max(hi, f.Eval(x))
		}
		v, se := avg.Eval(x), avg.EvalSE(x)
		if v < lo-1e-12 || v > hi+1e-12 {
			t.Errorf("average %g at %g outside the laws' range [%g, %g]", v, x, lo, hi)
		}
		var spread float64
		for i, f := range sel.Fits {
			spread += avg.Params[i] * (f.Eval(x) - v) * (f.Eval(x) - v)
		}
		if se < math.Sqrt(spread)-1e-12 {
			t.Errorf("SE %g at %g below the laws' weighted spread %g", se, x, math.Sqrt(spread))
		}
	}
}
