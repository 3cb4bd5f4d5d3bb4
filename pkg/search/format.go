package search

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Row is one ranked configuration with its ratios to the baseline, the
// record written by every output format.
type Row struct {
	Rank           int     `json:"rank"`
	Objective      string  `json:"objective"`
	Name           string  `json:"name"`
	M              int     `json:"m"`
	N              int     `json:"n"`
	Params         int     `json:"params"`
	V              float64 `json:"v"`
	VSE            float64 `json:"v_se"`
	ParamsRatio    float64 `json:"params_ratio"`
	VRatio         float64 `json:"v_ratio"`
	BaselineName   string  `json:"baseline"`
	BaselineParams int     `json:"baseline_params"`
	BaselineV      float64 `json:"baseline_v"`
	BaselineVSE    float64 `json:"baseline_v_se"`
	// Law is the V_1(n) law the ranking used; VModel how V(m, n) follows
	// from it ("V_1(n)/m" for the collegial-ensemble law).
	Law    string `json:"law,omitempty"`
	VModel string `json:"v_model,omitempty"`
	// VMeasured (± VMeasuredSE) is V measured directly, for re-ranked
	// rows; BaselineVMeasured (± BaselineVMeasuredSE) the baseline's, for
	// a re-ranked dual.
	VMeasured           float64 `json:"v_measured,omitempty"`
	VMeasuredSE         float64 `json:"v_measured_se,omitempty"`
	BaselineVMeasured   float64 `json:"baseline_v_measured,omitempty"`
	BaselineVMeasuredSE float64 `json:"baseline_v_measured_se,omitempty"`
	// Edge names the grid bounds this row's (m, n) lies on (Edges), empty
	// when it is inside the grid.
	Edge []string `json:"edge"`
	// Indistinguishable says whether this row is in the search's Region:
	// the measurement cannot tell it from the optimum.
	Indistinguishable bool `json:"indistinguishable"`
	// Region is the set of candidates indistinguishable from the optimum
	// within errors (RegionOf), the same on every row.
	Region Region `json:"region"`
}

// Rows turns the first top ranked points of r into Rows (all when top ≤ 0).
func Rows(r Result, top int) []Row {
	pts := r.Ranked
	if top > 0 && top < len(pts) {
		pts = pts[:top]
	}
	rows := make([]Row, len(pts))
	region := RegionPoints(r)
	summary := regionSpan(region)
	for i, pt := range pts {
		rows[i] = Row{
			Rank: i + 1, Objective: string(r.Objective), Name: BaselineName(pt.M, pt.N),
			M: pt.M, N: pt.N, Params: pt.Params, V: pt.V, VSE: pt.VSE,
			ParamsRatio:  float64(pt.Params) / float64(r.Baseline.Params),
			VRatio:       pt.V / r.Baseline.V,
			BaselineName: BaselineName(r.Baseline.M, r.Baseline.N), BaselineParams: r.Baseline.Params, BaselineV: r.Baseline.V,
			BaselineVSE: r.Baseline.VSE, Law: r.Law, VModel: r.VModel,
			VMeasured: pt.VMeasured, VMeasuredSE: pt.VMeasuredSE, BaselineVMeasured: r.Baseline.VMeasured, BaselineVMeasuredSE: r.Baseline.VMeasuredSE,
			Edge: Edges(r, pt), Region: summary,
			Indistinguishable: slices.ContainsFunc(region, func(p Point) bool { return p.M == pt.M && p.N == pt.N }),
		}
		if rows[i].Edge == nil {
			rows[i].Edge = []string{}
		}
	}
	return rows
}

// Format is an output format of the ranked table.
type Format string

// The output formats.
const (
	Text Format = "text"
	CSV  Format = "csv"
	JSON Format = "json"
)

// Write writes rows to w in format f; JSON is one object per line.
func Write(w io.Writer, f Format, rows []Row) error {
	switch f {
	case Text:
		return writeText(w, rows)
	case CSV:
		return writeCSV(w, rows)
	case JSON:
		enc := json.NewEncoder(w)
		for _, r := range rows {
			if err := enc.Encode(r); err != nil {
				return fmt.Errorf("write json: %w", err)
			}
		}
		return nil
	}
	return fmt.Errorf("format %q: want text, csv or json", f)
}

