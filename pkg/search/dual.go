package search

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/collegium/collegium/pkg/ntk"
)

// DualStudy is the dual (the fewest parameters at the baseline's V)
// answered from V measured directly, from two disjoint seed ranges, with
// no V_1 or members law: V0 of the baseline and V along the budget
// frontier of each of a ladder of budgets below P0. A configuration with
// fewer parameters than another of the same m is narrower, so its V is
// higher: if no configuration of a budget's frontier reaches V0, none
// below that budget does (among the measured m), and the dual's answer is
// bracketed by the ladder.
type DualStudy struct {
	Family   string        `json:"family"`
	Dataset  string        `json:"dataset"`
	Baseline string        `json:"baseline"`
	P0       int           `json:"p0"`
	Budgets  []int         `json:"budgets"`
	Seeds    [2]uint64     `json:"seeds"`
	Sampling ntk.Sampling  `json:"sampling"`
	Base     FrontierPoint `json:"base"`
	// Points are the configurations of every budget's frontier, each
	// once, by parameters.
	Points []FrontierPoint `json:"points"`
	// Answers are each range's answer, Pooled the answer of both: the
	// index of the point with the fewest parameters whose V is at most
	// V0 (-1: none is).
	Answers [2]int `json:"answers"`
	Pooled  int    `json:"pooled"`
	Agree   bool   `json:"agree"`
	How     string `json:"how"`
}

// MeasureDual measures V0 and V along the frontier of each budget
// fraction·P0 of req's baseline (fractions in (0, 1); ms nil: each
// budget's FrontierMembers) from each of the two seeds, and reads the
// dual's answer from the measurements.
func MeasureDual(req Request, seeds [2]uint64, fractions []float64, ms []int) (DualStudy, error) {
	bm, bn, err := ParseBaseline(req.Baseline)
	if err != nil {
		return DualStudy{}, err
	}
	if seeds[0] == seeds[1] {
		return DualStudy{}, fmt.Errorf("dual: seeds %v: want two different seeds", seeds)
	}
	if len(fractions) == 0 {
		return DualStudy{}, fmt.Errorf("dual: no budget fractions")
	}
	for _, f := range fractions {
		if f <= 0 || f >= 1 {
			return DualStudy{}, fmt.Errorf("dual: budget fraction %g: want 0 < f < 1", f)
		}
	}
	arch, err := req.Architecture()
	if err != nil {
		return DualStudy{}, err
	}
	p0, err := arch.Params(bm, bn)
	if err != nil {
		return DualStudy{}, fmt.Errorf("baseline %s: %w", req.Baseline, err)
	}
	st := DualStudy{Family: req.Family, Dataset: req.Dataset, Baseline: req.Baseline, P0: p0, Seeds: seeds, Sampling: req.Scan.Sampling}
	var cfgs []FrontierConfig
	for _, f := range slices.Sorted(slices.Values(fractions)) {
		budget := int(math.Floor(f * float64(p0)))
		st.Budgets = append(st.Budgets, budget)
		members := ms
		if members == nil {
			if members, err = arch.FrontierMembers(budget); err != nil {
				return DualStudy{}, err
			}
		}
		fc, err := arch.FrontierConfigs(members, budget)
		if err != nil {
			return DualStudy{}, fmt.Errorf("dual: budget %d (%g·P0): %w", budget, f, err)
		}
		cfgs = append(cfgs, fc...)
	}
	slices.SortFunc(cfgs, func(a, b FrontierConfig) int { return cmp.Or(cmp.Compare(a.Params, b.Params), cmp.Compare(a.M, b.M)) })
	cfgs = slices.CompactFunc(cfgs, func(a, b FrontierConfig) bool { return a.M == b.M && a.N == b.N })
	what := fmt.Sprintf("dual of %s", req.Baseline)
	if st.Base, err = measureBoth(arch, req.Scan, seeds, FrontierConfig{M: bm, N: bn, Params: p0}, what, 0, len(cfgs)+1); err != nil {
		return DualStudy{}, fmt.Errorf("dual: %w", err)
	}
	for i, c := range cfgs {
		pt, err := measureBoth(arch, req.Scan, seeds, c, what, i+1, len(cfgs)+1)
		if err != nil {
			return DualStudy{}, fmt.Errorf("dual: %w", err)
		}
		st.Points = append(st.Points, pt)
	}
	st.analyse()
	return st, nil
}

// dualAnswer is the index of the point with the fewest parameters whose V
// (v of it) is at most v0, -1 when none is (the points are by parameters).
func dualAnswer(points []FrontierPoint, v func(FrontierPoint) ntk.Estimate, v0 ntk.Estimate) int {
	for i, p := range points {
		if v(p).Value <= v0.Value {
			return i
		}
	}
	return -1
}

// reachesWithinErrors says whether a range's measurements cannot reject
// that a point reaches V0: V − V0 ≤ z·√(SE² + SE0²), a one-sided test at
// Significance.
func reachesWithinErrors(v, v0 ntk.Estimate) bool {
	return v.Value-v0.Value <= zOneSided(Significance)*math.Hypot(v.SE, v0.SE)
}

