package sweep

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/collegium/collegium/internal/atomicfile"
	"github.com/collegium/collegium/pkg/train"
)

// Stat is a mean and sample standard deviation over seeds (SD is 0 for
// one seed).
type Stat struct {
	Mean, SD float64
}

// stat computes the mean and the sample standard deviation of v.
func stat(v []float64) Stat {
	if len(v) == 0 {
		return Stat{Mean: math.NaN(), SD: math.NaN()}
	}
	var s Stat
	for _, x := range v {
		s.Mean += x / float64(len(v))
	}
	if len(v) > 1 {
		for _, x := range v {
			s.SD += (x - s.Mean) * (x - s.Mean)
		}
		s.SD = math.Sqrt(s.SD / float64(len(v)-1))
	}
	return s
}

// Run is one point's result.
type Run struct {
	Point Point
	// Finished says every epoch is done; only finished runs enter the
	// configuration's statistics.
	Finished bool
	// First and Final are the records of the first and last epochs.
	First, Final train.Metrics
	History      []train.Metrics
}

// Group is one configuration's result over its seeds.
type Group struct {
	Name, Role string
	// Settings are the configuration's settings (without the seed).
	Settings []Setting
	Params   int
	V        *float64
	// Planned and Finished count the configuration's points.
	Planned, Finished int
	Steps             int
	FirstTestAcc      Stat
	TestAcc           Stat
	TestLoss          Stat
	TrainLoss         Stat
	WallS             Stat
	// Curve is the per-epoch mean over the finished seeds.
	Curve []train.Metrics
}

// Report is a sweep's results.
type Report struct {
	Dir    string
	Groups []Group
	Runs   []Run
}

// Summarize reads every point's metrics and checkpoint status and averages
// each configuration's final metrics over its finished seeds.
func Summarize(p *Plan) (*Report, error) {
	r := &Report{Dir: p.Dir}
	index := map[string]int{}
	for _, pt := range p.Points {
		run := Run{Point: pt}
		st, err := train.ReadStatus(p.RunDir(pt))
		if err != nil {
			return nil, err
		}
		if st.Started {
			if run.History, err = train.ReadMetrics(p.RunDir(pt)); err != nil {
				return nil, err
			}
		}
		if n := len(run.History); n > 0 {
			run.First, run.Final = run.History[0], run.History[n-1]
		}
		run.Finished = st.Done() && len(run.History) == st.Epochs
		r.Runs = append(r.Runs, run)
		gi, ok := index[pt.Group]
		if !ok {
			gi = len(r.Groups)
			index[pt.Group] = gi
			var settings []Setting
			for _, s := range pt.Settings {
				if s.Key != keySeed {
					settings = append(settings, s)
				}
			}
			r.Groups = append(r.Groups, Group{Name: pt.Group, Role: pt.Role, Settings: settings, Params: pt.Params, V: pt.V})
		}
		r.Groups[gi].Planned++
	}
	for gi := range r.Groups {
		g := &r.Groups[gi]
		var runs []Run
		for _, run := range r.Runs {
			if run.Point.Group == g.Name && run.Finished {
				runs = append(runs, run)
			}
		}
		g.Finished = len(runs)
		if len(runs) == 0 {
			continue
		}
		col := func(f func(Run) float64) Stat {
			v := make([]float64, len(runs))
			for i, run := range runs {
				v[i] = f(run)
			}
			return stat(v)
		}
		g.Steps = runs[0].Final.Step
		g.FirstTestAcc = col(func(r Run) float64 { return r.First.TestAcc })
		g.TestAcc = col(func(r Run) float64 { return r.Final.TestAcc })
		g.TestLoss = col(func(r Run) float64 { return r.Final.TestLoss })
		g.TrainLoss = col(func(r Run) float64 { return r.Final.TrainLoss })
		g.WallS = col(func(r Run) float64 { return r.Final.WallS })
		g.Curve = meanCurve(runs)
	}
	return r, nil
}

// meanCurve averages the runs' records epoch by epoch (over the epochs all
// of them have).
func meanCurve(runs []Run) []train.Metrics {
	n := len(runs[0].History)
	for _, r := range runs {
		n = min(n, len(r.History))
	}
	out := make([]train.Metrics, n)
	k := float64(len(runs))
	for e := range n {
		m := train.Metrics{Epoch: runs[0].History[e].Epoch, Step: runs[0].History[e].Step}
		for _, r := range runs {
			h := r.History[e]
			m.TrainLoss += h.TrainLoss / k
			m.TestLoss += h.TestLoss / k
			m.TestAcc += h.TestAcc / k
			m.LR += h.LR / k
			m.WallS += h.WallS / k
		}
		out[e] = m
	}
	return out
}

