package search

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/collegium/collegium/pkg/ntk"
)

// WidthAgreement is V_1 at one width measured on two disjoint seed ranges.
type WidthAgreement struct {
	N int          `json:"n"`
	A ntk.Estimate `json:"a"`
	B ntk.Estimate `json:"b"`
	// SamplesA and SamplesB are the initialisations each used.
	SamplesA int `json:"samples_a"`
	SamplesB int `json:"samples_b"`
	// Z is (A − B)/√(SE_A² + SE_B²).
	Z float64 `json:"z"`
}

// SeedAnswer is one search (baseline, objective) answered from each seed
// range, and whether the answers agree.
type SeedAnswer struct {
	Baseline  string    `json:"baseline"`
	Objective Objective `json:"objective"`
	A         Row       `json:"a"`
	B         Row       `json:"b"`
	Agree     bool      `json:"agree"`
	// How says why they agree or not.
	How string `json:"how"`
}

// CrossScore is how well one law, fitted to one seed range, predicts the
// other range's V_1 (mean z², Fit.Score), beside its leave-one-width-out
// scores within each range: the split-seed check of the law choice.
type CrossScore struct {
	Law string     `json:"law"`
	CV  [2]float64 `json:"cv"`
	// AOnB is the law fitted to range A scored on range B's points, BOnA
	// the reverse.
	AOnB float64 `json:"a_on_b"`
	BOnA float64 `json:"b_on_a"`
}

// SeedComparison is a family's V_1 and search answers from two seed ranges.
type SeedComparison struct {
	Family  string           `json:"family"`
	Seeds   [2]uint64        `json:"seeds"`
	Laws    [2]string        `json:"laws"`
	Widths  []WidthAgreement `json:"widths"`
	Cross   []CrossScore     `json:"cross"`
	Answers []SeedAnswer     `json:"answers"`
}

// CompareSeeds runs req's search from each of two seeds for every baseline
// and objective and compares V_1 width by width and the answers. Two
// answers agree when they are the same (m, n), or when each seed's fit
// rates the other's optimum within the reported errors of its own: the
// primal's V at the other optimum exceeds V at its own by at most
// √(SE_other² + SE_own²) within the budget, the dual's exceeds V0 by at
// most √(SE_other² + SE_V0²) (gap, the rule RegionPoints uses too). The
// optima are then neighbours the measurement cannot tell apart.
func CompareSeeds(req Request, seeds [2]uint64, baselines []string, objectives []Objective) (SeedComparison, error) {
	if len(baselines) == 0 || len(objectives) == 0 {
		return SeedComparison{}, fmt.Errorf("compare seeds: no baseline or no objective")
	}
	c := SeedComparison{Family: req.Family, Seeds: seeds}
	var ins [2]inputs
	for i, s := range seeds {
		r := req
		r.Scan.Seed, r.Baseline = s, baselines[0]
		in, err := prepare(r)
		if err != nil {
			return SeedComparison{}, fmt.Errorf("seed %d: %w", s, err)
		}
		if req.Law != "" {
			if in.v1, err = in.v1.WithLaw(req.Law); err != nil {
				return SeedComparison{}, err
			}
		}
		ins[i], c.Laws[i] = in, in.v1.Fits[0].Law
	}
	c.Cross = crossScores(ins[0].v1, ins[1].v1)
	bs := ins[1].v1.All()
	for k, pa := range ins[0].v1.All() {
		pb := bs[k]
		a, b := pa.Summary.VDiag, pb.Summary.VDiag
		c.Widths = append(c.Widths, WidthAgreement{N: pa.N, A: a, B: b, SamplesA: pa.Summary.Samples, SamplesB: pb.Summary.Samples,
			Z: (a.Value - b.Value) / math.Hypot(a.SE, b.SE)})
	}
	for _, base := range baselines {
		for _, obj := range objectives {
			r := req
			r.Baseline, r.Objective = base, obj
			var reps [2]Report
			for i := range seeds {
				rep, err := solve(r, ins[i])
				if err != nil {
					return SeedComparison{}, fmt.Errorf("seed %d, %s %s: %w", seeds[i], base, obj, err)
				}
				reps[i] = rep
			}
			ans := SeedAnswer{Baseline: base, Objective: obj, A: Rows(reps[0].Result, 1)[0], B: Rows(reps[1].Result, 1)[0]}
			ans.Agree, ans.How = agree(reps)
			for i, rep := range reps {
				if edge := Edges(rep.Result, rep.Result.Ranked[0]); len(edge) > 0 {
					ans.How += fmt.Sprintf("; range %d's optimum is on the grid's edge (%s)", i+1, strings.Join(edge, "; "))
				}
			}
			c.Answers = append(c.Answers, ans)
		}
	}
	return c, nil
}

