package ntk

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
)

// Distribution is a positive random variable with a known normalised
// variance V = Var/E², standing in for K(x, x) over initialisations in
// checks of the estimators.
type Distribution struct {
	Name string
	// V is the exact Var/E².
	V float64
	// Draw draws one value.
	Draw func(r *rand.Rand) float64
}

// GammaDist is Gamma(k, 1): V = 1/k, light tailed (K(x, x) of a linear net
// is χ², a gamma).
func GammaDist(k float64) Distribution {
	return Distribution{Name: fmt.Sprintf("gamma(k=%g)", k), V: 1 / k, Draw: func(r *rand.Rand) float64 { return gamma(r, k) }}
}

// LogNormalDist is exp(σ·Z): V = exp(σ²) − 1, Hanin & Nica's limit law of
// K(x, x), whose tail grows heavy as σ grows.
func LogNormalDist(sigma float64) Distribution {
	return Distribution{Name: fmt.Sprintf("lognormal(σ=%g)", sigma), V: math.Expm1(sigma * sigma),
		Draw: func(r *rand.Rand) float64 { return math.Exp(sigma * r.NormFloat64()) }}
}

// ParetoDist is Pareto(α) with scale 1: V = 1/(α(α − 2)) for α > 2; its
// fourth moment, and with it the variance of a sample variance, is finite
// only for α > 4.
func ParetoDist(alpha float64) Distribution {
	return Distribution{Name: fmt.Sprintf("pareto(α=%g)", alpha), V: 1 / (alpha * (alpha - 2)),
		Draw: func(r *rand.Rand) float64 { return math.Pow(1-r.Float64(), -1/alpha) }}
}

// gamma draws Gamma(k, 1) (Marsaglia & Tsang; k < 1 by boosting).
func gamma(r *rand.Rand, k float64) float64 {
	if k < 1 {
		return gamma(r, k+1) * math.Pow(r.Float64(), 1/k)
	}
	d := k - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := r.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := r.Float64()
		if math.Log(u) < 0.5*x*x+d-d*v+d*math.Log(v) {
			return d * v
		}
	}
}

// CoverageResult is how often an estimator's 95% interval V̂ ± 1.96·SE
// covered the true V over replicate experiments.
type CoverageResult struct {
	Dist     string  `json:"dist"`
	V        float64 `json:"v"`
	Rule     string  `json:"rule"`
	Reps     int     `json:"reps"`
	MeanN    float64 `json:"mean_n"`
	MeanV    float64 `json:"mean_v"`
	Jack     float64 `json:"jackknife_coverage"`
	Boot     float64 `json:"bootstrap_coverage"`
	Robust   float64 `json:"robust_coverage"`
	MeanRelS float64 `json:"mean_rel_se"`
	// SpreadOverSE is the ratio of the spread of V̂ across replicates to the
	// mean jackknife SE: 1 when the SE is right, above 1 when it
	// understates the error.
	SpreadOverSE float64 `json:"spread_over_se"`
}

// Coverage runs reps replicate measurements of dist under the sampling
// rule (the sequential stop included) with one kernel entry per draw, and
// reports how often the jackknife and the bootstrap intervals covered the
// true V, and the spread of V̂ against the mean SE.
func Coverage(dist Distribution, rule Sampling, reps int, seed uint64) (CoverageResult, error) {
	if err := rule.Validate(); err != nil {
		return CoverageResult{}, err
	}
	res := CoverageResult{Dist: dist.Name, V: dist.V, Rule: rule.String(), Reps: reps}
	cfg := SummaryConfig{Resamples: 100, Seed: seed}
	var vs []float64
	var sumSE float64
	for rep := range reps {
		r := rand.New(rand.NewPCG(seed, uint64(rep)))
		s := Samples{Inputs: 1}
		n := rule.Min
		var sum Summary
		for {
			for len(s.Kernels) < n {
				s.Kernels = append(s.Kernels, []float64{dist.Draw(r)})
			}
			e, err := diagV(s, cfg.JackknifeBlocks)
			if err != nil {
				return CoverageResult{}, err
			}
			if n >= rule.Max || e.RelSE() <= rule.RelSE {
				if sum, err = Summarize(s, cfg); err != nil {
					return CoverageResult{}, err
				}
				break
			}
			n = min(n+rule.Block, rule.Max)
		}
		e := sum.VDiag
		if math.Abs(e.Value-dist.V) <= 1.96*e.SE {
			res.Jack++
		}
		if math.Abs(e.Value-dist.V) <= 1.96*e.BootSE {
			res.Boot++
		}
		if sum.Halves != nil && math.Abs(e.Value-dist.V) <= 1.96*math.Max(e.SE, math.Abs(sum.Halves.First.Value-sum.Halves.Second.Value)/2) {
			res.Robust++
		}
		res.MeanN += float64(n)
		res.MeanRelS += e.RelSE()
		sumSE += e.SE
		vs = append(vs, e.Value)
	}
	k := float64(reps)
	res.Jack /= k
	res.Boot /= k
	res.Robust /= k
	res.MeanN /= k
	res.MeanRelS /= k
	mean, v := meanVar(vs)
	res.MeanV = mean
	res.SpreadOverSE = math.Sqrt(v) / (sumSE / k)
	return res, nil
}

// WriteCoverage writes coverage results as a Markdown table.
func WriteCoverage(w io.Writer, rs []CoverageResult) {
	fmt.Fprintln(w, "| distribution | true V | rule | mean samples | mean V̂ | jackknife coverage | bootstrap coverage | robust coverage | spread of V̂ / mean SE |")
	fmt.Fprintln(w, "|---|---:|---|---:|---:|---:|---:|---:|---:|")
	for _, r := range rs {
		fmt.Fprintf(w, "| %s | %.4g | %s | %.0f | %.4g | %.1f%% | %.1f%% | %.1f%% | %.2f |\n",
			r.Dist, r.V, r.Rule, r.MeanN, r.MeanV, 100*r.Jack, 100*r.Boot, 100*r.Robust, r.SpreadOverSE)
	}
}
