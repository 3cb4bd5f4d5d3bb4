package search

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// Objective selects the primal or the dual problem.
type Objective string

// The two searches.
const (
	Primal Objective = "primal"
	Dual   Objective = "dual"
)

// ParseObjective accepts "primal" or "dual".
func ParseObjective(s string) (Objective, error) {
	switch Objective(s) {
	case Primal, Dual:
		return Objective(s), nil
	}
	return "", fmt.Errorf("objective %q: want primal or dual", s)
}

// Point is one configuration: M members of width N, its exact parameter
// count and its ensemble variance V (V_1(N)/M for a CE) with its standard
// error VSE.
type Point struct {
	M      int     `json:"m"`
	N      int     `json:"n"`
	Params int     `json:"params"`
	V      float64 `json:"v"`
	VSE    float64 `json:"v_se"`
	// VMeasured and VMeasuredSE are V measured directly at (M, N), set
	// when the search re-ranks its top configurations.
	VMeasured   float64 `json:"v_measured,omitempty"`
	VMeasuredSE float64 `json:"v_measured_se,omitempty"`
}

// Problem is what a search needs: the exact parameter count, the ensemble
// variance V(m, n) with its standard error, and the grid of integer m and
// n.
type Problem struct {
	Params func(m, n int) (int, error)
	V      func(m, n int) (v, se float64)
	Ms, Ns []int
}

// CE is the collegial-ensemble variance V(m, n) = V_1(n)/m of members
// whose kernels are i.i.d. (exact when they share no parameter).
func CE(v1 func(n int) (v, se float64)) func(m, n int) (float64, float64) {
	return func(m, n int) (float64, float64) {
		v, se := v1(n)
		return v / float64(m), se / float64(m)
	}
}

// Result is a ranked search outcome: Ranked holds the feasible points, best
// first; Budget and Target are the constraints applied (P0 for the primal,
// V0 for the dual).
type Result struct {
	Objective Objective `json:"objective"`
	Baseline  Point     `json:"baseline"`
	Budget    int       `json:"budget,omitempty"`
	Target    float64   `json:"target,omitempty"`
	Ranked    []Point   `json:"ranked"`
	// Law and VModel say how V was computed (set by the caller).
	Law    string `json:"law,omitempty"`
	VModel string `json:"v_model,omitempty"`
	// Reranked is how many of the first Ranked were re-ranked by V
	// measured directly.
	Reranked int `json:"reranked,omitempty"`
	// Grid is every evaluated point, for plotting the frontier.
	Grid []Point `json:"-"`
}

// ErrInfeasible is wrapped when no grid point meets the constraint.
var ErrInfeasible = errors.New("no configuration in the grid meets the constraint")

// Evaluate returns the point (m, n) of p.
func Evaluate(p Problem, m, n int) (Point, error) {
	if m < 1 || n < 1 {
		return Point{}, fmt.Errorf("evaluate m=%d n=%d: m and n must be ≥ 1", m, n)
	}
	params, err := p.Params(m, n)
	if err != nil {
		return Point{}, fmt.Errorf("parameters of m=%d n=%d: %w", m, n, err)
	}
	v, se := p.V(m, n)
	if math.IsNaN(v) || v <= 0 {
		return Point{}, fmt.Errorf("V(m=%d, n=%d) = %g is not a variance", m, n, v)
	}
	return Point{M: m, N: n, Params: params, V: v, VSE: se}, nil
}

// Grid evaluates every (m, n) of p.
func Grid(p Problem) ([]Point, error) {
	if len(p.Ms) == 0 || len(p.Ns) == 0 {
		return nil, errors.New("search grid is empty")
	}
	pts := make([]Point, 0, len(p.Ms)*len(p.Ns))
	for _, m := range p.Ms {
		for _, n := range p.Ns {
			pt, err := Evaluate(p, m, n)
			if err != nil {
				return nil, err
			}
			pts = append(pts, pt)
		}
	}
	return pts, nil
}

// MinimizeV solves the primal: the points with Params ≤ budget, ordered by
// V, then Params, then m.
func MinimizeV(grid []Point, budget int) ([]Point, error) {
	var out []Point
	smallest := math.MaxInt
	for _, pt := range grid {
		smallest = min(smallest, pt.Params)
		if pt.Params <= budget {
			out = append(out, pt)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("budget of %d parameters is below the smallest model in the grid (%d): %w", budget, smallest, ErrInfeasible)
	}
	sort.SliceStable(out, func(a, b int) bool { return byV(out[a], out[b]) })
	return out, nil
}

// MinimizeParams solves the dual: the points with V ≤ target, ordered by
// Params, then V, then m.
func MinimizeParams(grid []Point, target float64) ([]Point, error) {
	var out []Point
	lowest := math.Inf(1)
	for _, pt := range grid {
		lowest = math.Min(lowest, pt.V)
		if pt.V <= target {
			out = append(out, pt)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("target V ≤ %g is below the lowest V in the grid (%g): %w", target, lowest, ErrInfeasible)
	}
	sort.SliceStable(out, func(a, b int) bool { return byParams(out[a], out[b]) })
	return out, nil
}

// byV orders by V, then fewer parameters, then fewer members.
func byV(a, b Point) bool {
	if a.V != b.V {
		return a.V < b.V
	}
	if a.Params != b.Params {
		return a.Params < b.Params
	}
	return a.M < b.M
}

// byParams orders by parameters, then lower V, then fewer members.
func byParams(a, b Point) bool {
	if a.Params != b.Params {
		return a.Params < b.Params
	}
	if a.V != b.V {
		return a.V < b.V
	}
	return a.M < b.M
}

// Run evaluates the grid and the baseline (bm, bn) and solves the objective.
// A budget > 0 replaces P0 = Params(bm, bn) and a target > 0 replaces
// V0 = V(bm, bn).
func Run(p Problem, obj Objective, bm, bn, budget int, target float64) (Result, error) {
	base, err := Evaluate(p, bm, bn)
	if err != nil {
		return Result{}, fmt.Errorf("baseline %s: %w", BaselineName(bm, bn), err)
	}
	grid, err := Grid(p)
	if err != nil {
		return Result{}, err
	}
	res := Result{Objective: obj, Baseline: base, Grid: grid}
	switch obj {
	case Primal:
		res.Budget = base.Params
		if budget > 0 {
			res.Budget = budget
		}
		res.Ranked, err = MinimizeV(grid, res.Budget)
	case Dual:
		res.Target = base.V
		if target > 0 {
			res.Target = target
		}
		res.Ranked, err = MinimizeParams(grid, res.Target)
	default:
		return Result{}, fmt.Errorf("objective %q: want primal or dual", obj)
	}
	if err != nil {
		return Result{}, fmt.Errorf("%s search: %w", obj, err)
	}
	return res, nil
}

// Frontier returns the Pareto frontier of points in (Params, V): the points
// no other point beats in both, ordered by Params.
func Frontier(pts []Point) []Point {
	s := append([]Point(nil), pts...)
	sort.SliceStable(s, func(a, b int) bool { return byParams(s[a], s[b]) })
	var out []Point
	best := math.Inf(1)
	for _, pt := range s {
		if pt.V < best {
			out = append(out, pt)
			best = pt.V
		}
	}
	return out
}
