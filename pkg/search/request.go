package search

import (
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/collegium/collegium/pkg/ntk"
)

// Request is a complete search: the architecture (family, dataset, MLP
// depth, measured spatial size MeasureSize, 0: the family's default), the
// baseline "CxWd", the objective, the grid bounds (MaxN 0: twice the
// baseline width, at least the largest measured width), optional
// overrides of P0 (Budget) and V0 (Target), the primal's tolerance on the
// budget (P ≤ (1 + BudgetTolerance)·P0), the V_1 law (Law, empty: chosen
// by held-out prediction), the members law (Members: MembersCE or
// MembersMeasured; empty: the architecture's default), how many of the
// top configurations to measure directly and re-rank (Rerank) and how V
// is measured.
type Request struct {
	Family, Dataset, Baseline, Law, Members        string
	Objective                                      Objective
	Depth, MaxM, MaxN, Budget, MeasureSize, Rerank int
	Target, BudgetTolerance                        float64
	Scan                                           ntk.ScanConfig
}

// Report is a search's outcome with what it was computed from: the
// architecture, V_1, and for the measured members law the grid.
type Report struct {
	Request Request
	Arch    Architecture
	V1      V1
	Grid    *MembersGrid
	// MembersReason says how V(m, n) was computed from V_1 and how well
	// each members law predicts the measured grid.
	MembersReason string
	Result        Result
}

// Do measures (or loads) V_1, chooses its law (req.Law, or the best
// held-out prediction), builds the grid and solves the objective.
func Do(req Request) (Report, error) {
	in, err := prepare(req)
	if err != nil {
		return Report{}, err
	}
	if req.Law != "" {
		if in.v1, err = in.v1.WithLaw(req.Law); err != nil {
			return Report{}, err
		}
	}
	if req.Scan.Log != nil {
		req.Scan.Log.Infof("V_1(n) law: %s — %s", in.v1.Fits[0].Law, in.v1.Reason)
	}
	rep, err := solve(req, in)
	if err != nil || req.Rerank <= 0 {
		return rep, err
	}
	if err := rep.rerank(req.Rerank); err != nil {
		return Report{}, err
	}
	return rep, nil
}

// LawOutcome is a search's answer under one V_1 law.
type LawOutcome struct {
	Law string `json:"law"`
	// CV is the law's held-out score (lower predicts better).
	CV float64 `json:"cv"`
	// Chosen marks the law the search uses by default.
	Chosen bool `json:"chosen"`
	Best   Row  `json:"best"`
	// Members says how V(m, n) follows from V_1(n) under this law: the
	// members law and, for a measured one, its fitted constants and how
	// each form predicts the grid.
	Members string `json:"members,omitempty"`
	// Err says why the search failed under this law (e.g. infeasible).
	Err string `json:"error,omitempty"`
}

// Laws runs the search of req once under every fitted V_1 law, in the
// order of their held-out scores, to show how much the answer depends on
// the law.
func Laws(req Request) ([]LawOutcome, error) {
	in, err := prepare(req)
	if err != nil {
		return nil, err
	}
	var out []LawOutcome
	for i, f := range in.v1.Fits {
		lv, err := in.v1.WithLaw(f.Law)
		if err != nil {
			return nil, err
		}
		o := LawOutcome{Law: f.Law, CV: f.CV, Chosen: i == 0}
		li := in
		li.v1 = lv
		rep, err := solve(req, li)
		if err != nil {
			o.Err = err.Error()
		} else {
			o.Best, o.Members = Rows(rep.Result, 1)[0], rep.MembersReason
		}
		out = append(out, o)
	}
	return out, nil
}

// Architecture is the architecture the request searches.
func (req Request) Architecture() (Architecture, error) {
	return NewArchitecture(req.Family, req.Dataset, req.Depth, req.MeasureSize)
}

// inputs are what a search is solved from: the architecture, V_1 and,
// for the measured members law, the V(m, n) grid.
type inputs struct {
	arch Architecture
	v1   V1
	grid *MembersGrid
	law  string
}

// prepare checks the request and measures (or loads) V_1 and, for the
// measured members law, the V(m, n) grid.
func prepare(req Request) (inputs, error) {
	_, bn, err := ParseBaseline(req.Baseline)
	if err != nil {
		return inputs{}, err
	}
	arch, err := req.Architecture()
	if err != nil {
		return inputs{}, err
	}
	if bn < arch.Widths[0] {
		return inputs{}, fmt.Errorf("baseline %s: width %d is below the smallest measured width %d", req.Baseline, bn, arch.Widths[0])
	}
	in := inputs{arch: arch, law: req.Members}
	if in.law == "" {
		in.law = arch.MembersLaw
	}
	if in.law != MembersCE && in.law != MembersMeasured {
		return inputs{}, fmt.Errorf("members law %q: %w (want %s or %s)", in.law, ErrUnknown, MembersCE, MembersMeasured)
	}
	if in.v1, err = arch.MeasureV1(req.Scan); err != nil {
		return inputs{}, err
	}
	if bn < in.v1.MinWidth {
		return inputs{}, fmt.Errorf("baseline %s: width %d is below the smallest width V_1 was measured to its target SE at (%d)", req.Baseline, bn, in.v1.MinWidth)
	}
	if in.law == MembersMeasured {
		scan := req.Scan
		scan.Sampling = GridSampling(scan.Sampling)
		g, err := arch.MeasureMembers(arch.GridMembers, arch.GridWidths, scan)
		if err != nil {
			return inputs{}, err
		}
		in.grid = &g
	}
	return in, nil
}

