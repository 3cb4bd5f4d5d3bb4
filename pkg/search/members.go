package search

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"

	"github.com/collegium/collegium/pkg/ntk"
)

// MembersCell is V(m, n) measured directly, against the collegial-ensemble
// law V_1(n)/m computed from the measurement at m = 1.
type MembersCell struct {
	M     int           `json:"m"`
	N     int           `json:"n"`
	Point ntk.ScanPoint `json:"point"`
	// CE is V(1, n)/m and CESE its standard error.
	CE   float64 `json:"ce"`
	CESE float64 `json:"ce_se"`
	// Ratio is V(m, n)/CE: 1 where the 1/m law holds.
	Ratio   float64 `json:"ratio"`
	RatioSE float64 `json:"ratio_se"`
}

// MembersSlope is the fitted exponent of V(m, n) ∝ m^Slope at one width
// (−1 for the 1/m law).
type MembersSlope struct {
	N     int       `json:"n"`
	Slope ntk.Slope `json:"slope"`
}

// MembersGrid is V(m, n) measured on a grid of members and widths.
type MembersGrid struct {
	Cells  []MembersCell  `json:"cells"`
	Slopes []MembersSlope `json:"slopes"`
}

// MeasureMembers measures the whole network at every m of ms (1 is added
// when absent: it is the reference) and every width of ns, and compares
// each V(m, n) with V(1, n)/m.
func (a Architecture) MeasureMembers(ms, ns []int, cfg ntk.ScanConfig) (MembersGrid, error) {
	if len(ms) == 0 || len(ns) == 0 {
		return MembersGrid{}, fmt.Errorf("members grid: no members or no widths")
	}
	ms = append([]int{1}, ms...)
	sort.Ints(ms)
	ms = compactInts(ms)
	var g MembersGrid
	total, done := len(ms)*len(ns), 0
	for _, n := range ns {
		var ref ntk.ScanPoint
		var xs, ys, ses []float64
		for _, m := range ms {
			if m < 1 || n < 1 {
				return MembersGrid{}, fmt.Errorf("members grid: m = %d, n = %d: both must be ≥ 1", m, n)
			}
			s := a.Measure
			s.Members, s.Width = m, n
			done++
			if cfg.Log != nil {
				cfg.Log.Debugf("V(m, n) grid: %d×%dd (%d of %d)", m, n, done, total)
			}
			pt, err := ntk.MeasureSpec(s, cfg)
			if err != nil {
				return MembersGrid{}, fmt.Errorf("measure V(%d, %d): %w", m, n, err)
			}
			if m == 1 {
				ref = pt
			}
			v, r := pt.Summary.VDiag, ref.Summary.VDiag
			c := MembersCell{M: m, N: n, Point: pt, CE: r.Value / float64(m), CESE: r.SE / float64(m)}
			c.Ratio = v.Value / c.CE
			c.RatioSE = c.Ratio * math.Hypot(v.RelSE(), r.RelSE())
			if m == 1 {
				c.RatioSE = 0
			}
			g.Cells = append(g.Cells, c)
			xs, ys, ses = append(xs, float64(m)), append(ys, v.Value), append(ses, math.Max(v.SE, 0.01*v.Value))
		}
		if len(ms) < 2 {
			continue
		}
		sl, err := ntk.LogLogSlope(xs, ys, ses)
		if err != nil {
			return MembersGrid{}, fmt.Errorf("members grid: slope at n = %d: %w", n, err)
		}
		g.Slopes = append(g.Slopes, MembersSlope{N: n, Slope: sl})
	}
	return g, nil
}

// compactInts drops adjacent duplicates of a sorted slice.
func compactInts(s []int) []int {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// Write writes the grid as Markdown: one row per cell, then the fitted
// exponent per width.
func (g MembersGrid) Write(w io.Writer) {
	fmt.Fprintln(w, "| m | n | samples | V(m, n) ± SE | V(1, n)/m ± SE | ratio ± SE | kurtosis | split-half z |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, c := range g.Cells {
		s := c.Point.Summary
		z := math.NaN()
		if s.Halves != nil {
			z = s.Halves.Z
		}
		fmt.Fprintf(w, "| %d | %d | %d | %.4g ± %.2g | %.4g ± %.2g | %.3g ± %.2g | %.3g | %.2f |\n",
			c.M, c.N, s.Samples, s.VDiag.Value, s.VDiag.SE, c.CE, c.CESE, c.Ratio, c.RatioSE, s.Tail.Kurtosis, z)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| n | fitted exponent q in V ∝ m^q (1/m: −1) |")
	fmt.Fprintln(w, "|---:|---:|")
	for _, s := range g.Slopes {
		fmt.Fprintf(w, "| %d | %.3f ± %.3f |\n", s.N, s.Slope.Slope, s.Slope.SE)
	}
	var holds, fails []string
	for _, s := range g.Slopes {
		if ok, why := g.Holds(s.N); ok {
			holds = append(holds, fmt.Sprint(s.N))
		} else {
			fails = append(fails, fmt.Sprintf("n = %d (%s)", s.N, why))
		}
	}
	held := "at no width"
	if len(holds) > 0 {
		held = "at n ∈ {" + strings.Join(holds, ", ") + "}"
	}
	fmt.Fprintf(w, "\nVerdict on V(m, n) = V(1, n)/m: holds within 2 SE %s; fails at %s.\n", held, orNone(fails))
}

// Holds says whether the 1/m law holds at width n: the fitted exponent is
// within 2 SE of −1 and every ratio V(m, n)/(V(1, n)/m) within 2 SE of 1.
func (g MembersGrid) Holds(n int) (bool, string) {
	for _, s := range g.Slopes {
		if s.N == n && math.Abs(s.Slope.Slope+1) > 2*s.Slope.SE {
			return false, fmt.Sprintf("exponent %.2f ± %.2f", s.Slope.Slope, s.Slope.SE)
		}
	}
	for _, c := range g.Cells {
		if c.N == n && c.M > 1 && math.Abs(c.Ratio-1) > 2*c.RatioSE {
			return false, fmt.Sprintf("V(%d, %d) is %.2f ± %.2f times V(1, %d)/%d", c.M, n, c.Ratio, c.RatioSE, n, c.M)
		}
	}
	return true, ""
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "no width"
	}
	return strings.Join(s, "; ")
}
