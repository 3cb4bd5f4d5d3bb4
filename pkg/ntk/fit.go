package ntk

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// Fit is a law fitted by weighted least squares to points (x, y ± se).
type Fit struct {
	Law    string    `json:"law"`
	Names  []string  `json:"names"`
	Params []float64 `json:"params"`
	// ParamSE are the parameters' standard errors from the weighted
	// Jacobian, scaled by √(χ²/dof) when that exceeds 1.
	ParamSE []float64 `json:"param_se"`
	// WSSE is Σ((y − f(x))/se)², the χ² of the fit.
	WSSE float64 `json:"wsse"`
	// AIC is WSSE + 2k for k parameters (Gaussian errors of known scale).
	AIC float64 `json:"aic"`
	// CV is the held-out score set by SelectLaw: the mean of z² over the
	// points, z the error of predicting a point from a fit to the others
	// in units of its SE (leave one out); 0 when not scored.
	CV     float64 `json:"cv,omitempty"`
	Points int     `json:"points"`
	law    Law
	cov    [][]float64
	// se replaces the covariance propagation (a model average's SE).
	se func(x float64) float64
}

// ID is the fitted law's short name.
func (f Fit) ID() string { return f.law.ID }

// Eval evaluates the fitted law at x.
func (f Fit) Eval(x float64) float64 { return f.law.Eval(x, f.Params) }

// EvalSE is the standard error of Eval(x) propagated from the parameters'
// covariance (delta method); NaN when the covariance is singular.
func (f Fit) EvalSE(x float64) float64 {
	if f.se != nil {
		return f.se(x)
	}
	if f.cov == nil {
		return math.NaN()
	}
	g := make([]float64, len(f.Params))
	q := append([]float64(nil), f.Params...)
	for a := range q {
		h := 1e-6 * math.Max(math.Abs(q[a]), 1e-3)
		q[a] = f.Params[a] + h
		up := f.law.Eval(x, q)
		q[a] = f.Params[a] - h
		down := f.law.Eval(x, q)
		q[a] = f.Params[a]
		g[a] = (up - down) / (2 * h)
	}
	var v float64
	for a := range g {
		for b := range g {
			v += g[a] * f.cov[a][b] * g[b]
		}
	}
	return math.Sqrt(math.Max(v, 0))
}

// Score is the mean of z² = ((y − Eval(x))/se)² over the points: how well
// the fit predicts data it was not fitted to (e.g. another seed range).
func (f Fit) Score(xs, ys, ses []float64) float64 {
	var s float64
	for i := range xs {
		z := (ys[i] - f.Eval(xs[i])) / ses[i]
		s += z * z
	}
	return s / float64(len(xs))
}

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
	// When the points scatter more than their SEs say (χ²/dof > 1, as
	// heavy-tailed V estimates do), the covariance is scaled up by the
	// reduced χ², never down.
	if dof := len(xs) - k; ok && dof > 0 {
		if r := chi / float64(dof); r > 1 {
			for a := range cov {
				for b := range cov[a] {
					cov[a][b] *= r
				}
			}
		}
	}
	se := make([]float64, k)
	for a := range k {
		se[a] = math.NaN()
		if ok && cov[a][a] >= 0 {
			se[a] = math.Sqrt(cov[a][a])
		}
	}
	f := Fit{
		Law: law.Name, Names: law.Params, Params: p, ParamSE: se,
		WSSE: chi, AIC: chi + 2*float64(k), Points: len(xs), law: law,
	}
	if ok {
		f.cov = cov
	}
	return f, nil
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

// Selection is the outcome of SelectLaw: every fit, best held-out score
// first, and why the first was chosen.
type Selection struct {
	Fits   []Fit  `json:"fits"`
	Reason string `json:"reason"`
}

