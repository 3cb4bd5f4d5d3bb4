package search

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// gridResult is a Result over the grid m ∈ [1, 4], n ∈ [2, 8] with every
// point's V = 1 ± 0.1 and Params = m·n.
func gridResult(obj Objective) Result {
	res := Result{Objective: obj, Budget: 1 << 30, Target: 1, Baseline: Point{M: 1, N: 2, V: 1, VSE: 0.1}}
	for m := 1; m <= 4; m++ {
		for n := 2; n <= 8; n++ {
			res.Grid = append(res.Grid, Point{M: m, N: n, Params: m * n, V: 1, VSE: 0.1})
		}
	}
	return res
}

// TestEdges: a point at the largest m, the smallest n or the largest n is
// named as on that edge with the flag that moves it; one inside is not.
func TestEdges(t *testing.T) {
	res := gridResult(Primal)
	for _, c := range []struct {
		p    Point
		want []string
	}{
		{Point{M: 3, N: 5}, nil},
		{Point{M: 4, N: 5}, []string{"m = 4 = --max-m"}},
		{Point{M: 2, N: 2}, []string{"n = 2, the smallest width", "--max-samples"}},
		{Point{M: 2, N: 8}, []string{"n = 8 = --max-n"}},
		{Point{M: 4, N: 8}, []string{"m = 4 = --max-m", "n = 8 = --max-n"}},
	} {
		got := Edges(res, c.p)
		if len(c.want) == 0 && len(got) != 0 {
			t.Errorf("(%d, %d) is inside the grid: %q", c.p.M, c.p.N, got)
		}
		all := strings.Join(got, "\n")
		for _, w := range c.want {
			if !strings.Contains(all, w) {
				t.Errorf("(%d, %d): %q lacks %q", c.p.M, c.p.N, got, w)
			}
		}
	}
}

// TestRegionPrimal: the primal region holds the ranked points whose V
// exceeds the optimum's by at most √(SE_c² + SE_opt²), and only them.
func TestRegionPrimal(t *testing.T) {
	res := Result{Objective: Primal, Budget: 100, Ranked: []Point{
		{M: 4, N: 3, Params: 12, V: 1.0, VSE: 0.3},
		{M: 2, N: 5, Params: 10, V: 1.4, VSE: 0.4},  // gap 0.4 ≤ 0.5: in
		{M: 3, N: 6, Params: 18, V: 1.55, VSE: 0.4}, // gap 0.55 > 0.5: out
		{M: 1, N: 9, Params: 9, V: 1.2, VSE: 0.0},   // gap 0.2 ≤ 0.3: in
	}}
	got := RegionOf(res)
	want := Region{Count: 3, MMin: 1, MMax: 4, NMin: 3, NMax: 9}
	if got != want {
		t.Errorf("region %+v, want %+v", got, want)
	}
	if s := got.String(); s != "indistinguishable within errors: 3 candidates, m ∈ [1, 4], n ∈ [3, 9]" {
		t.Errorf("text %q", s)
	}
	res.Ranked[0].VSE, res.Ranked[1].VSE, res.Ranked[3].VSE = 0.01, 0.01, 0.01
	if got := RegionOf(res); got.Count != 1 || !strings.Contains(got.String(), "optimum resolved") {
		t.Errorf("errors of 0.01: region %+v (%s), want the optimum alone", got, got)
	}
}

