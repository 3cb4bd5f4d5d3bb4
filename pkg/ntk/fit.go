package ntk

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// Fit is a law fitted by weighted least squares to points (x, y ± se).
type Fit struct {
	Law     string    `json:"law"`
	Names   []string  `json:"names"`
	Params  []float64 `json:"params"`
	ParamSE []float64 `json:"param_se"`
	// WSSE is Σ((y − f(x))/se)², the χ² of the fit.
	WSSE float64 `json:"wsse"`
	// AIC is WSSE + 2k for k parameters (Gaussian errors of known scale).
	AIC    float64 `json:"aic"`
	Points int     `json:"points"`
	law    Law
}

// Eval evaluates the fitted law at x.
func (f Fit) Eval(x float64) float64 { return f.law.Eval(x, f.Params) }

// ErrBadData is wrapped by errors about points that cannot be fitted.
var ErrBadData = errors.New("bad data for fit")

// FitLaw fits law to the points by Levenberg–Marquardt on the weighted
// residuals (y − f(x))/se. Every se must be positive and finite.
func FitLaw(law Law, xs, ys, ses []float64) (Fit, error) {
	if err := checkPoints(xs, ys, ses); err != nil {
		return Fit{}, fmt.Errorf("fit %s: %w", law.Name, err)
	}
	k := len(law.Params)
	if len(xs) < k {
		return Fit{}, fmt.Errorf("fit %s: %d points for %d parameters: %w", law.Name, len(xs), k, ErrBadData)
	}
	p := law.Start(xs, ys)
	chi := chi2(law, p, xs, ys, ses)
	lambda := 1e-3
	jtj := make([][]float64, k)
	for it := 0; it < 500; it++ {
		j := jacobian(law, p, xs, ses)
		jtr := make([]float64, k)
		for a := range k {
			jtj[a] = make([]float64, k)
			for b := range k {
				for i := range xs {
					jtj[a][b] += j[i][a] * j[i][b]
				}
			}
			for i := range xs {
				jtr[a] += j[i][a] * (ys[i] - law.Eval(xs[i], p)) / ses[i]
			}
		}
		improved := false
		for lambda < 1e12 {
			m := make([][]float64, k)
			for a := range k {
				m[a] = append([]float64(nil), jtj[a]...)
				m[a][a] += lambda * math.Max(jtj[a][a], 1e-300)
			}
			step, ok := solve(m, jtr)
			if !ok {
				lambda *= 10
				continue
			}
			q := make([]float64, k)
			for a := range k {
				q[a] = p[a] + step[a]
			}
			c := chi2(law, q, xs, ys, ses)
			if c < chi {
				rel := (chi - c) / math.Max(chi, 1e-300)
				p, chi, improved = q, c, true
				lambda = math.Max(lambda/10, 1e-12)
				if rel < 1e-12 {
					improved = false
				}
				break
			}
			lambda *= 10
		}
		if !improved {
			break
		}
	}
	cov, ok := invert(jtjAt(law, p, xs, ses))
	se := make([]float64, k)
	for a := range k {
		se[a] = math.NaN()
		if ok && cov[a][a] >= 0 {
			se[a] = math.Sqrt(cov[a][a])
		}
	}
	return Fit{
		Law: law.Name, Names: law.Params, Params: p, ParamSE: se,
		WSSE: chi, AIC: chi + 2*float64(k), Points: len(xs), law: law,
	}, nil
}

// FitAll fits every law and returns the fits ordered by AIC, best first.
func FitAll(laws []Law, xs, ys, ses []float64) ([]Fit, error) {
	fits := make([]Fit, 0, len(laws))
	for _, l := range laws {
		f, err := FitLaw(l, xs, ys, ses)
		if err != nil {
			return nil, err
		}
		fits = append(fits, f)
	}
	sort.SliceStable(fits, func(a, b int) bool { return fits[a].AIC < fits[b].AIC })
	return fits, nil
}

func checkPoints(xs, ys, ses []float64) error {
	if len(xs) != len(ys) || len(xs) != len(ses) {
		return fmt.Errorf("%d x, %d y, %d se: %w", len(xs), len(ys), len(ses), ErrBadData)
	}
	for i := range xs {
		if !(ses[i] > 0) || math.IsInf(ses[i], 0) || math.IsNaN(ys[i]) || math.IsInf(ys[i], 0) || !(xs[i] > 0) {
			return fmt.Errorf("point %d (x %g, y %g, se %g): %w", i, xs[i], ys[i], ses[i], ErrBadData)
		}
	}
	return nil
}

func chi2(law Law, p, xs, ys, ses []float64) float64 {
	var c float64
	for i := range xs {
		r := (ys[i] - law.Eval(xs[i], p)) / ses[i]
		c += r * r
	}
	if math.IsNaN(c) {
		return math.Inf(1)
	}
	return c
}

// jacobian returns ∂(f(x_i)/se_i)/∂p_a by central differences.
func jacobian(law Law, p, xs, ses []float64) [][]float64 {
	j := make([][]float64, len(xs))
	q := append([]float64(nil), p...)
	for i := range xs {
		j[i] = make([]float64, len(p))
		for a := range p {
			h := 1e-6 * math.Max(math.Abs(p[a]), 1e-3)
			q[a] = p[a] + h
			up := law.Eval(xs[i], q)
			q[a] = p[a] - h
			down := law.Eval(xs[i], q)
			q[a] = p[a]
			j[i][a] = (up - down) / (2 * h) / ses[i]
		}
	}
	return j
}

func jtjAt(law Law, p, xs, ses []float64) [][]float64 {
	j := jacobian(law, p, xs, ses)
	m := make([][]float64, len(p))
	for a := range p {
		m[a] = make([]float64, len(p))
		for b := range p {
			for i := range xs {
				m[a][b] += j[i][a] * j[i][b]
			}
		}
	}
	return m
}

// solve solves m·x = b by Gaussian elimination with partial pivoting.
func solve(m [][]float64, b []float64) ([]float64, bool) {
	k := len(b)
	a := make([][]float64, k)
	for i := range k {
		a[i] = append(append([]float64(nil), m[i]...), b[i])
	}
	for c := range k {
		piv := c
		for r := c + 1; r < k; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[piv][c]) {
				piv = r
			}
		}
		if a[piv][c] == 0 || math.IsNaN(a[piv][c]) {
			return nil, false
		}
		a[c], a[piv] = a[piv], a[c]
		for r := c + 1; r < k; r++ {
			f := a[r][c] / a[c][c]
			for cc := c; cc <= k; cc++ {
				a[r][cc] -= f * a[c][cc]
			}
		}
	}
	x := make([]float64, k)
	for r := k - 1; r >= 0; r-- {
		s := a[r][k]
		for c := r + 1; c < k; c++ {
			s -= a[r][c] * x[c]
		}
		x[r] = s / a[r][r]
	}
	return x, true
}

func invert(m [][]float64) ([][]float64, bool) {
	k := len(m)
	inv := make([][]float64, k)
	for i := range k {
		inv[i] = make([]float64, k)
	}
	for c := range k {
		e := make([]float64, k)
		e[c] = 1
		x, ok := solve(m, e)
		if !ok {
			return nil, false
		}
		for r := range k {
			inv[r][c] = x[r]
		}
	}
	return inv, true
}