// WriteMarkdown writes the table of configurations (mean ± sd over seeds)
// and the table of runs.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Sweep %s: final metrics per configuration, mean ± sd over its finished seeds; predicted V from the search.\n\n", r.Dir)
	b.WriteString("| configuration | role | params | predicted V | seeds | steps | test acc after epoch 1 | final test acc | final test loss | final train loss | wall s |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, g := range r.Groups {
		if g.Finished == 0 {
			fmt.Fprintf(&b, "| %s | %s | %d | %s | 0/%d | | | | | | |\n", g.Name, g.Role, g.Params, vText(g.V), g.Planned)
			continue
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %s | %d/%d | %d | %.2f%% | %.2f ± %.2f%% | %.4f ± %.4f | %.4f ± %.4f | %.0f |\n",
			g.Name, g.Role, g.Params, vText(g.V), g.Finished, g.Planned, g.Steps, 100*g.FirstTestAcc.Mean,
			100*g.TestAcc.Mean, 100*g.TestAcc.SD, g.TestLoss.Mean, g.TestLoss.SD, g.TrainLoss.Mean, g.TrainLoss.SD, g.WallS.Mean)
	}
	b.WriteString("\nPer run:\n\n| run | seed | epochs | test acc after epoch 1 | final test acc | final test loss | final train loss | wall s |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, run := range r.Runs {
		if len(run.History) == 0 {
			fmt.Fprintf(&b, "| %s | %d | not started | | | | | |\n", run.Point.Name, run.Point.Seed)
			continue
		}
		epochs := strconv.Itoa(run.Final.Epoch)
		if !run.Finished {
			epochs += " (not finished)"
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %.2f%% | %.2f%% | %.4f | %.4f | %.0f |\n", run.Point.Name, run.Point.Seed, epochs,
			100*run.First.TestAcc, 100*run.Final.TestAcc, run.Final.TestLoss, run.Final.TrainLoss, run.Final.WallS)
	}
	_, err := w.Write(b.Bytes())
	return err
}

func vText(v *float64) string {
	if v == nil {
		return "—"
	}
	return strconv.FormatFloat(*v, 'g', 4, 64)
}

// WriteCSV writes one row per configuration.
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"configuration", "role", "settings", "params", "predicted_v", "seeds_finished", "seeds_planned", "steps",
		"first_test_acc_mean", "test_acc_mean", "test_acc_sd", "test_loss_mean", "test_loss_sd", "train_loss_mean", "train_loss_sd", "wall_s_mean"})
	g := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	for _, gr := range r.Groups {
		var settings []string
		for _, s := range gr.Settings {
			settings = append(settings, s.Key+"="+s.Value)
		}
		v := ""
		if gr.V != nil {
			v = g(*gr.V)
		}
		row := []string{gr.Name, gr.Role, strings.Join(settings, ";"), strconv.Itoa(gr.Params), v, strconv.Itoa(gr.Finished), strconv.Itoa(gr.Planned)}
		if gr.Finished == 0 {
			row = append(row, slices.Repeat([]string{""}, 9)...)
		} else {
			row = append(row, strconv.Itoa(gr.Steps), g(gr.FirstTestAcc.Mean), g(gr.TestAcc.Mean), g(gr.TestAcc.SD),
				g(gr.TestLoss.Mean), g(gr.TestLoss.SD), g(gr.TrainLoss.Mean), g(gr.TrainLoss.SD), g(gr.WallS.Mean))
		}
		cw.Write(row)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("report csv: %w", err)
	}
	return nil
}

// Report files written by WriteFiles.
const (
	ReportMarkdown = "report.md"
	ReportCSV      = "report.csv"
	ReportCurves   = "report-curves"
)

// WriteFiles writes report.md, report.csv and report-curves.{svg,png} (each
// configuration's mean curves over its finished seeds, overlaid) into dir.
func (r *Report) WriteFiles(dir string) error {
	var md, cs bytes.Buffer
	if err := r.WriteMarkdown(&md); err != nil {
		return err
	}
	if err := r.WriteCSV(&cs); err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(filepath.Join(dir, ReportMarkdown), md.Bytes()); err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(filepath.Join(dir, ReportCSV), cs.Bytes()); err != nil {
		return err
	}
	var curves []train.RunMetrics
	for _, g := range r.Groups {
		if len(g.Curve) > 0 {
			curves = append(curves, train.RunMetrics{Name: fmt.Sprintf("%s (%d seeds)", g.Name, g.Finished), History: g.Curve})
		}
	}
	if len(curves) == 0 {
		return nil
	}
	for _, ext := range []string{".svg", ".png"} {
		if err := train.PlotRuns(filepath.Join(dir, ReportCurves+ext), curves); err != nil {
			return err
		}
	}
	return nil
}
