package search

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/collegium/collegium/pkg/ntk"
)

// The members laws: how V(m, n) follows from V_1(n).
const (
	// MembersCE is the collegial-ensemble law V(m, n) = V_1(n)/m, exact
	// when members share no parameter (MLP-CE, ConvNet-CE).
	MembersCE = "ce"
	// MembersMeasured fits a Surface to V(m, n) measured on a grid of
	// (m, n) (Architecture.MeasureMembers): for networks whose members
	// share parameters (a ResNeXt's stem, residual stream and
	// classifier), where 1/m is only an assumption.
	MembersMeasured = "measured"
)

// The forms of a Surface.
const (
	// SurfacePower is V(m, n) = V_1(n)·m^q(n).
	SurfacePower = "V_1(n)·m^q(n)"
	// SurfaceFloor is V(m, n) = c(n) + (V_1(n) − c(n))/m: the kernel's
	// variance from the members falls as 1/m and leaves a floor c from
	// what they share (and its covariance with them).
	SurfaceFloor = "c(n) + (V_1(n) − c(n))/m"
	// SurfaceWidth is V(m, n) = κ·V_1(m^α·n) for m ≥ 2 (V_1(n) at m = 1):
	// V set by the bottleneck's total width m·n, as when the members
	// share dense layers around their grouped one (a ResNeXt's 1×1
	// convolutions span all m·n channels); α = 1 is the total width
	// alone, α = 0 no effect of m.
	SurfaceWidth = "κ·V_1(m^α·n)"
)

// Surface is a law of V(m, n) anchored at V_1(n) with one parameter per
// grid width (q or c, by Form), fitted to the grid's cells, interpolated
// linearly in ln n between the grid's widths and held beyond them.
type Surface struct {
	Form string
	V1   V1
	// Widths, P and PSE are the grid's widths, by increasing width, and
	// the fitted parameter with its SE at each (power and floor forms).
	Widths []int
	P, PSE []float64
	// Kappa and Alpha, with their SEs, are SurfaceWidth's two parameters.
	Kappa, Alpha, KappaSE, AlphaSE float64
}

// NewSurface fits the surface of form to the grid: for SurfacePower the
// log-log slope of V against m at each width, for SurfaceFloor the
// weighted least-squares floor c of V(m, n) − V_1(n)/m = c·(1 − 1/m) over
// m > 1, clamped at 0, its SE scaled by √(χ²/dof) when above 1.
func NewSurface(form string, v1 V1, g MembersGrid) (Surface, error) {
	s := Surface{Form: form, V1: v1}
	switch form {
	case SurfacePower:
		slopes := append([]MembersSlope(nil), g.Slopes...)
		sort.Slice(slopes, func(a, b int) bool { return slopes[a].N < slopes[b].N })
		for _, sl := range slopes {
			s.Widths, s.P, s.PSE = append(s.Widths, sl.N), append(s.P, sl.Slope.Slope), append(s.PSE, sl.Slope.SE)
		}
	case SurfaceFloor:
		byN := map[int][]MembersCell{}
		for _, c := range g.Cells {
			if c.M > 1 {
				byN[c.N] = append(byN[c.N], c)
			}
		}
		for n := range byN {
			s.Widths = append(s.Widths, n)
		}
		sort.Ints(s.Widths)
		for _, n := range s.Widths {
			c, se := floorAt(v1, n, byN[n])
			s.P, s.PSE = append(s.P, c), append(s.PSE, se)
		}
	case SurfaceWidth:
		return widthSurface(v1, g)
	default:
		return Surface{}, fmt.Errorf("members surface %q: %w", form, ErrUnknown)
	}
	if len(s.Widths) == 0 {
		return Surface{}, fmt.Errorf("members surface: the grid has no width measured at two or more m")
	}
	return s, nil
}