// TestRegionDual: the dual region holds the grid points feasible within
// errors with no more parameters than the cheapest point feasible beyond
// errors, including points just above V0.
func TestRegionDual(t *testing.T) {
	res := Result{Objective: Dual, Target: 1, Baseline: Point{M: 1, N: 8, Params: 8, V: 1, VSE: 0.3}}
	res.Grid = []Point{
		{M: 1, N: 2, Params: 2, V: 2.0, VSE: 0.4}, // 1.0 above V0 > 0.5: out
		{M: 1, N: 3, Params: 3, V: 1.3, VSE: 0.4}, // 0.3 above V0 ≤ 0.5: in
		{M: 1, N: 4, Params: 4, V: 0.9, VSE: 0.4}, // the optimum
		{M: 2, N: 3, Params: 6, V: 0.4, VSE: 0.4}, // 0.6 below V0 > 0.5: surely feasible, in
		{M: 2, N: 4, Params: 8, V: 0.3, VSE: 0.1}, // more parameters than that: out
	}
	var err error
	if res.Ranked, err = MinimizeParams(res.Grid, res.Target); err != nil {
		t.Fatal(err)
	}
	if o := res.Ranked[0]; o.M != 1 || o.N != 4 {
		t.Fatalf("dual optimum %s, want 1x4d", BaselineName(o.M, o.N))
	}
	want := Region{Count: 3, MMin: 1, MMax: 2, NMin: 3, NMax: 4}
	if got := RegionOf(res); got != want {
		t.Errorf("region %+v, want %+v", got, want)
	}
	rows := Rows(res, 0)
	for _, r := range rows {
		in := r.N == 4 && r.M == 1 || r.N == 3 && r.M == 2
		if r.Indistinguishable != in || r.Region != want {
			t.Errorf("row %s: indistinguishable %v, region %+v; want %v, %+v", r.Name, r.Indistinguishable, r.Region, in, want)
		}
	}
}

// TestEdgeAndRegionInEveryFormat: text prints the edge warning and the
// region on lines of their own, JSON and CSV carry them as fields.
func TestEdgeAndRegionInEveryFormat(t *testing.T) {
	res := gridResult(Primal)
	res.Ranked = []Point{{M: 4, N: 5, Params: 20, V: 0.5, VSE: 0.1}, {M: 3, N: 5, Params: 15, V: 0.55, VSE: 0.1}, {M: 2, N: 5, Params: 10, V: 2, VSE: 0.1}}
	res.Baseline.Params = 16
	rows := Rows(res, 0)
	var text, js, cs bytes.Buffer
	for f, b := range map[Format]*bytes.Buffer{Text: &text, JSON: &js, CSV: &cs} {
		if err := Write(b, f, rows); err != nil {
			t.Fatal(err)
		}
	}
	lines := strings.Split(strings.TrimSpace(text.String()), "\n")
	if n := len(lines); n < 2 || !strings.HasPrefix(lines[n-2], "warning: optimum on the grid's edge at m = 4 = --max-m") ||
		lines[n-1] != "indistinguishable within errors: 2 candidates, m ∈ [3, 4], n ∈ [5, 5]" {
		t.Errorf("text output lacks the edge and region lines:\n%s", text.String())
	}
	var first Row
	if err := json.Unmarshal([]byte(strings.Split(js.String(), "\n")[0]), &first); err != nil {
		t.Fatal(err)
	}
	if len(first.Edge) != 1 || !first.Indistinguishable || first.Region.Count != 2 {
		t.Errorf("json row: edge %q, indistinguishable %v, region %+v", first.Edge, first.Indistinguishable, first.Region)
	}
	csvLines := strings.Split(cs.String(), "\n")
	if !strings.Contains(csvLines[0], "edge,indistinguishable,region_count") || !strings.Contains(csvLines[1], "m = 4 = --max-m") ||
		!strings.HasSuffix(csvLines[3], ",,false,2,3,4,5,5") {
		t.Errorf("csv:\n%s", cs.String())
	}
}

// TestWriteLawsShowsRegionAndEdge: the law table gives each optimum's
// region and the grid bounds it lies on.
func TestWriteLawsShowsRegionAndEdge(t *testing.T) {
	res := gridResult(Primal)
	res.Ranked = []Point{{M: 4, N: 2, Params: 8, V: 0.5, VSE: 0.1}, {M: 3, N: 5, Params: 15, V: 0.55, VSE: 0.1}}
	res.Baseline.Params = 16
	inside := res
	inside.Ranked = []Point{{M: 3, N: 5, Params: 15, V: 0.5, VSE: 0.01}, {M: 2, N: 5, Params: 10, V: 2, VSE: 0.01}}
	var b strings.Builder
	WriteLaws(&b, []LawOutcome{{Law: "edge", Best: Rows(res, 1)[0]}, {Law: "inside", Best: Rows(inside, 1)[0]}})
	out := b.String()
	for _, want := range []string{"| 2: m ∈ [3, 4], n ∈ [2, 5] | m = 4 = --max-m; n = 2, the smallest width V_1 is fitted at |", "| resolved | – |"} {
		if !strings.Contains(out, want) {
			t.Errorf("law table lacks %q:\n%s", want, out)
		}
	}
}
