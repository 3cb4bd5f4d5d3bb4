package search

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/collegium/collegium/pkg/ntk"
)

// FrontierConfig is one configuration of the primal's budget frontier:
// M members of the widest N whose parameter count is within the budget.
type FrontierConfig struct {
	M      int `json:"m"`
	N      int `json:"n"`
	Params int `json:"params"`
}

// FrontierConfigs returns, for every m of ms in ascending order, the
// widest n with P(m, n) ≤ budget; an m whose single-wide members exceed
// the budget ends the list (P grows with m). For a fixed m, V falls as n
// grows, so these are the only candidates of the primal: its answer is
// the m whose frontier configuration has the lowest V.
func (a Architecture) FrontierConfigs(ms []int, budget int) ([]FrontierConfig, error) {
	ms = compactInts(slices.Sorted(slices.Values(ms)))
	var out []FrontierConfig
	for _, m := range ms {
		if m < 1 {
			return nil, fmt.Errorf("frontier: m = %d: want ≥ 1", m)
		}
		n, err := largestWithin(func(n int) (int, error) { return a.Params(m, n) }, budget)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			break
		}
		p, err := a.Params(m, n)
		if err != nil {
			return nil, err
		}
		out = append(out, FrontierConfig{M: m, N: n, Params: p})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("frontier: no m of %v has a configuration within %d parameters: %w", ms, budget, ErrInfeasible)
	}
	return out, nil
}

// FrontierMembers is the default set of m along a frontier: 1, 2, 3, 4 and
// then two steps per doubling (6, 8, 12, 16, …), up to and including the
// first m whose single-wide members exceed the budget (FrontierConfigs
// stops there), so the set reaches the end of the design space, n = 1.
func (a Architecture) FrontierMembers(budget int) ([]int, error) {
	ms := []int{1, 2, 3, 4}
	for m := 4; ; m *= 2 {
		for _, c := range []int{m + m/2, 2 * m} {
			ms = append(ms, c)
			p, err := a.Params(c, 1)
			if err != nil {
				return nil, err
			}
			if p > budget {
				return ms, nil
			}
		}
	}
}

// largestM is the largest m whose single-wide members fit the budget (0
// when none does).
func (a Architecture) largestM(budget int) (int, error) {
	return largestWithin(func(m int) (int, error) { return a.Params(m, 1) }, budget)
}

// largestWithin is the largest k ≥ 1 with p(k) ≤ budget for a p that grows
// with k (0 when p(1) exceeds it): doubling, then bisection.
func largestWithin(p func(int) (int, error), budget int) (int, error) {
	fits := func(k int) (bool, error) {
		v, err := p(k)
		return v <= budget, err
	}
	lo, hi := 0, 1
	for {
		ok, err := fits(hi)
		if err != nil {
			return 0, err
		}
		if !ok {
			break
		}
		lo, hi = hi, 2*hi
	}
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		ok, err := fits(mid)
		if err != nil {
			return 0, err
		}
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, nil
}

// FrontierMeasure is V at one configuration from one seed range.
type FrontierMeasure struct {
	V        ntk.Estimate `json:"v"`
	Samples  int          `json:"samples"`
	Kurtosis float64      `json:"kurtosis"`
}

// FrontierPoint is a frontier configuration measured from both seed
// ranges, the two combined (inverse-variance mean: the ranges are
// independent) and their difference in SEs.
type FrontierPoint struct {
	FrontierConfig
	Ranges [2]FrontierMeasure `json:"ranges"`
	Pooled ntk.Estimate       `json:"pooled"`
	Z      float64            `json:"z"`
}

// FrontierAnswer is the primal's answer read from measured V alone: the
// index of the lowest V and its region, the configurations a test at
// Significance cannot tell from the optimum (the optimum first; see
// confidenceSet).
type FrontierAnswer struct {
	Best   int   `json:"best"`
	Region []int `json:"region"`
}

// FrontierStudy is V measured directly along the primal's budget frontier
// of a baseline from two disjoint seed ranges: a search answer that no
// V_1 or members law enters.
type FrontierStudy struct {
	Family   string          `json:"family"`
	Dataset  string          `json:"dataset"`
	Baseline string          `json:"baseline"`
	Budget   int             `json:"budget"`
	P0       int             `json:"p0"`
	Seeds    [2]uint64       `json:"seeds"`
	Sampling ntk.Sampling    `json:"sampling"`
	Points   []FrontierPoint `json:"points"`
	// Base is the index of the baseline (it is on its own frontier).
	Base int `json:"base"`
	// MaxM is the largest m with a configuration within the budget (n = 1):
	// the end of the design space.
	MaxM int `json:"max_m"`
	// Answers are each range's answer; Pooled the answer from both.
	Answers [2]FrontierAnswer `json:"answers"`
	Pooled  FrontierAnswer    `json:"pooled_answer"`
	Agree   bool              `json:"agree"`
	How     string            `json:"how"`
}