// widthSurface fits κ and α of SurfaceWidth to the cells with m ≥ 2 by
// weighted least squares (the cells are indexed 1, 2, … as the fit's x).
func widthSurface(v1 V1, g MembersGrid) (Surface, error) {
	var cells []MembersCell
	var xs, ys, ses []float64
	for _, c := range g.Cells {
		if c.M > 1 {
			e := c.Point.Summary.VDiag
			cells = append(cells, c)
			xs, ys, ses = append(xs, float64(len(cells))), append(ys, e.Value), append(ses, math.Max(e.SE, 0.01*e.Value))
		}
	}
	if len(cells) < 3 {
		return Surface{}, fmt.Errorf("members surface: %d cells with m ≥ 2, want at least 3", len(cells))
	}
	law := ntk.Law{
		ID: "width", Name: SurfaceWidth, Params: []string{"κ", "α"},
		Eval: func(x float64, p []float64) float64 {
			c := cells[int(x)-1]
			return p[0] * v1.Fits[0].Eval(math.Pow(float64(c.M), p[1])*float64(c.N))
		},
		Start: func(_, _ []float64) []float64 { return []float64{1, 1} },
	}
	f, err := ntk.FitLaw(law, xs, ys, ses)
	if err != nil {
		return Surface{}, fmt.Errorf("members surface: %w", err)
	}
	return Surface{Form: SurfaceWidth, V1: v1, Kappa: f.Params[0], Alpha: f.Params[1], KappaSE: f.ParamSE[0], AlphaSE: f.ParamSE[1]}, nil
}

// floorAt fits c in V(m, n) − V_1(n)/m = c·(1 − 1/m) to the cells.
func floorAt(v1 V1, n int, cells []MembersCell) (float64, float64) {
	base, _ := v1.At(n)
	var sxy, sxx float64
	for _, c := range cells {
		e := c.Point.Summary.VDiag
		x := 1 - 1/float64(c.M)
		w := 1 / math.Pow(math.Max(e.SE, 0.01*e.Value), 2)
		sxy += w * x * (e.Value - base/float64(c.M))
		sxx += w * x * x
	}
	c := sxy / sxx
	var chi float64
	for _, cl := range cells {
		e := cl.Point.Summary.VDiag
		r := (e.Value - base/float64(cl.M) - c*(1-1/float64(cl.M))) / math.Max(e.SE, 0.01*e.Value)
		chi += r * r
	}
	se := 1 / math.Sqrt(sxx)
	if dof := len(cells) - 1; dof > 0 && chi/float64(dof) > 1 {
		se *= math.Sqrt(chi / float64(dof))
	}
	return math.Max(c, 0), se
}

// Param is the surface's parameter at width n (q or c) and its SE.
func (s Surface) Param(n int) (float64, float64) {
	k := len(s.Widths)
	switch {
	case n <= s.Widths[0]:
		return s.P[0], s.PSE[0]
	case n >= s.Widths[k-1]:
		return s.P[k-1], s.PSE[k-1]
	}
	i := sort.SearchInts(s.Widths, n)
	if s.Widths[i] == n {
		return s.P[i], s.PSE[i]
	}
	lo, hi := math.Log(float64(s.Widths[i-1])), math.Log(float64(s.Widths[i]))
	t := (math.Log(float64(n)) - lo) / (hi - lo)
	return (1-t)*s.P[i-1] + t*s.P[i], math.Hypot((1-t)*s.PSE[i-1], t*s.PSE[i])
}

// V is V(m, n) with its SE propagated from V_1's and the parameters'.
func (s Surface) V(m, n int) (float64, float64) {
	if s.Form == SurfaceWidth {
		if m == 1 {
			return s.V1.At(n)
		}
		lm := math.Log(float64(m))
		w := math.Pow(float64(m), s.Alpha) * float64(n)
		f := s.V1.Fits[0]
		v1, se1 := f.Eval(w), f.EvalSE(w)
		h := 1e-4 * w
		dv := (f.Eval(w+h) - f.Eval(w-h)) / (2 * h) * w * lm
		return s.Kappa * v1, math.Sqrt(math.Pow(s.Kappa*se1, 2) + math.Pow(v1*s.KappaSE, 2) + math.Pow(s.Kappa*dv*s.AlphaSE, 2))
	}
	v1, se1 := s.V1.At(n)
	p, sep := s.Param(n)
	if s.Form == SurfaceFloor {
		inv := 1 / float64(m)
		return p + (v1-p)*inv, math.Hypot(se1*inv, (1-inv)*sep)
	}
	lm := math.Log(float64(m))
	v := v1 * math.Exp(p*lm)
	return v, v * math.Hypot(se1/v1, lm*sep)
}

