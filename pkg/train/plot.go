package train

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/collegium/collegium/internal/figure"
)

// RunMetrics is one run's history under the name its curves get.
type RunMetrics struct {
	Name    string
	History []Metrics
}

// PlotRuns draws the loss (train solid, test dashed) and test accuracy
// curves of runs, one colour per run, side by side, to path: PNG when it
// ends in .png, SVG when it ends in .svg.
func PlotRuns(path string, runs []RunMetrics) error {
	canvas, err := figure.Canvas(path, 24*vg.Centimeter, 9*vg.Centimeter)
	if err != nil {
		return err
	}
	loss, acc := plot.New(), plot.New()
	loss.Title.Text, loss.X.Label.Text, loss.Y.Label.Text = "Loss (train solid, test dashed)", "epoch", "cross-entropy"
	acc.Title.Text, acc.X.Label.Text, acc.Y.Label.Text = "Test accuracy", "epoch", "top-1"
	for i, run := range runs {
		c := plotutil.Color(i)
		train, test, top1 := make(plotter.XYs, len(run.History)), make(plotter.XYs, len(run.History)), make(plotter.XYs, len(run.History))
		for j, m := range run.History {
			x := float64(m.Epoch)
			train[j], test[j], top1[j] = plotter.XY{X: x, Y: m.TrainLoss}, plotter.XY{X: x, Y: m.TestLoss}, plotter.XY{X: x, Y: m.TestAcc}
		}
		if err := addLine(loss, train, c, nil, run.Name); err != nil {
			return err
		}
		if err := addLine(loss, test, c, []vg.Length{vg.Points(4), vg.Points(2)}, ""); err != nil {
			return err
		}
		if err := addLine(acc, top1, c, nil, run.Name); err != nil {
			return err
		}
	}
	loss.Legend.Top = true
	plots := [][]*plot.Plot{{loss, acc}}
	dc := draw.New(canvas)
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Centimeter, PadTop: vg.Millimeter, PadBottom: vg.Millimeter, PadLeft: vg.Millimeter, PadRight: vg.Millimeter}
	for j, c := range plot.Align(plots, tiles, dc)[0] {
		plots[0][j].Draw(c)
	}
	return figure.Write(path, canvas)
}

// addLine adds a line (a line with points when it has one point) to p,
// with a legend entry unless name is empty.
func addLine(p *plot.Plot, xys plotter.XYs, c color.Color, dashes []vg.Length, name string) error {
	if len(xys) == 0 {
		return nil
	}
	l, pts, err := plotter.NewLinePoints(xys)
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	l.Color, l.Dashes, pts.Color = c, dashes, c
	pts.Radius = vg.Points(1.5)
	p.Add(l, pts)
	if name != "" {
		p.Legend.Add(name, l)
	}
	return nil
}
