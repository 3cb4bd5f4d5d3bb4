package study

import (
	"math"
	"math/rand/v2"
	"sort"
)

// Correlation is a rank correlation with a bootstrap 95% interval.
type Correlation struct {
	Rho float64 `json:"rho"`
	Lo  float64 `json:"lo"`
	Hi  float64 `json:"hi"`
}

// Spearman is the Spearman rank correlation of xs and ys (ties get their
// mean rank).
func Spearman(xs, ys []float64) float64 {
	return pearson(ranks(xs), ranks(ys))
}

// SpearmanCI is Spearman's ρ between x and y over configurations with a
// two-level bootstrap 95% percentile interval: configurations are
// resampled, and each drawn configuration contributes the y of one of its
// runs, drawn too, so the interval includes the seed-to-seed noise. ys[i]
// holds configuration i's runs; ρ itself uses their means.
func SpearmanCI(x []float64, ys [][]float64, resamples int, seed uint64) Correlation {
	mean := make([]float64, len(ys))
	for i, runs := range ys {
		for _, v := range runs {
			mean[i] += v / float64(len(runs))
		}
	}
	c := Correlation{Rho: Spearman(x, mean)}
	r := rand.New(rand.NewPCG(seed, 0x5bd1e995))
	var reps []float64
	bx, by := make([]float64, len(x)), make([]float64, len(x))
	for range resamples {
		for i := range x {
			j := r.IntN(len(x))
			bx[i], by[i] = x[j], ys[j][r.IntN(len(ys[j]))]
		}
		if rho := Spearman(bx, by); !math.IsNaN(rho) {
			reps = append(reps, rho)
		}
	}
	sort.Float64s(reps)
	if len(reps) > 0 {
		c.Lo, c.Hi = reps[int(0.025*float64(len(reps)-1))], reps[int(math.Ceil(0.975*float64(len(reps)-1)))]
	}
	return c
}

// ranks returns the ranks of xs (1-based, ties averaged).
func ranks(xs []float64) []float64 {
	idx := make([]int, len(xs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return xs[idx[a]] < xs[idx[b]] })
	out := make([]float64, len(xs))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && xs[idx[j+1]] == xs[idx[i]] {
			j++
		}
		r := float64(i+j)/2 + 1
		for k := i; k <= j; k++ {
			out[idx[k]] = r
		}
		i = j + 1
	}
	return out
}

// pearson is the Pearson correlation of a and b (NaN when either is
// constant).
func pearson(a, b []float64) float64 {
	n := float64(len(a))
	var ma, mb float64
	for i := range a {
		ma += a[i] / n
		mb += b[i] / n
	}
	var sab, saa, sbb float64
	for i := range a {
		sab += (a[i] - ma) * (b[i] - mb)
		saa += (a[i] - ma) * (a[i] - ma)
		sbb += (b[i] - mb) * (b[i] - mb)
	}
	return sab / math.Sqrt(saa*sbb)
}

// MeanSE is the mean of xs and its standard error.
func MeanSE(xs []float64) (mean, se float64) {
	n := float64(len(xs))
	for _, x := range xs {
		mean += x / n
	}
	if len(xs) < 2 {
		return mean, math.NaN()
	}
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / (n - 1) / n)
}