// GridSampling is the rule a search's V(m, n) grid is measured with: the
// V_1 rule relaxed to a relative SE of 15% and at most 256
// initialisations (a fixed sample size stays as it is). The grid's cells
// at large m cost many times a single member and, being sums over
// members, have lighter tails.
func GridSampling(s ntk.Sampling) ntk.Sampling {
	if s.Min == s.Max {
		return s
	}
	s.RelSE = math.Max(s.RelSE, 0.15)
	s.Max = max(s.Min, min(s.Max, 256))
	return s
}

// solve builds the grid under V_1's first law and the members law and
// solves the objective.
func solve(req Request, in inputs) (Report, error) {
	arch, v1 := in.arch, in.v1
	bm, bn, err := ParseBaseline(req.Baseline)
	if err != nil {
		return Report{}, err
	}
	maxN := req.MaxN
	if maxN == 0 {
		maxN = max(2*bn, v1.MaxWidth)
	}
	prob, err := arch.Problem(v1, req.MaxM, maxN, req.Scan.Log)
	if err != nil {
		return Report{}, err
	}
	model, reason := "V_1(n)/m", "V(m, n) = V_1(n)/m (the members share no parameter)"
	if in.grid != nil {
		surf, why, err := FitSurface(v1, *in.grid)
		if err != nil {
			return Report{}, err
		}
		prob.V, model, reason = surf.V, surf.Form+", measured", why
	}
	if req.Scan.Log != nil {
		req.Scan.Log.Infof("members law: %s", reason)
	}
	budget := req.Budget
	if req.BudgetTolerance > 0 && req.Objective == Primal {
		if budget == 0 {
			if budget, err = arch.Params(bm, bn); err != nil {
				return Report{}, err
			}
		}
		budget = int(math.Floor(float64(budget) * (1 + req.BudgetTolerance)))
	}
	res, err := Run(prob, req.Objective, bm, bn, budget, req.Target)
	if err != nil {
		return Report{}, err
	}
	res.Law, res.VModel = v1.Fits[0].Law, model
	return Report{Request: req, Arch: arch, V1: v1, Grid: in.grid, MembersReason: reason, Result: res}, nil
}

// Title names the search for plots and tables.
func (r Report) Title() string {
	return fmt.Sprintf("%s %s on %s, baseline %s", r.Request.Objective, r.Request.Family, r.Request.Dataset, r.Request.Baseline)
}

// WriteFiles writes the ranked table (top rows) as search.txt, search.csv
// and search.jsonl, the V_1 measurements and fits as v1.md, and the
// frontier as frontier.svg and frontier.png into dir.
func (r Report) WriteFiles(dir string, top int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("search output: %w", err)
	}
	rows := Rows(r.Result, top)
	for name, f := range map[string]Format{"search.txt": Text, "search.csv": CSV, "search.jsonl": JSON} {
		if err := writeFile(filepath.Join(dir, name), func(w *os.File) error { return Write(w, f, rows) }); err != nil {
			return err
		}
	}
	if err := writeFile(filepath.Join(dir, "v1.md"), func(w *os.File) error {
		in := r.Arch.Measure.Input
		fmt.Fprintf(w, "V_1(n) of %s (m = 1, measured input %dx%dx%d, %s, %s per width)\n\n", r.Arch.Measure.Family,
			in.Channels, in.Height, in.Width, r.Request.Scan.InputsLabel(in.Size()), r.Request.Scan.Sampling)
		all := r.V1.All()
		ntk.WritePoints(w, all)
		fmt.Fprintln(w)
		ntk.WriteTails(w, all)
		for _, p := range r.V1.Unreliable {
			fmt.Fprintf(w, "\n%s stopped at its cap above the target relative SE: left out of the fit and the search.\n", p.Name)
		}
		fmt.Fprintln(w)
		ntk.WriteFits(w, r.V1.Fits)
		fmt.Fprintf(w, "\nLaw used: %s (%s).\n\nMembers: %s.\n", r.V1.Fits[0].Law, r.V1.Reason, r.MembersReason)
		if r.Grid != nil {
			fmt.Fprintln(w)
			r.Grid.Write(w)
		}
		return nil
	}); err != nil {
		return err
	}
	for _, name := range []string{"frontier.svg", "frontier.png"} {
		if err := PlotFrontier(r.Result, r.Title(), filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(path string, write func(*os.File) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("search output: %w", err)
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("search output %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("search output: %w", err)
	}
	return nil
}