// analyse sets the answers and whether the ranges agree: the same answer,
// or each range's answer reaching the other range's V0 within errors.
func (st *DualStudy) analyse() {
	for r := range st.Answers {
		st.Answers[r] = dualAnswer(st.Points, func(p FrontierPoint) ntk.Estimate { return p.Ranges[r].V }, st.Base.Ranges[r].V)
	}
	st.Pooled = dualAnswer(st.Points, func(p FrontierPoint) ntk.Estimate { return p.Pooled }, st.Base.Pooled)
	a, b := st.Answers[0], st.Answers[1]
	switch {
	case a == b && a < 0:
		st.Agree, st.How = true, "in neither range does a measured configuration reach V0"
	case a == b:
		st.Agree, st.How = true, "same answer "+st.name(a)
	case a < 0 || b < 0:
		st.How = "only one range has a measured configuration at V0"
	default:
		var why []string
		ok := true
		for r, other := range []int{b, a} {
			v, v0 := st.Points[other].Ranges[r].V, st.Base.Ranges[r].V
			ok = ok && reachesWithinErrors(v, v0)
			why = append(why, fmt.Sprintf("range %d rates %s at V %+.2g from V0 (errors %.2g)", r+1, st.name(other), v.Value-v0.Value, math.Hypot(v.SE, v0.SE)))
		}
		verdict := "each answer reaches the other range's V0 within errors: "
		if !ok {
			verdict = "disagree: "
		}
		st.Agree, st.How = ok, verdict+strings.Join(why, "; ")
	}
}

func (st DualStudy) name(i int) string { return BaselineName(st.Points[i].M, st.Points[i].N) }

// Edge says whether the pooled answer is at an end of the ladder: in the
// smallest budget's frontier (smaller budgets may reach V0 too) or absent
// (no measured budget does).
func (st DualStudy) Edge() string {
	switch {
	case st.Pooled < 0:
		return fmt.Sprintf("no configuration up to %.3g·P0 reaches V0: measure larger budgets", float64(st.Budgets[len(st.Budgets)-1])/float64(st.P0))
	case st.Points[st.Pooled].Params <= st.Budgets[0]:
		return fmt.Sprintf("the answer is on the smallest budget's frontier (%.3g·P0): smaller budgets may reach V0 too; measure them", float64(st.Budgets[0])/float64(st.P0))
	}
	return ""
}

// Bracket is the pooled answer's bracket on the ladder: the largest budget
// whose frontier has no configuration at V0 (as a fraction of P0; 0 when
// the answer is on the smallest budget's frontier) and the answer's
// parameters over P0.
func (st DualStudy) Bracket() (lo, hi float64) {
	if st.Pooled < 0 {
		return float64(st.Budgets[len(st.Budgets)-1]) / float64(st.P0), 1
	}
	for _, b := range st.Budgets {
		if b < st.Points[st.Pooled].Params {
			lo = float64(b) / float64(st.P0)
		}
	}
	return lo, float64(st.Points[st.Pooled].Params) / float64(st.P0)
}

// Write writes the study as Markdown: the baseline and every measured
// configuration by parameters, then the answers and the verdict.
func (st DualStudy) Write(w io.Writer) {
	fmt.Fprintf(w, "| m | n | params/P0 | V seed %d ± SE (samples) | V seed %d ± SE (samples) | z | V both ± SE | V/V0 ± SE | |\n", st.Seeds[0], st.Seeds[1])
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	v0 := st.Base.Pooled
	row := func(p FrontierPoint, mark string) {
		r := p.Pooled.Value / v0.Value
		rse := r * math.Hypot(p.Pooled.RelSE(), v0.RelSE())
		if mark == "baseline" {
			rse = 0
		}
		fmt.Fprintf(w, "| %d | %d | %.3f | %.4g ± %.2g (%d) | %.4g ± %.2g (%d) | %.2f | %.4g ± %.2g | %.3f ± %.3f | %s |\n",
			p.M, p.N, float64(p.Params)/float64(st.P0), p.Ranges[0].V.Value, p.Ranges[0].V.SE, p.Ranges[0].Samples,
			p.Ranges[1].V.Value, p.Ranges[1].V.SE, p.Ranges[1].Samples, p.Z, p.Pooled.Value, p.Pooled.SE, r, rse, mark)
	}
	for i, p := range st.Points {
		var mark string
		switch {
		case i == st.Pooled:
			mark = "**answer**"
		case p.Pooled.Value <= v0.Value:
			mark = "at V0"
		case reachesWithinErrors(p.Pooled, v0):
			mark = "at V0 within errors"
		}
		row(p, mark)
	}
	row(st.Base, "baseline")
	fmt.Fprintln(w)
	var budgets []string
	for _, b := range st.Budgets {
		budgets = append(budgets, fmt.Sprintf("%.3g", float64(b)/float64(st.P0)))
	}
	fmt.Fprintf(w, "Budgets measured (·P0): %s; at each, every m's widest n.\n", strings.Join(budgets, ", "))
	answer := func(i int) string {
		if i < 0 {
			return "none of the measured configurations reaches V0"
		}
		return fmt.Sprintf("%s (%.3f·P0)", st.name(i), float64(st.Points[i].Params)/float64(st.P0))
	}
	for r, a := range st.Answers {
		fmt.Fprintf(w, "Seed %d: %s.\n", st.Seeds[r], answer(a))
	}
	fmt.Fprintf(w, "Both seeds pooled: %s.\n", answer(st.Pooled))
	if e := st.Edge(); e != "" {
		fmt.Fprintf(w, "Edge: %s.\n", e)
	}
	yes := "agree"
	if !st.Agree {
		yes = "do not agree"
	}
	claim := "No measured configuration reaches the baseline's V with fewer parameters."
	if st.Pooled >= 0 {
		p := st.Points[st.Pooled]
		lo, hi := st.Bracket()
		d, dse := v0.Value-p.Pooled.Value, math.Hypot(v0.SE, p.Pooled.SE)
		claim = fmt.Sprintf("The pooled answer reaches the baseline's V with %.3f of its parameters (V %.3g ± %.2g below V0, %.1f SE); the dual's parameter count lies between %.3g·P0 and %.3g·P0 on this ladder.", hi, d, dse, d/dse, lo, hi)
	}
	fmt.Fprintf(w, "\nVerdict: the seed ranges %s (%s). %s\n\n", yes, st.How, claim)
}