// MeasureFrontier measures V at every frontier configuration of req's
// baseline (budget P0, or (1 + BudgetTolerance)·P0) for the members ms
// (nil: FrontierMembers; the baseline's m is always added) from each of
// the two seeds, with req.Scan's sampling rule, and reads the primal's
// answer from the measurements.
func MeasureFrontier(req Request, seeds [2]uint64, ms []int) (FrontierStudy, error) {
	arch, bm, _, p0, err := studyBaseline(req, seeds)
	if err != nil {
		return FrontierStudy{}, fmt.Errorf("frontier: %w", err)
	}
	budget := int(math.Floor(float64(p0) * (1 + req.BudgetTolerance)))
	if ms == nil {
		if ms, err = arch.FrontierMembers(budget); err != nil {
			return FrontierStudy{}, err
		}
	}
	cfgs, err := arch.FrontierConfigs(append(slices.Clone(ms), bm), budget)
	if err != nil {
		return FrontierStudy{}, err
	}
	st := FrontierStudy{Family: req.Family, Dataset: req.Dataset, Baseline: req.Baseline, Budget: budget, P0: p0, Seeds: seeds, Sampling: req.Scan.Sampling}
	if st.MaxM, err = arch.largestM(budget); err != nil {
		return FrontierStudy{}, err
	}
	for i, c := range cfgs {
		if c.M == bm {
			st.Base = i
		}
		pt, err := measureBoth(arch, req.Scan, seeds, c, fmt.Sprintf("frontier of %s", req.Baseline), i, len(cfgs))
		if err != nil {
			return FrontierStudy{}, fmt.Errorf("frontier: %w", err)
		}
		st.Points = append(st.Points, pt)
	}
	st.analyse()
	return st, nil
}

// studyBaseline checks the two seeds of a study of req's baseline and
// returns its architecture, its m and n, and its parameter count P0.
func studyBaseline(req Request, seeds [2]uint64) (arch Architecture, bm, bn, p0 int, err error) {
	if bm, bn, err = ParseBaseline(req.Baseline); err != nil {
		return
	}
	if seeds[0] == seeds[1] {
		err = fmt.Errorf("seeds %v: want two different seeds", seeds)
		return
	}
	if arch, err = req.Architecture(); err != nil {
		return
	}
	if p0, err = arch.Params(bm, bn); err != nil {
		err = fmt.Errorf("baseline %s: %w", req.Baseline, err)
	}
	return
}

// measureBoth measures V of configuration c from each of the two seeds
// with scan's sampling rule (the i-th of total configurations of a study
// called what, for the log).
func measureBoth(arch Architecture, scan ntk.ScanConfig, seeds [2]uint64, c FrontierConfig, what string, i, total int) (FrontierPoint, error) {
	pt := FrontierPoint{FrontierConfig: c}
	for r, seed := range seeds {
		s := arch.Measure
		s.Members, s.Width = c.M, c.N
		sc := scan
		sc.Seed = seed
		if sc.Log != nil {
			sc.Log.Infof("%s: %s, seed %d (%d of %d)", what, BaselineName(c.M, c.N), seed, 2*i+r+1, 2*total)
		}
		mp, err := ntk.MeasureSpec(s, sc)
		if err != nil {
			return FrontierPoint{}, fmt.Errorf("measure %s, seed %d: %w", BaselineName(c.M, c.N), seed, err)
		}
		pt.Ranges[r] = FrontierMeasure{V: mp.Summary.VDiag, Samples: mp.Summary.Samples, Kurtosis: mp.Summary.Tail.Kurtosis}
	}
	a, b := pt.Ranges[0].V, pt.Ranges[1].V
	pt.Pooled, pt.Z = Pool(a, b), (a.Value-b.Value)/math.Hypot(a.SE, b.SE)
	return pt, nil
}

// Pool is the inverse-variance mean of two independent estimates and its
// standard error.
func Pool(a, b ntk.Estimate) ntk.Estimate {
	wa, wb := 1/(a.SE*a.SE), 1/(b.SE*b.SE)
	v := (wa*a.Value + wb*b.Value) / (wa + wb)
	se := 1 / math.Sqrt(wa+wb)
	return ntk.Estimate{Value: v, SE: se, Lo: v - 1.96*se, Hi: v + 1.96*se}
}

// Significance is the level of the frontier studies' tests: a
// configuration leaves the optimum's region, or fails the dual's V0, only
// when a one-sided test at this level (Bonferroni-corrected for the
// comparisons made) says its V is higher.
const Significance = 0.05

