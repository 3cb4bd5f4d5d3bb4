package search

import (
	"math"
	"strings"
	"testing"

	"github.com/collegium/collegium/pkg/ntk"
)

// TestSurfaceExponent: q is taken at the grid's widths, interpolated in
// ln n between them and held beyond them; V = V_1(n)·m^q with the errors
// of both in quadrature.
func TestSurfaceExponent(t *testing.T) {
	g := MembersGrid{Slopes: []MembersSlope{
		{N: 8, Slope: ntk.Slope{Slope: -0.5, SE: 0.1}},
		{N: 2, Slope: ntk.Slope{Slope: -1, SE: 0.1}},
	}}
	xs := []float64{1, 2, 4, 8, 16}
	ys, ses := make([]float64, 5), make([]float64, 5)
	for i, x := range xs {
		ys[i], ses[i] = 2/x, 0.02/x
	}
	f, err := ntk.FitLaw(ntk.InverseWidth, xs, ys, ses)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSurface(V1{Fits: []ntk.Fit{f}}, g)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		n int
		q float64
	}{{1, -1}, {2, -1}, {4, -0.75}, {8, -0.5}, {64, -0.5}} {
		if q, _ := s.Exponent(c.n); math.Abs(q-c.q) > 1e-12 {
			t.Errorf("q(%d) = %g, want %g", c.n, q, c.q)
		}
	}
	v, se := s.V(16, 4)
	v1, se1 := s.V1.At(4)
	want := v1 * math.Pow(16, -0.75)
	q, seq := s.Exponent(4)
	wantSE := want * math.Hypot(se1/v1, math.Log(16)*seq)
	if math.Abs(v-want) > 1e-12*want || math.Abs(se-wantSE) > 1e-9*wantSE || q != -0.75 {
		t.Errorf("V(16, 4) = %g ± %g, want %g ± %g", v, se, want, wantSE)
	}
	if _, err := NewSurface(V1{Fits: []ntk.Fit{f}}, MembersGrid{}); err == nil {
		t.Error("a grid without exponents accepted")
	}
}

// TestMeasuredMembersAndRerank: the measured members law measures the
// grid and says how well each law predicts it; re-ranking measures V at
// the top configurations and orders them by it (the dual's feasible ones
// first, against the baseline's measured V).
func TestMeasuredMembersAndRerank(t *testing.T) {
	req := tinyRequest(t)
	req.Members = MembersMeasured
	req.Rerank = 3
	rep, err := Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Grid == nil || rep.Result.VModel != "V_1(n)·m^q(n), q measured" || !strings.Contains(rep.MembersReason, "predicts the measured V") {
		t.Fatalf("measured members law: grid %v, model %q, reason %q", rep.Grid != nil, rep.Result.VModel, rep.MembersReason)
	}
	top := rep.Result.Ranked[:3]
	for i, p := range top {
		if !(p.VMeasured > 0) || !(p.VMeasuredSE > 0) {
			t.Errorf("rank %d not measured: %+v", i+1, p)
		}
		if i > 0 && p.VMeasured < top[i-1].VMeasured {
			t.Errorf("primal re-ranked out of order at %d: %+v", i+1, top)
		}
	}
	if rep.Result.Ranked[3].VMeasured != 0 || rep.Result.Reranked != 3 {
		t.Errorf("only the top 3 should be measured: %+v, reranked %d", rep.Result.Ranked[3], rep.Result.Reranked)
	}
	req.Objective = Dual
	dual, err := Do(req)
	if err != nil {
		t.Fatal(err)
	}
	v0 := dual.Result.Baseline.VMeasured
	if !(v0 > 0) {
		t.Fatalf("dual baseline not measured: %+v", dual.Result.Baseline)
	}
	seenInfeasible := false
	for _, p := range dual.Result.Ranked[:3] {
		feasible := p.VMeasured <= v0
		if feasible && seenInfeasible {
			t.Errorf("a measured-feasible configuration after an infeasible one: %+v", dual.Result.Ranked[:3])
		}
		seenInfeasible = seenInfeasible || !feasible
	}
	req.Members = "sometimes"
	if _, err := Do(req); err == nil {
		t.Error("unknown members law accepted")
	}
}
