package ntk

import "math"

// Law is a finite-width law y = Eval(x, params) for the normalised variance
// as a function of a width-like variable x (the width n, or n/L for depth L).
type Law struct {
	// ID is a short name for the command line ("hanin-nica").
	ID string
	// Name is the formula, written in n.
	Name string
	// Params names the parameters in order.
	Params []string
	// Eval evaluates the law at x.
	Eval func(x float64, p []float64) float64
	// Start guesses parameters from the data, for the iterative fit.
	Start func(xs, ys []float64) []float64
}

// InverseWidth is V = a/n, the leading finite-width term.
var InverseWidth = Law{
	ID:     "inverse",
	Name:   "a/n",
	Params: []string{"a"},
	Eval:   func(x float64, p []float64) float64 { return p[0] / x },
	Start: func(xs, ys []float64) []float64 {
		return []float64{meanOf(xs, ys, func(x, y float64) float64 { return x * y })}
	},
}

// InverseQuadratic is V = a/n + b/n², the next order of the 1/n expansion.
var InverseQuadratic = Law{
	ID:     "inverse-quadratic",
	Name:   "a/n + b/n^2",
	Params: []string{"a", "b"},
	Eval:   func(x float64, p []float64) float64 { return p[0]/x + p[1]/(x*x) },
	Start: func(xs, ys []float64) []float64 {
		return []float64{meanOf(xs, ys, func(x, y float64) float64 { return x * y }), 0}
	},
}

// ExpInverse is V = exp(c/x) − 1, Hanin & Nica's law in x = n/L (their c
// is 5 for a deep ReLU MLP); HaninNica is the same law in n at a fixed L.
var ExpInverse = Law{
	ID:     "exp-inverse",
	Name:   "exp(c/n) - 1",
	Params: []string{"c"},
	Eval:   func(x float64, p []float64) float64 { return math.Expm1(p[0] / x) },
	Start: func(xs, ys []float64) []float64 {
		return []float64{meanOf(xs, ys, func(x, y float64) float64 { return x * math.Log1p(math.Max(y, 0)) })}
	},
}

// PowerLaw is V = a·n^−p.
var PowerLaw = Law{
	ID:     "power",
	Name:   "a*n^-p",
	Params: []string{"a", "p"},
	Eval:   func(x float64, p []float64) float64 { return p[0] * math.Pow(x, -p[1]) },
	Start: func(xs, ys []float64) []float64 {
		a := meanOf(xs, ys, func(x, y float64) float64 { return x * y })
		return []float64{a, 1}
	},
}

// InverseWidthFloor is V = b + a/n: a width-independent floor b from the
// parts of a network that do not shrink with n (stem, residual stream,
// classifier) plus the leading finite-width term.
var InverseWidthFloor = Law{
	ID:     "inverse-floor",
	Name:   "b + a/n",
	Params: []string{"a", "b"},
	Eval:   func(x float64, p []float64) float64 { return p[1] + p[0]/x },
	Start: func(xs, ys []float64) []float64 {
		return []float64{meanOf(xs, ys, func(x, y float64) float64 { return x * y }) / 2, meanOf(xs, ys, func(_, y float64) float64 { return y }) / 2}
	},
}

// HaninNica is V = exp(b·L/n) − 1 for a network whose width-n layers add
// up to depth L (Σ_i n/n_i over the layers whose width n_i scales with n):
// Hanin & Nica's E[K²]/E[K]² ≃ exp(5·Σ_i 1/n_i) for deep ReLU MLPs, where
// b = 5.
func HaninNica(depth float64) Law {
	return Law{
		ID:     "hanin-nica",
		Name:   "exp(b*L/n) - 1",
		Params: []string{"b"},
		Eval:   func(x float64, p []float64) float64 { return math.Expm1(p[0] * depth / x) },
		Start: func(xs, ys []float64) []float64 {
			return []float64{meanOf(xs, ys, func(x, y float64) float64 { return x * math.Log1p(math.Max(y, 0)) }) / depth}
		},
	}
}

// ScaledExp is V = a·(exp(b/n) − 1): Hanin & Nica's form with a free
// amplitude, for networks where only part of the kernel compounds with
// depth (a residual stream, a shared stem and classifier).
var ScaledExp = Law{
	ID:     "scaled-exp",
	Name:   "a*(exp(b/n) - 1)",
	Params: []string{"a", "b"},
	Eval:   func(x float64, p []float64) float64 { return p[0] * math.Expm1(p[1]/x) },
	Start: func(xs, ys []float64) []float64 {
		return []float64{1, meanOf(xs, ys, func(x, y float64) float64 { return x * math.Log1p(math.Max(y, 0)) })}
	},
}

// WidthLaws are the laws compared for V_1(n) of a network of Hanin–Nica
// depth L (see HaninNica).
func WidthLaws(depth float64) []Law {
	return []Law{InverseWidth, InverseQuadratic, PowerLaw, InverseWidthFloor, HaninNica(depth), ScaledExp}
}

// LawByName returns the law of laws whose ID or Name is name.
func LawByName(laws []Law, name string) (Law, bool) {
	for _, l := range laws {
		if l.ID == name || l.Name == name {
			return l, true
		}
	}
	return Law{}, false
}

// meanOf averages f(x, y) over the points with finite positive y.
func meanOf(xs, ys []float64, f func(x, y float64) float64) float64 {
	var s float64
	var n int
	for i := range xs {
		if ys[i] > 0 && !math.IsInf(ys[i], 0) {
			s += f(xs[i], ys[i])
			n++
		}
	}
	if n == 0 {
		return 1
	}
	return s / float64(n)
}