// SelectLaw fits every law to all points and ranks the laws by held-out
// prediction: each point is predicted by the law fitted to the other
// points (leave one out), and the law with the lowest mean z² (Fit.CV)
// wins. Unlike the in-sample AIC, a law cannot win by bending towards one
// noisy point, and a law that extrapolates badly to the smallest or the
// largest width is penalised, as the search needs. A law whose fit fails
// on some subset scores +Inf.
func SelectLaw(laws []Law, xs, ys, ses []float64) (Selection, error) {
	fits, err := FitAll(laws, xs, ys, ses)
	if err != nil {
		return Selection{}, err
	}
	aicRank := map[string]int{}
	for i, f := range fits {
		aicRank[f.Law] = i + 1
	}
	for i := range fits {
		fits[i].CV = leaveOneOut(fits[i].law, xs, ys, ses)
	}
	sort.SliceStable(fits, func(a, b int) bool { return fits[a].CV < fits[b].CV })
	reason := fmt.Sprintf("%s predicts held-out widths best (leave-one-width-out mean z² %.3g", fits[0].Law, fits[0].CV)
	if len(fits) > 1 {
		reason += fmt.Sprintf(", next %s %.3g", fits[1].Law, fits[1].CV)
	}
	reason += fmt.Sprintf("; in-sample AIC rank %d of %d)", aicRank[fits[0].Law], len(fits))
	return Selection{Fits: fits, Reason: reason}, nil
}

// AverageName is the name of the model average of the width laws.
const AverageName = "held-out-weighted average of the laws"

// ModelAverage averages the fits (scored by SelectLaw) with weights
// w_l ∝ exp(−½·N·(CV_l − CV_min)/ĉ), N the number of points and
// ĉ = max(1, CV_min): the held-out χ² plays the part AIC plays in Akaike
// weights, tempered as in quasi-AIC when even the best law misses the
// points by more than their SEs. Its value at x is Σ w_l f_l(x)
// and its SE includes the spread between laws, √(Σ w_l (SE_l² + (f_l − f̄)²))
// (Buckland et al. 1997), so that an answer the laws disagree on carries
// that disagreement in its error. Its Names are the laws and its Params
// their weights.
func ModelAverage(fits []Fit) Fit {
	best := math.Inf(1)
	for _, f := range fits {
		best = math.Min(best, f.CV)
	}
	chat := math.Max(1, best)
	w := make([]float64, len(fits))
	var total float64
	for i, f := range fits {
		if !math.IsInf(f.CV, 1) && !math.IsNaN(f.CV) {
			w[i] = math.Exp(-0.5 * float64(f.Points) * (f.CV - best) / chat)
			total += w[i]
		}
	}
	avg := Fit{Law: AverageName, Points: fits[0].Points}
	for i, f := range fits {
		w[i] /= total
		avg.Names = append(avg.Names, f.Law)
		avg.Params = append(avg.Params, w[i])
		avg.ParamSE = append(avg.ParamSE, math.NaN())
	}
	eval := func(x float64) float64 {
		var v float64
		for i, f := range fits {
			if w[i] > 0 {
				v += w[i] * f.Eval(x)
			}
		}
		return v
	}
	avg.law = Law{ID: "average", Name: AverageName, Eval: func(x float64, _ []float64) float64 { return eval(x) }}
	avg.se = func(x float64) float64 {
		m := eval(x)
		var v float64
		for i, f := range fits {
			if w[i] > 0 {
				se, d := f.EvalSE(x), f.Eval(x)-m
				if math.IsNaN(se) {
					se = 0
				}
				v += w[i] * (se*se + d*d)
			}
		}
		return math.Sqrt(v)
	}
	return avg
}

// leaveOneOut is the mean z² of predicting each point from a fit of law to
// the others.
func leaveOneOut(law Law, xs, ys, ses []float64) float64 {
	n := len(xs)
	if n <= len(law.Params) {
		return math.Inf(1)
	}
	var s float64
	for i := range n {
		x := append(append([]float64(nil), xs[:i]...), xs[i+1:]...)
		y := append(append([]float64(nil), ys[:i]...), ys[i+1:]...)
		e := append(append([]float64(nil), ses[:i]...), ses[i+1:]...)
		f, err := FitLaw(law, x, y, e)
		if err != nil {
			return math.Inf(1)
		}
		z := (ys[i] - f.Eval(xs[i])) / ses[i]
		if math.IsNaN(z) {
			return math.Inf(1)
		}
		s += z * z
	}
	return s / float64(n)
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