// crossScores scores every law fitted to each range on the other's points.
func crossScores(a, b V1) []CrossScore {
	xa, ya, sa := ntk.WidthCurve(a.Points)
	xb, yb, sb := ntk.WidthCurve(b.Points)
	var out []CrossScore
	for _, fa := range a.Fits {
		for _, fb := range b.Fits {
			if fa.Law == fb.Law && fa.Law != ntk.AverageName {
				out = append(out, CrossScore{Law: fa.Law, CV: [2]float64{fa.CV, fb.CV}, AOnB: fa.Score(xb, yb, sb), BOnA: fb.Score(xa, ya, sa)})
			}
		}
	}
	return out
}

// agree applies CompareSeeds's rule to the two reports.
func agree(reps [2]Report) (bool, string) {
	a, b := reps[0].Result.Ranked[0], reps[1].Result.Ranked[0]
	if a.M == b.M && a.N == b.N {
		return true, "same optimum"
	}
	var why []string
	ok := true
	for i, other := range []Point{b, a} {
		res := reps[i].Result
		var at Point
		found := false
		for _, p := range res.Grid {
			if p.M == other.M && p.N == other.N {
				at, found = p, true
			}
		}
		if !found {
			return false, fmt.Sprintf("%s is outside seed range %d's grid", BaselineName(other.M, other.N), i+1)
		}
		d, se := gap(res, at)
		ok = ok && withinErrors(res, at)
		from := "its optimum"
		if res.Objective == Dual {
			from = "V0"
		}
		why = append(why, fmt.Sprintf("range %d rates %s at V %+.2g from %s (errors %.2g)", i+1, BaselineName(other.M, other.N), d, from, se))
	}
	verdict := "neighbours within the V errors: "
	if !ok {
		verdict = "disagree: "
	}
	return ok, verdict + strings.Join(why, "; ")
}

