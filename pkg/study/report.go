package study

import (
	"fmt"
	"io"
	"math"
	"sort"

	"github.com/collegium/collegium/pkg/ntk"
)

// DynamicsRow is the mean over seeds of one network of a dynamics
// experiment.
type DynamicsRow struct {
	Kind                   string
	M, N, Params, Seeds    int
	RelChange, RelSE       float64
	TrainLoss, TestErr     float64
	TrainLossSE, TestErrSE float64
}

// is says whether r belongs to the series of kind: a CE of one member is
// also the smallest single network.
func (r DynamicsRow) is(kind string) bool {
	return r.Kind == kind || kind == KindSingle && r.M == 1
}

// DynamicsRows averages the points over seeds, CEs first, by m.
func DynamicsRows(pts []DynamicsPoint) []DynamicsRow {
	type key struct {
		kind string
		m, n int
	}
	groups := map[key][]DynamicsPoint{}
	var keys []key
	for _, p := range pts {
		k := key{p.Kind, p.M, p.N}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], p)
	}
	sort.SliceStable(keys, func(a, b int) bool {
		if keys[a].kind != keys[b].kind {
			return keys[a].kind == KindCE
		}
		return groups[keys[a]][0].Params < groups[keys[b]][0].Params
	})
	var rows []DynamicsRow
	for _, k := range keys {
		g := groups[k]
		var rel, loss, errs []float64
		for _, p := range g {
			rel, loss, errs = append(rel, p.RelChange), append(loss, p.TrainLoss), append(errs, p.TestErr)
		}
		r := DynamicsRow{Kind: k.kind, M: k.m, N: k.n, Params: g[0].Params, Seeds: len(g)}
		r.RelChange, r.RelSE = MeanSE(rel)
		r.TrainLoss, r.TrainLossSE = MeanSE(loss)
		r.TestErr, r.TestErrSE = MeanSE(errs)
		rows = append(rows, r)
	}
	return rows
}

// DynamicsExponent fits rel change ∝ x^slope over the rows of one kind,
// x = m for CEs and x = the width n for single networks (the CE of one
// member among them).
func DynamicsExponent(rows []DynamicsRow, kind string) (ntk.Slope, error) {
	var xs, ys, ses []float64
	for _, r := range rows {
		if !r.is(kind) {
			continue
		}
		x := float64(r.M)
		if kind == KindSingle {
			x = float64(r.N)
		}
		xs, ys = append(xs, x), append(ys, r.RelChange)
		se := r.RelSE
		if math.IsNaN(se) {
			se = 0
		}
		ses = append(ses, math.Max(se, 0.01*r.RelChange))
	}
	return ntk.LogLogSlope(xs, ys, ses)
}

// WriteDynamics writes the rows and the fitted exponents as Markdown.
func WriteDynamics(w io.Writer, rows []DynamicsRow) error {
	fmt.Fprintln(w, "| network | params | seeds | ‖K_T − K_0‖/‖K_0‖ | final train loss | final test error |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|")
	for _, r := range rows {
		name := fmt.Sprintf("CE %d×%d", r.M, r.N)
		if r.Kind == KindSingle {
			name = fmt.Sprintf("single 1×%d", r.N)
		}
		fmt.Fprintf(w, "| %s | %d | %d | %.4f ± %.4f | %.4f ± %.4f | %.2f ± %.2f%% |\n",
			name, r.Params, r.Seeds, r.RelChange, r.RelSE, r.TrainLoss, r.TrainLossSE, 100*r.TestErr, 100*r.TestErrSE)
	}
	fmt.Fprintln(w)
	for _, kind := range []string{KindCE, KindSingle} {
		s, err := DynamicsExponent(rows, kind)
		if err != nil {
			continue
		}
		x := "m (fixed n)"
		if kind == KindSingle {
			x = "the width of a single network"
		}
		fmt.Fprintf(w, "Fitted exponent of the relative NTK change against %s: **%.3f ± %.3f**.\n\n", x, s.Slope, s.SE)
	}
	ce, err := DynamicsExponent(rows, KindCE)
	if err != nil {
		return err
	}
	verdict := "reproduced: the NTK of a CE moves less during training as m grows"
	if !(ce.Slope < -2*ce.SE) {
		verdict = "not reproduced: the relative NTK change does not fall with m by more than 2 SE"
	}
	fmt.Fprintf(w, "Verdict: %s (exponent %.2f ± %.2f; lazy-training theory at 1/√m aggregation: −0.5).\n\n", verdict, ce.Slope, ce.SE)
	return nil
}

// WriteAccuracy writes an accuracy experiment as Markdown.
func WriteAccuracy(w io.Writer, r AccuracyResult) {
	fmt.Fprintf(w, "| config | params | params/P0 | V ± SE | seeds | final train loss | final test error |\n")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|")
	for _, p := range r.Points {
		var loss, errs []float64
		for _, t := range p.Runs {
			loss, errs = append(loss, t.TrainLoss), append(errs, t.TestErr)
		}
		ml, sl := MeanSE(loss)
		me, se := MeanSE(errs)
		fmt.Fprintf(w, "| %d×%dd | %d | %.3f | %.4g ± %.2g | %d | %.4f ± %.4f | %.2f ± %.2f%% |\n",
			p.M, p.N, p.Params, float64(p.Params)/float64(r.Budget), p.V.Value, p.V.SE, len(p.Runs), ml, sl, 100*me, 100*se)
	}
	fmt.Fprintf(w, "\nSpearman ρ(V, final test error) = **%.2f** [95%% CI %.2f, %.2f]; ρ(V, final training loss) = **%.2f** [%.2f, %.2f] (bootstrap over configurations and seeds).\n\n",
		r.TestErr.Rho, r.TestErr.Lo, r.TestErr.Hi, r.TrainLoss.Rho, r.TrainLoss.Lo, r.TrainLoss.Hi)
	fmt.Fprintf(w, "Verdict: lower V goes with lower final training loss: %s; with lower test error: %s.\n\n", sign(r.TrainLoss), sign(r.TestErr))
}

// sign says what a correlation's interval shows.
func sign(c Correlation) string {
	switch {
	case c.Lo > 0:
		return fmt.Sprintf("**reproduced** (ρ %.2f, interval above 0)", c.Rho)
	case c.Hi < 0:
		return fmt.Sprintf("**the opposite** (ρ %.2f, interval below 0)", c.Rho)
	}
	return fmt.Sprintf("**not shown** (ρ %.2f, interval [%.2f, %.2f] contains 0)", c.Rho, c.Lo, c.Hi)
}
