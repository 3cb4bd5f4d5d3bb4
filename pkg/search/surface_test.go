package search

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/collegium/collegium/pkg/ntk"
)

// cell is a grid cell measured at V ± 5%.
func cell(m, n int, v float64) MembersCell {
	return MembersCell{M: m, N: n, Point: ntk.ScanPoint{Summary: ntk.Summary{VDiag: ntk.Estimate{Value: v, SE: 0.05 * v}}}}
}

// TestSurfaceForms: the power form takes q at the grid's widths,
// interpolates it in ln n and holds it beyond; the floor form recovers the
// floor c of V = c + (V_1 − c)/m; each propagates both errors; and
// FitSurface picks the form that generated the grid.
func TestSurfaceForms(t *testing.T) {
	xs := []float64{1, 2, 4, 8, 16}
	ys, ses := make([]float64, 5), make([]float64, 5)
	for i, x := range xs {
		ys[i], ses[i] = 2/x, 0.02/x
	}
	f, err := ntk.FitLaw(ntk.InverseWidth, xs, ys, ses)
	if err != nil {
		t.Fatal(err)
	}
	v1 := V1{Fits: []ntk.Fit{f}}
	power := MembersGrid{Slopes: []MembersSlope{
		{N: 8, Slope: ntk.Slope{Slope: -0.5, SE: 0.1}},
		{N: 2, Slope: ntk.Slope{Slope: -1, SE: 0.1}},
	}}
	s, err := NewSurface(SurfacePower, v1, power)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		n int
		q float64
	}{{1, -1}, {2, -1}, {4, -0.75}, {8, -0.5}, {64, -0.5}} {
		if q, _ := s.Param(c.n); math.Abs(q-c.q) > 1e-12 {
			t.Errorf("q(%d) = %g, want %g", c.n, q, c.q)
		}
	}
	v, se := s.V(16, 4)
	b1, se1 := v1.At(4)
	want := b1 * math.Pow(16, -0.75)
	_, seq := s.Param(4)
	if wantSE := want * math.Hypot(se1/b1, math.Log(16)*seq); math.Abs(v-want) > 1e-12*want || math.Abs(se-wantSE) > 1e-9*wantSE {
		t.Errorf("V(16, 4) = %g ± %g, want %g ± %g", v, se, want, wantSE)
	}
	// A grid with a floor of 0.05 at both widths.
	var floor MembersGrid
	for _, n := range []int{2, 8} {
		b, _ := v1.At(n)
		for _, m := range []int{1, 2, 4, 8, 16, 32} {
			floor.Cells = append(floor.Cells, cell(m, n, 0.05+(b-0.05)/float64(m)))
		}
	}
	fs, err := NewSurface(SurfaceFloor, v1, floor)
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range fs.Widths {
		if math.Abs(fs.P[i]-0.05) > 1e-9 {
			t.Errorf("floor at n = %d: %g, want 0.05", n, fs.P[i])
		}
	}
	if v, _ := fs.V(1000, 4); math.Abs(v-0.05) > 0.002 {
		t.Errorf("V(1000, 4) = %g, want near the floor 0.05", v)
	}
	best, why, err := FitSurface(v1, floor)
	if err != nil || best.Form != SurfaceFloor || !strings.Contains(why, SurfaceFloor) {
		t.Errorf("a floored grid fitted as %s: %q %v", best.Form, why, err)
	}
	// A grid set by the total width: V = 0.8·V_1(m^1.1·n) for m ≥ 2.
	var total MembersGrid
	for _, n := range []int{2, 4, 8} {
		for _, m := range []int{1, 2, 4, 8, 16} {
			w := math.Pow(float64(m), 1.1) * float64(n)
			v := 0.8 * f.Eval(w)
			if m == 1 {
				v, _ = v1.At(n)
			}
			total.Cells = append(total.Cells, cell(m, n, v))
		}
	}
	ws, err := NewSurface(SurfaceWidth, v1, total)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(ws.Kappa-0.8) > 1e-4 || math.Abs(ws.Alpha-1.1) > 1e-4 {
		t.Errorf("κ = %g, α = %g, want 0.8 and 1.1", ws.Kappa, ws.Alpha)
	}
	if v, _ := ws.V(1, 4); v != ys[2] && math.Abs(v-f.Eval(4)) > 1e-12 {
		t.Errorf("V(1, 4) = %g, want V_1(4) = %g", v, f.Eval(4))
	}
	if best, _, err := FitSurface(v1, total); err != nil || best.Form != SurfaceWidth {
		t.Errorf("a total-width grid fitted as %s (%v)", best.Form, err)
	}
	if _, err := NewSurface(SurfaceFloor, v1, MembersGrid{}); err == nil {
		t.Error("an empty grid accepted")
	}
	if _, err := NewSurface("cubic", v1, floor); err == nil {
		t.Error("an unknown form accepted")
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
	if rep.Grid == nil || !strings.HasSuffix(rep.Result.VModel, ", measured") || !strings.Contains(rep.MembersReason, "mean z² on the grid") {
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
	var text strings.Builder
	if err := Write(&text, Text, Rows(dual.Result, 3)); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("%.4g ± %.2g", v0, dual.Result.Baseline.VMeasuredSE); !strings.Contains(text.String(), "V0 measured") || !strings.Contains(text.String(), want) {
		t.Errorf("dual table does not show the baseline's measured V %s:\n%s", want, text.String())
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
