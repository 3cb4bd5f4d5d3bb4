package study

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/collegium/collegium/internal/figure"
)

// Series is a named set of points with y errors, drawn as a line with
// error bars.
type Series struct {
	Name         string
	X, Y, YError []float64
}

// Panel is one log-log or semi-log plot of series.
type Panel struct {
	Title, XLabel, YLabel string
	LogX, LogY            bool
	Series                []Series
}

// PlotPanels draws the panels side by side into path (.svg or .png).
func PlotPanels(path string, panels []Panel) error {
	canvas, err := figure.Canvas(path, vg.Length(len(panels))*12*vg.Centimeter, 10*vg.Centimeter)
	if err != nil {
		return err
	}
	plots := make([][]*plot.Plot, 1)
	for _, pn := range panels {
		p := plot.New()
		p.Title.Text, p.X.Label.Text, p.Y.Label.Text = pn.Title, pn.XLabel, pn.YLabel
		if pn.LogX {
			p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
		}
		if pn.LogY {
			p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
		}
		for i, s := range pn.Series {
			if err := addSeries(p, s, i); err != nil {
				return fmt.Errorf("plot %s: %w", path, err)
			}
		}
		p.Legend.Top = true
		plots[0] = append(plots[0], p)
	}
	dc := draw.New(canvas)
	tiles := draw.Tiles{Rows: 1, Cols: len(panels), PadX: vg.Centimeter, PadY: vg.Centimeter / 2,
		PadTop: vg.Centimeter / 2, PadBottom: vg.Centimeter / 2, PadLeft: vg.Centimeter / 2, PadRight: vg.Centimeter / 2}
	for j, c := range plot.Align(plots, tiles, dc)[0] {
		plots[0][j].Draw(c)
	}
	if err := figure.Write(path, canvas); err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	return nil
}

// addSeries draws s as points joined by a line, with error bars, in the
// i-th colour and glyph.
func addSeries(p *plot.Plot, s Series, i int) error {
	pts := make(plotter.XYs, len(s.X))
	errs := make(plotter.YErrors, len(s.X))
	for k := range s.X {
		pts[k] = plotter.XY{X: s.X[k], Y: s.Y[k]}
		if k < len(s.YError) {
			errs[k].Low, errs[k].High = s.YError[k], s.YError[k]
		}
	}
	line, scatter, err := plotter.NewLinePoints(pts)
	if err != nil {
		return err
	}
	c := plotutil.Color(i)
	line.Color, scatter.Color = c, c
	scatter.Shape = plotutil.Shape(i)
	bars, err := plotter.NewYErrorBars(struct {
		plotter.XYer
		plotter.YErrorer
	}{pts, errs})
	if err != nil {
		return err
	}
	bars.Color = c
	p.Add(line, scatter, bars)
	p.Legend.Add(s.Name, line, scatter)
	return nil
}

// DynamicsSeries returns the relative NTK change against parameters of
// the CEs and of the single networks among rows, named after label.
func DynamicsSeries(label string, rows []DynamicsRow) []Series {
	var out []Series
	for _, kind := range []string{KindCE, KindSingle} {
		s := Series{Name: label + " " + map[string]string{KindCE: "CE m×n", KindSingle: "single"}[kind]}
		for _, r := range rows {
			if r.is(kind) {
				s.X, s.Y, s.YError = append(s.X, float64(r.Params)), append(s.Y, r.RelChange), append(s.YError, zeroNaN(r.RelSE))
			}
		}
		if len(s.X) > 0 {
			out = append(out, s)
		}
	}
	return out
}

// AccuracySeries returns the final test error and training loss of r's
// configurations (mean ± SE over seeds) against their measured V, in
// order of V.
func AccuracySeries(label string, r AccuracyResult) (testErr, trainLoss Series) {
	pts := append([]AccuracyPoint(nil), r.Points...)
	sort.SliceStable(pts, func(a, b int) bool { return pts[a].V.Value < pts[b].V.Value })
	testErr.Name, trainLoss.Name = label, label
	for _, p := range pts {
		var loss, errs []float64
		for _, t := range p.Runs {
			loss, errs = append(loss, t.TrainLoss), append(errs, t.TestErr)
		}
		me, se := MeanSE(errs)
		ml, sl := MeanSE(loss)
		testErr.X, testErr.Y, testErr.YError = append(testErr.X, p.V.Value), append(testErr.Y, me), append(testErr.YError, zeroNaN(se))
		trainLoss.X, trainLoss.Y, trainLoss.YError = append(trainLoss.X, p.V.Value), append(trainLoss.Y, ml), append(trainLoss.YError, zeroNaN(sl))
	}
	return testErr, trainLoss
}

func zeroNaN(x float64) float64 {
	if math.IsNaN(x) {
		return 0
	}
	return x
}
