package search

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/collegium/collegium/pkg/ntk"
)

// dual builds a dual study from V0 and V per configuration (by parameters
// 10, 20, …, of P0 100) for each range.
func dual(v0 [2]ntk.Estimate, a, b []ntk.Estimate) DualStudy {
	// The budgets bound the points and P0 is above them all.
	st := DualStudy{Seeds: [2]uint64{1, 2}, P0: max(100, 10*(len(a)+1)), Budgets: []int{15, 45}}
	if top := 10 * len(a); top > 45 {
		st.Budgets = append(st.Budgets, top)
	}
	st.Base = FrontierPoint{FrontierConfig: FrontierConfig{M: 1, N: 64, Params: 100}, Ranges: [2]FrontierMeasure{{V: v0[0]}, {V: v0[1]}}, Pooled: Pool(v0[0], v0[1])}
	for i := range a {
		p := FrontierPoint{FrontierConfig: FrontierConfig{M: 1 << (i + 1), N: 1, Params: 10 * (i + 1)}, Ranges: [2]FrontierMeasure{{V: a[i]}, {V: b[i]}}}
		p.Pooled = Pool(a[i], b[i])
		st.Points = append(st.Points, p)
	}
	st.analyse()
	return st
}

func TestDualAnswerAndAgreement(t *testing.T) {
	v0 := [2]ntk.Estimate{est(1, 0.05), est(1, 0.05)}
	// V falls with parameters; both ranges reach V0 first at 30 parameters.
	st := dual(v0, []ntk.Estimate{est(2, 0.05), est(1.5, 0.05), est(0.9, 0.05), est(0.7, 0.05)}, []ntk.Estimate{est(2.1, 0.05), est(1.4, 0.05), est(0.95, 0.05), est(0.6, 0.05)})
	if !st.Agree || st.Answers[0].Best != 2 || st.Answers[1].Best != 2 || st.How != "same answer 8x1d" {
		t.Errorf("same answer: %+v", st)
	}
	// Pooled: 30 parameters at 0.925 ± 0.035 against 1 ± 0.035 (1.5 SE: not
	// below beyond the errors at z = 2.24 for 4 configurations), 40 at 0.65.
	if p := st.Pooled; p.Best != 2 || p.Low != 2 || p.High != 3 || st.bracketText(p) != "0.300, 0.400" {
		t.Errorf("pooled answer %+v, bracket %s; want 8x1d, bracket 0.3–0.4", p, st.bracketText(p))
	}
	if st.Edge() != "" {
		t.Errorf("edge %q: the bracket is above the smallest budget", st.Edge())
	}
	// Neighbours: range 2 reaches V0 one step later; each answer is inside
	// the other's bracket.
	st = dual(v0, []ntk.Estimate{est(2, 0.05), est(0.98, 0.05), est(0.7, 0.05)}, []ntk.Estimate{est(2, 0.05), est(1.03, 0.05), est(0.7, 0.05)})
	if !st.Agree || st.Answers[0].Best != 1 || st.Answers[1].Best != 2 || !strings.HasPrefix(st.How, "each range's answer is inside the other's bracket: 4x1d (0.200·P0) in [0.200, 0.300]") {
		t.Errorf("neighbours: %+v", st)
	}
	// Disagreement: range 1 is far below V0 at 10 parameters, range 2 far
	// above.
	st = dual(v0, []ntk.Estimate{est(0.5, 0.05), est(0.5, 0.05), est(0.5, 0.05)}, []ntk.Estimate{est(1.5, 0.05), est(1.5, 0.05), est(0.5, 0.05)})
	if st.Agree || !strings.HasPrefix(st.How, "disagree") {
		t.Errorf("disagreement: %+v", st)
	}
	st = dual(v0, []ntk.Estimate{est(0.9, 0.05), est(0.8, 0.05)}, []ntk.Estimate{est(0.9, 0.05), est(0.8, 0.05)})
	if !strings.Contains(st.Edge(), "smallest budget's frontier") {
		t.Errorf("edge %q: the bracket reaches the smallest budget's frontier", st.Edge())
	}
	// Neither reaches V0: agreement on an answer above the ladder.
	st = dual(v0, []ntk.Estimate{est(2, 0.05)}, []ntk.Estimate{est(2, 0.05)})
	if !st.Agree || st.Pooled.Best != -1 || !strings.Contains(st.Edge(), "measure larger budgets") || st.bracketText(st.Pooled) != "0.450, 1.000" {
		t.Errorf("none at V0: %+v, edge %q", st, st.Edge())
	}
	var text strings.Builder
	st.Write(&text)
	if !strings.Contains(text.String(), "No measured configuration reaches the baseline's V with fewer parameters.") {
		t.Errorf("text:\n%s", text.String())
	}
	// One range only, the other far above V0 there: range 1's bracket ends
	// below P0, so range 2's "above the ladder" is outside it.
	st = dual(v0, []ntk.Estimate{est(0.7, 0.05)}, []ntk.Estimate{est(1.3, 0.05)})
	if st.Agree {
		t.Errorf("one range: %+v", st)
	}
	// One range just below V0, the other just above: both brackets reach
	// P0, and "none (above the ladder)" is inside range 1's.
	st = dual(v0, []ntk.Estimate{est(0.98, 0.05)}, []ntk.Estimate{est(1.02, 0.05)})
	if !st.Agree || !strings.Contains(st.How, "none (above 0.45·P0) in [0.100, 1.000]") {
		t.Errorf("one range just below V0: %+v", st)
	}
}