// Write writes the comparison as Markdown: V_1 per width from both seed
// ranges, then the answers.
func (c SeedComparison) Write(w io.Writer) {
	fmt.Fprintf(w, "| n | V_1 seed %d ± SE (samples) | V_1 seed %d ± SE (samples) | z |\n", c.Seeds[0], c.Seeds[1])
	fmt.Fprintln(w, "|---:|---:|---:|---:|")
	for _, x := range c.Widths {
		fmt.Fprintf(w, "| %d | %.4g ± %.2g (%d) | %.4g ± %.2g (%d) | %.2f |\n", x.N, x.A.Value, x.A.SE, x.SamplesA, x.B.Value, x.B.SE, x.SamplesB, x.Z)
	}
	fmt.Fprintf(w, "\nLaw chosen: %s (seed %d), %s (seed %d). Every law's leave-one-width-out score within each range, and its score on the other range's V_1 when fitted to one (mean z²; lower predicts better):\n\n", c.Laws[0], c.Seeds[0], c.Laws[1], c.Seeds[1])
	fmt.Fprintf(w, "| law | held-out, seed %d | held-out, seed %d | fit %d → score %d | fit %d → score %d |\n", c.Seeds[0], c.Seeds[1], c.Seeds[0], c.Seeds[1], c.Seeds[1], c.Seeds[0])
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|")
	for _, x := range c.Cross {
		fmt.Fprintf(w, "| %s | %.3g | %.3g | %.3g | %.3g |\n", x.Law, x.CV[0], x.CV[1], x.AOnB, x.BOnA)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "| baseline | objective | seed %d | seed %d | agree | why |\n", c.Seeds[0], c.Seeds[1])
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, a := range c.Answers {
		yes := "**yes**"
		if !a.Agree {
			yes = "**no**"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", a.Baseline, a.Objective, answerCell(a.A), answerCell(a.B), yes, a.How)
	}
	agreeing := 0
	for _, a := range c.Answers {
		if a.Agree {
			agreeing++
		}
	}
	var far []string
	for _, x := range c.Widths {
		if math.Abs(x.Z) > 2 {
			far = append(far, fmt.Sprintf("n = %d (z = %.1f)", x.N, x.Z))
		}
	}
	fmt.Fprintf(w, "\nVerdict: %d of %d answers agree between the seed ranges; V_1 differs by more than 2 SE at %s.\n\n", agreeing, len(c.Answers), orNone(far))
	var better, total [2]int
	for _, a := range c.Answers {
		k := 0
		if a.Objective == Dual {
			k = 1
		}
		total[k]++
		if gains(a.A) && gains(a.B) {
			better[k]++
		}
	}
	fmt.Fprintf(w, "Verdict on the searches' claim: lower V than the baseline at its size (by more than the errors) in %d of %d primal searches, the baseline's V with fewer parameters in %d of %d dual searches, from both seed ranges.\n\n",
		better[0], total[0], better[1], total[1])
}

// gains says whether a search's answer improves on its baseline: the
// primal's V below V0 by more than √(SE² + SE_V0²), the dual's
// parameters below P0.
func gains(r Row) bool {
	if Objective(r.Objective) == Dual {
		return r.Params < r.BaselineParams
	}
	return r.BaselineV-r.V > math.Hypot(r.VSE, r.BaselineVSE)
}

// answerCell is an optimum with its V ratio (primal) or parameter ratio
// (dual).
func answerCell(r Row) string {
	if Objective(r.Objective) == Dual {
		return fmt.Sprintf("%s (%.3f·P0, V %.3g ± %.2g)", r.Name, r.ParamsRatio, r.V, r.VSE)
	}
	return fmt.Sprintf("%s (V/V0 %.3f, V %.3g ± %.2g)", r.Name, r.VRatio, r.V, r.VSE)
}

// Setting is one way of measuring V_1: the spatial size of the inputs,
// the BN mode and the number of kernel inputs.
type Setting struct {
	Name        string `json:"name"`
	MeasureSize int    `json:"measure_size"`
	BatchStats  bool   `json:"batch_stats"`
	Inputs      int    `json:"inputs"`
}

// SettingOutcome is V_1 and the primal and dual answers under a Setting.
type SettingOutcome struct {
	Setting Setting `json:"setting"`
	// Points are every measured width, Unreliable the widths left out of
	// the fit (stopped at the cap above the target SE).
	Points     []ntk.ScanPoint `json:"points"`
	Unreliable []int           `json:"unreliable,omitempty"`
	Law        string          `json:"law"`
	Primal     Row             `json:"primal"`
	Dual       Row             `json:"dual"`
	// Failed says why V_1 could not be fitted under this setting (too few
	// widths reached the target SE); Points are then what was measured.
	Failed string `json:"failed,omitempty"`
}

// CompareSettings runs req's search (its baseline, both objectives) once
// per setting, to show how each measurement choice moves V_1 and the
// optimum. A setting under which V_1 cannot be fitted (UnfittableError) is
// reported with what was measured, not as an error.
func CompareSettings(req Request, settings []Setting) ([]SettingOutcome, error) {
	var out []SettingOutcome
	for _, s := range settings {
		r := req
		r.MeasureSize, r.Scan.BatchStats, r.Scan.Inputs = s.MeasureSize, s.BatchStats, s.Inputs
		o := SettingOutcome{Setting: s}
		for _, obj := range []Objective{Primal, Dual} {
			r.Objective = obj
			rep, err := Do(r)
			var unfit *UnfittableError
			if errors.As(err, &unfit) {
				o.Points, o.Failed = unfit.V.All(), unfit.Error()
				for _, p := range unfit.V.Unreliable {
					o.Unreliable = append(o.Unreliable, p.N)
				}
				break
			}
			if err != nil {
				return nil, fmt.Errorf("setting %s: %w", s.Name, err)
			}
			row := Rows(rep.Result, 1)[0]
			if obj == Primal {
				o.Primal = row
			} else {
				o.Dual = row
			}
			o.Points, o.Law, o.Unreliable = rep.V1.All(), rep.V1.Fits[0].Law, nil
			for _, p := range rep.V1.Unreliable {
				o.Unreliable = append(o.Unreliable, p.N)
			}
		}
		out = append(out, o)
	}
	return out, nil
}

// WriteSettings writes the outcomes as Markdown, V_1 at the given widths
// (marked † where left out of the fit).
func WriteSettings(w io.Writer, outs []SettingOutcome, widths []int) {
	fmt.Fprint(w, "| setting |")
	for _, n := range widths {
		fmt.Fprintf(w, " V_1(%d) |", n)
	}
	fmt.Fprintln(w, " law | primal optimum | dual optimum |")
	fmt.Fprint(w, "|---|")
	for range widths {
		fmt.Fprint(w, "---:|")
	}
	fmt.Fprintln(w, "---|---|---|")
	for _, o := range outs {
		fmt.Fprintf(w, "| %s |", o.Setting.Name)
		for _, n := range widths {
			cell := " – |"
			for _, p := range o.Points {
				if p.N == n {
					mark := ""
					if slices.Contains(o.Unreliable, n) {
						mark = "†"
					}
					cell = fmt.Sprintf(" %.3g ± %.2g%s |", p.Summary.VDiag.Value, p.Summary.VDiag.SE, mark)
				}
			}
			fmt.Fprint(w, cell)
		}
		if o.Failed != "" {
			fmt.Fprintf(w, " none: %s | – | – |\n", o.Failed)
			continue
		}
		fmt.Fprintf(w, " %s | %s | %s |\n", o.Law, answerCell(o.Primal), answerCell(o.Dual))
	}
	fmt.Fprintln(w, "\n† stopped at the sampling cap above the target relative SE: left out of the fit and the search.")
	fmt.Fprintln(w)
}
