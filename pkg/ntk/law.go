package ntk

import "math"

// Law is a finite-width law y = Eval(x, params) for the normalised variance
// as a function of a width-like variable x (the width n, or n/L for depth L).
type Law struct {
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
	Name:   "a/n",
	Params: []string{"a"},
	Eval:   func(x float64, p []float64) float64 { return p[0] / x },
	Start: func(xs, ys []float64) []float64 {
		return []float64{meanOf(xs, ys, func(x, y float64) float64 { return x * y })}
	},
}

// InverseQuadratic is V = a/n + b/n², the next order of the 1/n expansion.
var InverseQuadratic = Law{
	Name:   "a/n + b/n^2",
	Params: []string{"a", "b"},
	Eval:   func(x float64, p []float64) float64 { return p[0]/x + p[1]/(x*x) },
	Start: func(xs, ys []float64) []float64 {
		return []float64{meanOf(xs, ys, func(x, y float64) float64 { return x * y }), 0}
	},
}

// ExpInverse is V = exp(c/n) − 1, Hanin & Nica's law with c = 5·L for a
// ReLU MLP of depth L (or c = 5 with x = n/L).
var ExpInverse = Law{
	Name:   "exp(c/n) - 1",
	Params: []string{"c"},
	Eval:   func(x float64, p []float64) float64 { return math.Expm1(p[0] / x) },
	Start: func(xs, ys []float64) []float64 {
		return []float64{meanOf(xs, ys, func(x, y float64) float64 { return x * math.Log1p(math.Max(y, 0)) })}
	},
}

// PowerLaw is V = a·n^−p.
var PowerLaw = Law{
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
	Name:   "b + a/n",
	Params: []string{"a", "b"},
	Eval:   func(x float64, p []float64) float64 { return p[1] + p[0]/x },
	Start: func(xs, ys []float64) []float64 {
		return []float64{meanOf(xs, ys, func(x, y float64) float64 { return x * y }) / 2, meanOf(xs, ys, func(_, y float64) float64 { return y }) / 2}
	},
}

// WidthLaws are the laws compared for V_1(n).
var WidthLaws = []Law{InverseWidth, InverseQuadratic, ExpInverse, PowerLaw, InverseWidthFloor}

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
