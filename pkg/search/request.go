package search

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/collegium/collegium/pkg/ntk"
)

// Request is a complete search: the architecture (family, dataset, MLP
// depth), the baseline "CxWd", the objective, the grid bounds (MaxN 0:
// twice the baseline width, at least the largest measured width), optional
// overrides of P0 (Budget) and V0 (Target), the V_1 law (Law, empty: the
// best AIC) and how V_1 is measured.
type Request struct {
	Family, Dataset, Baseline, Law string
	Objective                      Objective
	Depth, MaxM, MaxN, Budget      int
	Target                         float64
	Scan                           ntk.ScanConfig
}

// Report is a search's outcome with what it was computed from.
type Report struct {
	Request Request
	Arch    Architecture
	V1      V1
	Result  Result
}

// Do measures (or loads) V_1, builds the grid and solves the objective.
func Do(req Request) (Report, error) {
	bm, bn, err := ParseBaseline(req.Baseline)
	if err != nil {
		return Report{}, err
	}
	arch, err := NewArchitecture(req.Family, req.Dataset, req.Depth)
	if err != nil {
		return Report{}, err
	}
	if bn < arch.Widths[0] {
		return Report{}, fmt.Errorf("baseline %s: width %d is below the smallest measured width %d", req.Baseline, bn, arch.Widths[0])
	}
	v1, err := arch.MeasureV1(req.Scan)
	if err != nil {
		return Report{}, err
	}
	if req.Law != "" {
		if v1, err = v1.WithLaw(req.Law); err != nil {
			return Report{}, err
		}
	}
	maxN := req.MaxN
	if maxN == 0 {
		maxN = max(2*bn, v1.MaxWidth)
	}
	prob, err := arch.Problem(v1, req.MaxM, maxN)
	if err != nil {
		return Report{}, err
	}
	res, err := Run(prob, req.Objective, bm, bn, req.Budget, req.Target)
	if err != nil {
		return Report{}, err
	}
	return Report{Request: req, Arch: arch, V1: v1, Result: res}, nil
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
		fmt.Fprintf(w, "V_1(n) of %s (m = 1, measured input %dx%dx%d, %s, %d samples per width)\n\n", r.Arch.Measure.Family,
			in.Channels, in.Height, in.Width, r.Request.Scan.InputsLabel(in.Size()), r.Request.Scan.Samples)
		ntk.WritePoints(w, r.V1.Points)
		fmt.Fprintln(w)
		ntk.WriteFits(w, r.V1.Fits)
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