// zOneSided is the standard normal quantile exceeded with probability
// alpha.
func zOneSided(alpha float64) float64 { return math.Sqrt2 * math.Erfinv(1-2*alpha) }

// regionZ is the threshold of confidenceSet over k configurations: the
// one-sided quantile at Significance/(k−1).
func regionZ(k int) float64 {
	if k < 2 {
		return zOneSided(Significance)
	}
	return zOneSided(Significance / float64(k-1))
}

// answerOf reads the primal's answer from one estimate per configuration.
func answerOf(vs []ntk.Estimate) FrontierAnswer {
	best := 0
	for i, v := range vs {
		if v.Value < vs[best].Value {
			best = i
		}
	}
	ans := FrontierAnswer{Best: best, Region: []int{best}}
	for _, i := range confidenceSet(vs) {
		if i != best {
			ans.Region = append(ans.Region, i)
		}
	}
	return ans
}

// confidenceSet is the set of configurations that may have the lowest V
// (a Bonferroni all-pairs variant of Gupta's subset selection, on
// independent estimates with normal errors of known SE): i is in it unless
// some j has V_i − V_j > z·√(SE_i² + SE_j²), with z = regionZ(k). If the
// configurations of lowest true V are i*, each is in the set with
// probability at least 1 − Significance. The smaller rule of one SE of
// the difference to the observed optimum is not used: on a flat optimum
// the observed optimum is the winner of k draws and sits low, and two
// disjoint seed ranges measuring k equal configurations then find each
// other's optimum inside their region only 25–38 % of the time for k =
// 6–12 (TestConfidenceSetOnAPlateau).
func confidenceSet(vs []ntk.Estimate) []int {
	z := regionZ(len(vs))
	var out []int
	for i, v := range vs {
		in := true
		for j, u := range vs {
			if j != i && v.Value-u.Value > z*math.Hypot(v.SE, u.SE) {
				in = false
				break
			}
		}
		if in {
			out = append(out, i)
		}
	}
	return out
}

// analyse sets the answers and whether the ranges agree: the same
// optimum, or each range's optimum inside the other's region (the rule
// of CompareSeeds on measured V).
func (st *FrontierStudy) analyse() {
	var pooled []ntk.Estimate
	var per [2][]ntk.Estimate
	for _, p := range st.Points {
		pooled = append(pooled, p.Pooled)
		for r := range per {
			per[r] = append(per[r], p.Ranges[r].V)
		}
	}
	for r := range per {
		st.Answers[r] = answerOf(per[r])
	}
	st.Pooled = answerOf(pooled)
	a, b := st.Answers[0], st.Answers[1]
	name := func(i int) string { return BaselineName(st.Points[i].M, st.Points[i].N) }
	switch {
	case a.Best == b.Best:
		st.Agree, st.How = true, "same optimum "+name(a.Best)
	case agrees(a, b):
		st.Agree, st.How = true, fmt.Sprintf("neighbours within the V errors: each range's optimum (%s, %s) is inside the other's region, its %g%% confidence set for the optimum", name(a.Best), name(b.Best), 100*(1-Significance))
	default:
		st.How = fmt.Sprintf("disagree: range 1's optimum %s and range 2's %s are not each inside the other's region", name(a.Best), name(b.Best))
	}
}

// writePointsHead writes the head of the table of measured points.
func writePointsHead(w io.Writer, seeds [2]uint64) {
	fmt.Fprintf(w, "| m | n | params/P0 | V seed %d ± SE (samples) | V seed %d ± SE (samples) | z | V both ± SE | V/V0 ± SE | |\n", seeds[0], seeds[1])
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|---:|---|")
}

// writePoint writes one row of that table: p's V from each range and
// pooled, and the pooled V over the baseline's v0 (its error 0 for the
// baseline itself), then the marks.
func writePoint(w io.Writer, p FrontierPoint, p0 int, v0 ntk.Estimate, isBase bool, marks string) {
	r := p.Pooled.Value / v0.Value
	rse := r * math.Hypot(p.Pooled.RelSE(), v0.RelSE())
	if isBase {
		rse = 0
	}
	fmt.Fprintf(w, "| %d | %d | %.3f | %.4g ± %.2g (%d) | %.4g ± %.2g (%d) | %.2f | %.4g ± %.2g | %.3f ± %.3f | %s |\n",
		p.M, p.N, float64(p.Params)/float64(p0), p.Ranges[0].V.Value, p.Ranges[0].V.SE, p.Ranges[0].Samples,
		p.Ranges[1].V.Value, p.Ranges[1].V.SE, p.Ranges[1].Samples, p.Z, p.Pooled.Value, p.Pooled.SE, r, rse, marks)
}

