package search

import (
	"fmt"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
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

// PlotMeasuredFrontier draws V measured along the budget frontier against
// m, each seed range with its ±1 SE bars, and marks the baseline and the
// pooled optimum; the extension of path (.svg or .png) picks the format.
func PlotMeasuredFrontier(st FrontierStudy, path string) error {
	ext := strings.ToLower(filepath.Ext(path))
	if ext != ".svg" && ext != ".png" {
		return fmt.Errorf("plot %s: want a .svg or .png file", path)
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s on %s: V along the budget of %s", st.Family, st.Dataset, st.Baseline)
	p.X.Label.Text = "members m (width n: the widest within the budget)"
	p.Y.Label.Text = "V = Var(K)/E[K]^2"
	// V varies by well under a decade along a frontier: a linear axis keeps its ticks.
	p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	for r, seed := range st.Seeds {
		// The two ranges sit 3 % apart in m so that their bars do not hide each other.
		shift := 1 + 0.03*float64(2*r-1)
		pts := make(plotter.XYs, len(st.Points))
		errs := make(plotter.YErrors, len(st.Points))
		for i, fp := range st.Points {
			v := fp.Ranges[r].V
			pts[i] = plotter.XY{X: float64(fp.M) * shift, Y: v.Value}
			errs[i].Low, errs[i].High = v.SE, v.SE
		}
		line, marks, err := plotter.NewLinePoints(pts)
		if err != nil {
			return fmt.Errorf("plot seed %d: %w", seed, err)
		}
		line.Color, marks.Color = plotutil.Color(r), plotutil.Color(r)
		marks.Shape = plotutil.Shape(r)
		bars, err := plotter.NewYErrorBars(struct {
			plotter.XYer
			plotter.YErrorer
		}{pts, errs})
		if err != nil {
			return fmt.Errorf("plot seed %d error bars: %w", seed, err)
		}
		bars.Color = plotutil.Color(r)
		p.Add(line, marks, bars)
		p.Legend.Add(fmt.Sprintf("seed %d", seed), line, marks)
	}
	for _, mark := range []struct {
		i     int
		label string
		glyph draw.GlyphDrawer
	}{{st.Base, "baseline", draw.SquareGlyph{}}, {st.Pooled.Best, "optimum (both seeds)", draw.PyramidGlyph{}}} {
		fp := st.Points[mark.i]
		s, err := plotter.NewScatter(plotter.XYs{{X: float64(fp.M), Y: fp.Pooled.Value}})
		if err != nil {
			return fmt.Errorf("plot %s: %w", mark.label, err)
		}
		s.GlyphStyle.Shape, s.GlyphStyle.Radius = mark.glyph, vg.Points(4)
		p.Add(s)
		p.Legend.Add(mark.label+" "+BaselineName(fp.M, fp.N), s)
	}
	p.Legend.Top = true
	if err := p.Save(6*vg.Inch, 4*vg.Inch, path); err != nil {
		return fmt.Errorf("save plot %s: %w", path, err)
	}
	return nil
}