// TestDualBracketOnAProfile: V falling through V0 along the ladder (true
// answer the 6th of 12 configurations), measured to 10 % from two ranges:
// the bracket holds the answer at least 90 % of the time, the two ranges
// agree at least 90 % of the time, and the bare answers (the fewest
// parameters at V0 on the point estimates) differ in most trials.
func TestDualBracketOnAProfile(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	draw := func(means []float64) []ntk.Estimate {
		vs := make([]ntk.Estimate, len(means))
		for i, m := range means {
			vs[i] = est(m*(1+0.1*rng.NormFloat64()), 0.1*m)
		}
		return vs
	}
	var means []float64
	for i := range 12 {
		means = append(means, 1+0.08*float64(5-i))
	}
	const trials = 2000
	covered, agree, same := 0, 0, 0
	for range trials {
		b0 := [2]ntk.Estimate{draw([]float64{1})[0], draw([]float64{1})[0]}
		st := dual(b0, draw(means), draw(means))
		answer := float64(st.Points[5].Params) / float64(st.P0)
		for r := range st.Answers {
			lo, hi := st.bracket(st.Answers[r])
			if lo <= answer && answer <= hi {
				covered++
			}
		}
		if st.Agree {
			agree++
		}
		if st.Answers[0].Best == st.Answers[1].Best {
			same++
		}
	}
	t.Logf("bracket holds the answer %.3f, ranges agree %.3f, same bare answer %.3f", float64(covered)/(2*trials), float64(agree)/trials, float64(same)/trials)
	// ≥ 0.9 is the promise; 0.98 catches a bracket without Bonferroni's
	// correction (0.965 here).
	if r := float64(covered) / (2 * trials); r < 0.98 {
		t.Errorf("the bracket holds the answer %.3f of the time, want ≥ 0.98", r)
	}
	if r := float64(agree) / trials; r < 0.9 {
		t.Errorf("the ranges agree %.3f of the time, want ≥ 0.9", r)
	}
	if r := float64(same) / trials; r > 0.5 {
		t.Errorf("the bare answers are the same %.3f of the time: the profile does not test the bracket", r)
	}
}

// TestMeasureDualOfAnMLP measures a small MLP's dual: the ladder's
// frontiers are those of FrontierConfigs, each configuration once, V is
// the direct measurement, a second run reads the cache, and bad ladders
// are refused.
func TestMeasureDualOfAnMLP(t *testing.T) {
	dir := t.TempDir()
	req := Request{Family: "mlp", Dataset: "mnist", Baseline: "1x32d", Depth: 1,
		Scan: ntk.ScanConfig{Sampling: ntk.FixedSampling(8), Inputs: 2, InputSeed: 1, Device: oneThreadCPU, Cache: ntk.Cache{Dir: dir}}}
	st, err := MeasureDual(req, [2]uint64{3, 4}, []float64{0.5, 0.25}, []int{1, 2, 4})
	if err != nil {
		t.Fatal(err)
	}
	arch, _ := req.Architecture()
	var want []FrontierConfig
	for _, b := range st.Budgets {
		fc, err := arch.FrontierConfigs([]int{1, 2, 4}, b)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, fc...)
	}
	if st.Budgets[0] != st.P0/4 || st.Budgets[1] != st.P0/2 || len(st.Points) != len(want) {
		t.Fatalf("budgets %v of P0 %d, %d points, want %d", st.Budgets, st.P0, len(st.Points), len(want))
	}
	for i, p := range st.Points {
		if i > 0 && p.Params < st.Points[i-1].Params {
			t.Errorf("points not by parameters: %+v", st.Points)
		}
		if !slices.Contains(want, p.FrontierConfig) {
			t.Errorf("%+v is on no budget's frontier", p.FrontierConfig)
		}
		s := arch.Measure
		s.Members, s.Width = p.M, p.N
		scan := req.Scan
		scan.Seed, scan.Cache = st.Seeds[1], ntk.Cache{}
		m, err := ntk.MeasureSpec(s, scan)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Ranges[1].V; got.Value != m.Summary.VDiag.Value {
			t.Errorf("%dx%dd seed 4: %g, measured directly %g", p.M, p.N, got.Value, m.Summary.VDiag.Value)
		}
	}
	if st.Base.M != 1 || st.Base.N != 32 || st.Base.Params != st.P0 {
		t.Errorf("baseline point %+v", st.Base.FrontierConfig)
	}
	again, err := MeasureDual(req, [2]uint64{3, 4}, []float64{0.25, 0.5}, []int{1, 2, 4})
	if err != nil || !reflect.DeepEqual(again, st) {
		t.Errorf("second run from the cache differs (%v)", err)
	}
	var text strings.Builder
	st.Write(&text)
	for _, want := range []string{"| 1 | 32 | 1.000 |", "baseline", "Budgets measured (·P0): 0.25, 0.5", "Both seeds pooled:", "Verdict: the seed ranges"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	for _, bad := range [][]float64{nil, {0.5, 1}, {0}, {-0.2}} {
		if _, err := MeasureDual(req, [2]uint64{3, 4}, bad, nil); err == nil {
			t.Errorf("budgets %v accepted", bad)
		}
	}
	if _, err := MeasureDual(req, [2]uint64{3, 4}, []float64{0.5, 0.5}, nil); err == nil || !strings.Contains(err.Error(), "the same budget") {
		t.Errorf("two equal budgets: %v", err)
	}
	if _, err := MeasureDual(req, [2]uint64{3, 4}, []float64{math.NaN()}, nil); err == nil {
		t.Error("a NaN budget accepted")
	}
	if _, err := MeasureDual(req, [2]uint64{3, 3}, []float64{0.5}, nil); err == nil {
		t.Error("two equal seeds accepted")
	}
}
