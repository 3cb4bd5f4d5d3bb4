package search

import (
	"fmt"
	"math"
	"sort"

	"github.com/collegium/collegium/pkg/ntk"
)

// The members laws: how V(m, n) follows from V_1(n).
const (
	// MembersCE is the collegial-ensemble law V(m, n) = V_1(n)/m, exact
	// when members share no parameter (MLP-CE, ConvNet-CE).
	MembersCE = "ce"
	// MembersMeasured is V(m, n) = V_1(n)·m^q(n) with the exponent q
	// measured on a grid of (m, n) (Architecture.MeasureMembers): for
	// networks whose members share parameters (a ResNeXt's stem, residual
	// stream and classifier), where 1/m is only an assumption.
	MembersMeasured = "measured"
)

// Surface is V(m, n) = V_1(n)·m^q(n) with q measured at the grid's widths
// and interpolated linearly in ln n between them (held constant beyond
// the smallest and the largest).
type Surface struct {
	V1 V1
	// Widths and Q are the grid's widths and fitted exponents with their
	// SEs, by increasing width.
	Widths []int
	Q, QSE []float64
}

// NewSurface takes the exponents of a measured grid.
func NewSurface(v1 V1, g MembersGrid) (Surface, error) {
	if len(g.Slopes) == 0 {
		return Surface{}, fmt.Errorf("members surface: the grid has no fitted exponent (measure at least two m)")
	}
	s := Surface{V1: v1}
	slopes := append([]MembersSlope(nil), g.Slopes...)
	sort.Slice(slopes, func(a, b int) bool { return slopes[a].N < slopes[b].N })
	for _, sl := range slopes {
		s.Widths = append(s.Widths, sl.N)
		s.Q = append(s.Q, sl.Slope.Slope)
		s.QSE = append(s.QSE, sl.Slope.SE)
	}
	return s, nil
}

// Exponent is q(n) and its SE.
func (s Surface) Exponent(n int) (float64, float64) {
	k := len(s.Widths)
	switch {
	case n <= s.Widths[0]:
		return s.Q[0], s.QSE[0]
	case n >= s.Widths[k-1]:
		return s.Q[k-1], s.QSE[k-1]
	}
	i := sort.SearchInts(s.Widths, n)
	if s.Widths[i] == n {
		return s.Q[i], s.QSE[i]
	}
	lo, hi := math.Log(float64(s.Widths[i-1])), math.Log(float64(s.Widths[i]))
	t := (math.Log(float64(n)) - lo) / (hi - lo)
	return (1-t)*s.Q[i-1] + t*s.Q[i], math.Hypot((1-t)*s.QSE[i-1], t*s.QSE[i])
}

// V is V(m, n) with its SE, from V_1's error and q's (ln V has variance
// (SE_1/V_1)² + (ln m·SE_q)²).
func (s Surface) V(m, n int) (float64, float64) {
	v1, se1 := s.V1.At(n)
	q, seq := s.Exponent(n)
	lm := math.Log(float64(m))
	v := v1 * math.Exp(q*lm)
	rel := math.Hypot(se1/v1, lm*seq)
	return v, v * rel
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