// agrees says whether two answers agree: each optimum is inside the
// other's region (the same optimum is).
func agrees(a, b FrontierAnswer) bool {
	return slices.Contains(a.Region, b.Best) && slices.Contains(b.Region, a.Best)
}

// Edge says whether the pooled optimum is at an end of the measured
// frontier: at its largest m (where n = 1 it is the end of the design
// space; otherwise the list of m stopped short) or at its smallest.
func (st FrontierStudy) Edge() string {
	best, last := st.Pooled.Best, len(st.Points)-1
	p := st.Points[best]
	switch {
	case best == last && p.M == st.MaxM:
		return fmt.Sprintf("the optimum %s is the last configuration of the frontier: n = 1 and no more members fit the budget", BaselineName(p.M, p.N))
	case best == last && p.N == 1:
		return fmt.Sprintf("the optimum %s is at the largest m measured, with n = 1: only more single-channel members (up to %d) remain beyond it; measure them", BaselineName(p.M, p.N), st.MaxM)
	case best == last:
		return fmt.Sprintf("the optimum %s is at the largest m measured: the list of m may cut the answer off; measure larger m", BaselineName(p.M, p.N))
	case best == 0 && len(st.Points) > 1:
		return fmt.Sprintf("the optimum %s is at the smallest m measured", BaselineName(p.M, p.N))
	}
	return ""
}

// Write writes the study as Markdown: the table of the frontier, then the
// answers and the verdict.
func (st FrontierStudy) Write(w io.Writer) {
	base := st.Points[st.Base]
	writePointsHead(w, st.Seeds)
	for i, p := range st.Points {
		var marks []string
		if i == st.Base {
			marks = append(marks, "baseline")
		}
		if i == st.Pooled.Best {
			marks = append(marks, "**optimum**")
		} else if slices.Contains(st.Pooled.Region, i) {
			marks = append(marks, "in the region")
		}
		writePoint(w, p, st.P0, base.Pooled, i == st.Base, strings.Join(marks, ", "))
	}
	fmt.Fprintln(w)
	for r, a := range st.Answers {
		fmt.Fprintf(w, "Seed %d: optimum %s; %s.\n", st.Seeds[r], st.name(a.Best), st.regionText(a))
	}
	fmt.Fprintf(w, "Both seeds pooled: optimum %s; %s.\n", st.name(st.Pooled.Best), st.regionText(st.Pooled))
	fmt.Fprintf(w, "Region: the configurations that no other one's V is below by more than z = %.2f SE of the difference (a one-sided test at %g%%, Bonferroni-corrected for the %d comparisons); the lowest true V is in it with probability ≥ %g%%.\n",
		regionZ(len(st.Points)), 100*Significance, len(st.Points)-1, 100*(1-Significance))
	var shared []string
	for _, i := range slices.Sorted(slices.Values(st.Answers[0].Region)) {
		if slices.Contains(st.Answers[1].Region, i) {
			shared = append(shared, st.name(i))
		}
	}
	if len(shared) == 0 {
		shared = []string{"none"}
	}
	fmt.Fprintf(w, "In both seeds' regions: %s.\n", strings.Join(shared, ", "))
	gain := "The baseline itself has the lowest pooled V."
	if st.Pooled.Best != st.Base {
		best := st.Points[st.Pooled.Best].Pooled
		d, dse := base.Pooled.Value-best.Value, math.Hypot(base.Pooled.SE, best.SE)
		gain = fmt.Sprintf("The pooled optimum's V is %.3g ± %.2g below the baseline's (%.1f SE).", d, dse, d/dse)
	}
	writeVerdict(w, st.Edge(), st.Agree, st.How, gain)
}

// writeVerdict writes a study's edge warning (if any) and its verdict:
// whether the seed ranges agree, why, and what the answer claims.
func writeVerdict(w io.Writer, edge string, agree bool, how, claim string) {
	if edge != "" {
		fmt.Fprintf(w, "Edge: %s.\n", edge)
	}
	yes := "agree"
	if !agree {
		yes = "do not agree"
	}
	fmt.Fprintf(w, "\nVerdict: the seed ranges %s (%s). %s\n\n", yes, how, claim)
}

func (st FrontierStudy) name(i int) string { return BaselineName(st.Points[i].M, st.Points[i].N) }

// regionText names the configurations of an answer's region.
func (st FrontierStudy) regionText(a FrontierAnswer) string {
	if len(a.Region) == 1 {
		return "resolved: every other configuration's V is higher at the test's level"
	}
	var names []string
	for _, i := range slices.Sorted(slices.Values(a.Region)) {
		names = append(names, st.name(i))
	}
	return fmt.Sprintf("%d configurations may have the lowest V (%s)", len(a.Region), strings.Join(names, ", "))
}