// FitSurface fits both forms to the grid and returns the one that
// predicts the grid's cells better (Score; each form has one parameter
// per width), with a sentence saying so.
func FitSurface(v1 V1, g MembersGrid) (Surface, string, error) {
	var best Surface
	bestScore := math.Inf(1)
	var parts []string
	var errs []error
	for _, form := range []string{SurfaceWidth, SurfaceFloor, SurfacePower} {
		s, err := NewSurface(form, v1, g)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		sc := Score(g, s.V)
		parts = append(parts, fmt.Sprintf("%s %.3g", form, sc))
		if sc < bestScore {
			best, bestScore = s, sc
		}
	}
	if best.Form == "" {
		return Surface{}, "", errors.Join(errs...)
	}
	var ps []string
	name := map[string]string{SurfacePower: "q", SurfaceFloor: "c"}[best.Form]
	for i, n := range best.Widths {
		ps = append(ps, fmt.Sprintf("%s(%d) = %.3g ± %.2g", name, n, best.P[i], best.PSE[i]))
	}
	if best.Form == SurfaceWidth {
		ps = []string{fmt.Sprintf("κ = %.3g ± %.2g, α = %.3g ± %.2g", best.Kappa, best.KappaSE, best.Alpha, best.AlphaSE)}
	}
	reason := fmt.Sprintf("V(m, n) = %s with %s, fitted to V measured on m ∈ %v (mean z² on the grid: %s, V_1(n)/m %.3g)",
		best.Form, strings.Join(ps, ", "), gridMembers(g), strings.Join(parts, ", "), Score(g, CE(v1.At)))
	return best, reason, nil
}

// gridMembers lists the members measured in g.
func gridMembers(g MembersGrid) []int {
	seen := map[int]bool{}
	var ms []int
	for _, c := range g.Cells {
		if !seen[c.M] {
			seen[c.M] = true
			ms = append(ms, c.M)
		}
	}
	sort.Ints(ms)
	return ms
}

// Score is the mean z² with which a V(m, n) law predicts the grid's
// measured cells (m > 1), z the difference over the cell's SE; lower
// predicts better.
func Score(g MembersGrid, v func(m, n int) (float64, float64)) float64 {
	var s float64
	var k int
	for _, c := range g.Cells {
		if c.M == 1 {
			continue
		}
		e := c.Point.Summary.VDiag
		pred, _ := v(c.M, c.N)
		z := (e.Value - pred) / math.Max(e.SE, 0.01*e.Value)
		s += z * z
		k++
	}
	return s / float64(max(k, 1))
}

// rerank measures V directly at the top k configurations of the result
// (and, for the dual, at the baseline, whose measured V becomes the
// target) with the request's sampling rule, and re-ranks them by the
// measured values: the primal by measured V, the dual by parameters among
// those whose measured V is at most the measured V0 (those above it move
// to the end). It guards the answer against a wrong V_1 or members law,
// among the candidates that law proposed.
func (r *Report) rerank(k int) error {
	res := &r.Result
	k = min(k, len(res.Ranked))
	measure := func(p *Point) error {
		s := r.Arch.Measure
		s.Members, s.Width = p.M, p.N
		pt, err := ntk.MeasureSpec(s, r.Request.Scan)
		if err != nil {
			return fmt.Errorf("re-rank: measure %s: %w", BaselineName(p.M, p.N), err)
		}
		p.VMeasured, p.VMeasuredSE = pt.Summary.VDiag.Value, pt.Summary.VDiag.SE
		return nil
	}
	top := res.Ranked[:k]
	for i := range top {
		if err := measure(&top[i]); err != nil {
			return err
		}
	}
	switch res.Objective {
	case Primal:
		sort.SliceStable(top, func(a, b int) bool { return top[a].VMeasured < top[b].VMeasured })
	case Dual:
		if err := measure(&res.Baseline); err != nil {
			return err
		}
		ok := func(p Point) bool { return p.VMeasured <= res.Baseline.VMeasured }
		sort.SliceStable(top, func(a, b int) bool {
			if ok(top[a]) != ok(top[b]) {
				return ok(top[a])
			}
			return byParams(top[a], top[b])
		})
	}
	res.Reranked = k
	return nil
}