func writeText(w io.Writer, rows []Row) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	measured := len(rows) > 0 && rows[0].VMeasured > 0
	baseline := len(rows) > 0 && rows[0].BaselineVMeasured > 0
	head := "rank\tconfig\tm\tn\tparams\tv\tv_se\tparams/P0\tv/V0\t"
	if measured {
		head += "v measured\t"
	}
	if baseline {
		head += "V0 measured\t"
	}
	fmt.Fprintln(tw, head)
	for _, r := range rows {
		fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%d\t%.4g\t%.2g\t%.3f\t%.3f\t", r.Rank, r.Name, r.M, r.N, r.Params, r.V, r.VSE, r.ParamsRatio, r.VRatio)
		if measured && r.VMeasured > 0 {
			fmt.Fprintf(tw, "%.4g ± %.2g\t", r.VMeasured, r.VMeasuredSE)
		}
		if baseline {
			fmt.Fprintf(tw, "%.4g ± %.2g\t", r.BaselineVMeasured, r.BaselineVMeasuredSE)
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write text: %w", err)
	}
	if len(rows) == 0 {
		return nil
	}
	for _, e := range rows[0].Edge {
		fmt.Fprintf(w, "warning: optimum on the grid's edge at %s\n", e)
	}
	_, err := fmt.Fprintln(w, rows[0].Region)
	if err != nil {
		return fmt.Errorf("write text: %w", err)
	}
	return nil
}

func writeCSV(w io.Writer, rows []Row) error {
	cw := csv.NewWriter(w)
	rec := []string{"rank", "objective", "m", "n", "params", "v", "params_ratio", "v_ratio", "baseline", "baseline_params", "baseline_v", "v_se", "baseline_v_se", "law", "v_model", "v_measured", "v_measured_se", "baseline_v_measured",
		"edge", "indistinguishable", "region_count", "region_m_min", "region_m_max", "region_n_min", "region_n_max"}
	if err := cw.Write(rec); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	g := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	for _, r := range rows {
		rec = []string{
			strconv.Itoa(r.Rank), r.Objective, strconv.Itoa(r.M), strconv.Itoa(r.N), strconv.Itoa(r.Params),
			g(r.V), g(r.ParamsRatio), g(r.VRatio), r.BaselineName, strconv.Itoa(r.BaselineParams), g(r.BaselineV),
			g(r.VSE), g(r.BaselineVSE), r.Law, r.VModel, g(r.VMeasured), g(r.VMeasuredSE), g(r.BaselineVMeasured),
			strings.Join(r.Edge, "; "), strconv.FormatBool(r.Indistinguishable), strconv.Itoa(r.Region.Count),
			strconv.Itoa(r.Region.MMin), strconv.Itoa(r.Region.MMax), strconv.Itoa(r.Region.NMin), strconv.Itoa(r.Region.NMax),
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// WriteLaws writes the optimum under each law as a Markdown table, with
// its region and the grid bounds it lies on, then the members law under
// the chosen V_1 law.
func WriteLaws(w io.Writer, outs []LawOutcome) {
	fmt.Fprintln(w, "| law | held-out z² | optimum | params/P0 | V ± SE | V/V0 | indistinguishable within errors | grid edge |")
	fmt.Fprintln(w, "|---|---:|---|---:|---:|---:|---|---|")
	for _, o := range outs {
		name := o.Law
		if o.Chosen {
			name = "**" + name + "** (chosen)"
		}
		if o.Err != "" {
			fmt.Fprintf(w, "| %s | %.3g | none: %s | | | | | |\n", name, o.CV, o.Err)
			continue
		}
		b := o.Best
		fmt.Fprintf(w, "| %s | %.3g | %s | %.3f | %.4g ± %.2g | %.3f | %s | %s |\n", name, o.CV, b.Name, b.ParamsRatio, b.V, b.VSE, b.VRatio, b.Region.Cell(), edgeCell(b.Edge))
	}
	for _, o := range outs {
		if o.Chosen && o.Members != "" {
			fmt.Fprintf(w, "\nMembers law under the chosen V_1 law: %s.\n", o.Members)
		}
	}
}

// edgeCell is the bounds of an Edges list without their advice, for a
// table cell ("–" inside the grid).
func edgeCell(edge []string) string {
	if len(edge) == 0 {
		return "–"
	}
	heads := make([]string, len(edge))
	for i, e := range edge {
		heads[i], _, _ = strings.Cut(e, ":")
	}
	return strings.Join(heads, "; ")
}
