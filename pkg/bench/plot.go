package bench

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// plotSeries names the plotted ops in legend order.
var plotSeries = []struct {
	op    Op
	label string
}{
	{GroupedConv, "grouped conv"},
	{Conv, "dense conv"},
	{BlockDiag, "block-diagonal matmul"},
	{Dense, "dense matmul"},
}

// Plot saves a plot of GFLOP/s versus channels per group (log scale) of the
// verified results of one pass (fwd+bwd when present), one series per op,
// to path; the extension (.png, .svg, .pdf) picks the format.
func Plot(path string, rs []Result) error {
	pass := plotPass(rs)
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Grouped vs dense, %s", pass)
	if len(rs) > 0 {
		p.Title.Text += " on " + rs[0].Device
	}
	p.X.Label.Text = "channels per group"
	p.Y.Label.Text = "GFLOP/s"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Add(plotter.NewGrid())
	var lines []any
	for _, s := range plotSeries {
		var pts plotter.XYs
		for _, r := range rs {
			if r.Op == s.op && r.Pass == pass && r.Figures != nil {
				pts = append(pts, plotter.XY{X: float64(r.PerGroup), Y: r.GFLOPS})
			}
		}
		if len(pts) == 0 {
			continue
		}
		slices.SortFunc(pts, func(a, b plotter.XY) int { return int(a.X - b.X) })
		lines = append(lines, s.label, pts)
	}
	if len(lines) == 0 {
		return fmt.Errorf("plot %s: no verified result to plot", path)
	}
	if err := plotutil.AddLinePoints(p, lines...); err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	p.Legend.Top = true
	if err := CheckPlotPath(path); err != nil {
		return err
	}
	if err := p.Save(16*vg.Centimeter, 10*vg.Centimeter, path); err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	return nil
}

// CheckPlotPath checks that Plot can write path ("" is no plot): its
// extension must name a format.
func CheckPlotPath(path string) error {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".png", ".svg", ".pdf":
		return nil
	}
	if path == "" {
		return nil
	}
	return fmt.Errorf("plot %s: want a .png, .svg or .pdf file", path)
}

// plotPass is fwd+bwd when some result has it, else the first result's.
func plotPass(rs []Result) Pass {
	for _, r := range rs {
		if r.Pass == FwdBwd {
			return FwdBwd
		}
	}
	if len(rs) > 0 {
		return rs[0].Pass
	}
	return FwdBwd
}
