package search

import (
	"fmt"
	"math"
)

// Edges says which bounds of the grid of res the point p lies on (the
// largest m, the smallest or the largest n), one sentence per bound naming
// the flag that moves it; nil when p is inside. An optimum on an edge may
// only be the best the grid allows.
func Edges(res Result, p Point) []string {
	if len(res.Grid) == 0 {
		return nil
	}
	maxM, minN, maxN := 0, math.MaxInt, 0
	for _, g := range res.Grid {
		maxM, minN, maxN = max(maxM, g.M), min(minN, g.N), max(maxN, g.N)
	}
	var at []string
	if p.M == maxM {
		at = append(at, fmt.Sprintf("m = %d = --max-m: the grid may cut the answer off; rerun with a larger --max-m", p.M))
	}
	if p.N == minN {
		at = append(at, fmt.Sprintf("n = %d, the smallest width V_1 is fitted at: narrower members are not searched (widths left out of the fit for a high SE, listed in v1.md, return with a larger --max-samples or a looser --rel-se)", p.N))
	}
	if p.N == maxN {
		at = append(at, fmt.Sprintf("n = %d = --max-n, the largest n: the grid may cut the answer off; rerun with a larger --max-n", p.N))
	}
	return at
}

// gap is how much worse candidate c is than the answer of res, with the
// error of that difference: for the primal V_c − V_opt and
// √(SE_c² + SE_opt²), for the dual V_c − V0 and √(SE_c² + SE_V0²), with
// V and SE as the law predicts them (not re-ranking's measured V). The
// measurement cannot tell c from the answer when gap ≤ its error (and,
// for the primal, c is within the budget): the rule of both CompareSeeds
// and Region.
func gap(res Result, c Point) (d, se float64) {
	if res.Objective == Dual {
		return c.V - res.Target, math.Hypot(c.VSE, res.Baseline.VSE)
	}
	o := res.Ranked[0]
	return c.V - o.V, math.Hypot(c.VSE, o.VSE)
}

// withinErrors applies gap's rule: c could be the answer of res.
func withinErrors(res Result, c Point) bool {
	if res.Objective == Primal && c.Params > res.Budget {
		return false
	}
	d, se := gap(res, c)
	return d <= se
}

// Region is the set of candidates a search cannot tell from its optimum
// within the reported errors: Count of them, spanning m ∈ [MMin, MMax] and
// n ∈ [NMin, NMax]. Count 1 means the optimum is resolved.
type Region struct {
	Count int `json:"count"`
	MMin  int `json:"m_min"`
	MMax  int `json:"m_max"`
	NMin  int `json:"n_min"`
	NMax  int `json:"n_max"`
}

// String is the region as the text output prints it.
func (g Region) String() string {
	if g.Count <= 1 {
		return "optimum resolved: no other candidate is indistinguishable from it within errors"
	}
	return fmt.Sprintf("indistinguishable within errors: %d candidates, m ∈ [%d, %d], n ∈ [%d, %d]", g.Count, g.MMin, g.MMax, g.NMin, g.NMax)
}

// Cell is the region as a table cell: "resolved", or the count and the
// ranges of m and n.
func (g Region) Cell() string {
	if g.Count <= 1 {
		return "resolved"
	}
	return fmt.Sprintf("%d: m ∈ [%d, %d], n ∈ [%d, %d]", g.Count, g.MMin, g.MMax, g.NMin, g.NMax)
}

// RegionPoints returns the candidates of res that the measurement cannot
// tell from its optimum (the optimum first). Primal: the ranked points
// (P ≤ budget) with V_c − V_opt ≤ √(SE_c² + SE_opt²). Dual: the answer is
// the cheapest point with V ≤ V0, so it may be any grid point that is
// feasible within errors (V_c − V0 ≤ √(SE_c² + SE_V0²)) and has no more
// parameters than the cheapest point that is feasible beyond errors
// (V0 − V_c > √(SE_c² + SE_V0²)); grid points above V0 are included.
func RegionPoints(res Result) []Point {
	if len(res.Ranked) == 0 {
		return nil
	}
	opt := res.Ranked[0]
	out := []Point{opt}
	same := func(p Point) bool { return p.M == opt.M && p.N == opt.N }
	if res.Objective != Dual {
		for _, c := range res.Ranked[1:] {
			if withinErrors(res, c) {
				out = append(out, c)
			}
		}
		return out
	}
	sure := math.MaxInt
	for _, c := range res.Grid {
		if d, se := gap(res, c); -d > se {
			sure = min(sure, c.Params)
		}
	}
	for _, c := range res.Grid {
		if !same(c) && c.Params <= sure && withinErrors(res, c) {
			out = append(out, c)
		}
	}
	return out
}

// RegionOf summarises RegionPoints(res).
func RegionOf(res Result) Region { return regionSpan(RegionPoints(res)) }

// regionSpan counts the points of a region and the ranges of their m and n.
func regionSpan(pts []Point) Region {
	if len(pts) == 0 {
		return Region{}
	}
	g := Region{Count: len(pts), MMin: math.MaxInt, NMin: math.MaxInt}
	for _, p := range pts {
		g.MMin, g.MMax = min(g.MMin, p.M), max(g.MMax, p.M)
		g.NMin, g.NMax = min(g.NMin, p.N), max(g.NMax, p.N)
	}
	return g
}
