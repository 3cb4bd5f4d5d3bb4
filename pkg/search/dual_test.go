package search

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/collegium/collegium/pkg/ntk"
)

// dual builds a dual study from V0 and V per configuration (by parameters
// 10, 20, …, of P0 100) for each range.
func dual(v0 [2]ntk.Estimate, a, b []ntk.Estimate) DualStudy {
	st := DualStudy{Seeds: [2]uint64{1, 2}, P0: 100, Budgets: []int{15, 45}}
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
	st := dual(v0, []ntk.Estimate{est(2, 0.05), est(1.5, 0.05), est(0.9, 0.05), est(0.8, 0.05)}, []ntk.Estimate{est(2.1, 0.05), est(1.4, 0.05), est(0.95, 0.05), est(0.7, 0.05)})
	if !st.Agree || st.Answers != [2]int{2, 2} || st.Pooled != 2 || st.How != "same answer 8x1d" {
		t.Errorf("same answer: %+v", st)
	}
	if lo, hi := st.Bracket(); lo != 0.15 || hi != 0.3 {
		t.Errorf("bracket %g–%g, want 0.15–0.3 (the 15-parameter budget has no configuration at V0)", lo, hi)
	}
	if st.Edge() != "" {
		t.Errorf("edge %q: the answer is above the smallest budget", st.Edge())
	}
	// Neighbours: range 2 reaches V0 one step later, within its errors.
	st = dual(v0, []ntk.Estimate{est(2, 0.05), est(0.98, 0.05), est(0.9, 0.05)}, []ntk.Estimate{est(2, 0.05), est(1.03, 0.05), est(0.9, 0.05)})
	if !st.Agree || st.Answers != [2]int{1, 2} || !strings.HasPrefix(st.How, "each answer reaches the other range's V0 within errors") {
		t.Errorf("neighbours: %+v", st)
	}
	// Disagreement: range 1's answer is far above V0 in range 2.
	st = dual(v0, []ntk.Estimate{est(0.9, 0.05), est(0.8, 0.05)}, []ntk.Estimate{est(1.5, 0.05), est(0.9, 0.05)})
	if st.Agree || !strings.HasPrefix(st.How, "disagree") || !strings.Contains(st.How, "range 2 rates 2x1d at V +0.5") {
		t.Errorf("disagreement: %+v", st)
	}
	st = dual(v0, []ntk.Estimate{est(0.9, 0.05), est(0.8, 0.05)}, []ntk.Estimate{est(0.9, 0.05), est(0.8, 0.05)})
	if !strings.Contains(st.Edge(), "smallest budget's frontier") {
		t.Errorf("edge %q: the answer is on the smallest budget's frontier", st.Edge())
	}
	if lo, hi := st.Bracket(); lo != 0 || hi != 0.1 {
		t.Errorf("bracket %g–%g, want 0–0.1", lo, hi)
	}
	// Neither reaches V0: agreement on an answer above the ladder.
	st = dual(v0, []ntk.Estimate{est(2, 0.05)}, []ntk.Estimate{est(2, 0.05)})
	if !st.Agree || st.Pooled != -1 || !strings.Contains(st.Edge(), "measure larger budgets") {
		t.Errorf("none at V0: %+v, edge %q", st, st.Edge())
	}
	var text strings.Builder
	st.Write(&text)
	if !strings.Contains(text.String(), "No measured configuration reaches the baseline's V with fewer parameters.") {
		t.Errorf("text:\n%s", text.String())
	}
	// One range only.
	st = dual(v0, []ntk.Estimate{est(0.9, 0.05)}, []ntk.Estimate{est(1.3, 0.05)})
	if st.Agree || st.How != "only one range has a measured configuration at V0" {
		t.Errorf("one range: %+v", st)
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
	if _, err := MeasureDual(req, [2]uint64{3, 3}, []float64{0.5}, nil); err == nil {
		t.Error("two equal seeds accepted")
	}
}
