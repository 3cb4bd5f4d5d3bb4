package search

import (
	"fmt"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// PlotFrontier draws V against parameters: the grid's Pareto frontier as a
// line, the feasible points, the baseline and the optimum, and saves the
// figure to path (the extension, .svg or .png, picks the format).
func PlotFrontier(r Result, title, path string) error {
	ext := strings.ToLower(filepath.Ext(path))
	if ext != ".svg" && ext != ".png" {
		return fmt.Errorf("plot %s: want a .svg or .png file", path)
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "parameters"
	p.Y.Label.Text = "V = Var(K)/E[K]^2"
	p.X.Scale = plot.LogScale{}
	p.Y.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	front, err := plotter.NewLine(xys(Frontier(r.Grid)))
	if err != nil {
		return fmt.Errorf("plot frontier: %w", err)
	}
	feasible, err := plotter.NewScatter(xys(r.Ranked))
	if err != nil {
		return fmt.Errorf("plot feasible points: %w", err)
	}
	feasible.GlyphStyle.Radius = vg.Points(1)
	base, err := plotter.NewScatter(xys([]Point{r.Baseline}))
	if err != nil {
		return fmt.Errorf("plot baseline: %w", err)
	}
	base.GlyphStyle.Shape = draw.SquareGlyph{}
	base.GlyphStyle.Radius = vg.Points(4)
	best, err := plotter.NewScatter(xys(r.Ranked[:1]))
	if err != nil {
		return fmt.Errorf("plot optimum: %w", err)
	}
	best.GlyphStyle.Shape = draw.PyramidGlyph{}
	best.GlyphStyle.Radius = vg.Points(4)
	p.Add(feasible, front, base, best)
	p.Legend.Add("Pareto frontier", front)
	p.Legend.Add(string(r.Objective)+" feasible", feasible)
	p.Legend.Add("baseline "+BaselineName(r.Baseline.M, r.Baseline.N), base)
	p.Legend.Add("optimum "+BaselineName(r.Ranked[0].M, r.Ranked[0].N), best)
	p.Legend.Top = true
	if err := p.Save(6*vg.Inch, 4*vg.Inch, path); err != nil {
		return fmt.Errorf("save plot %s: %w", path, err)
	}
	return nil
}

func xys(pts []Point) plotter.XYs {
	out := make(plotter.XYs, 0, len(pts))
	for _, pt := range pts {
		if pt.V > 0 {
			out = append(out, plotter.XY{X: float64(pt.Params), Y: pt.V})
		}
	}
	return out
}
