package ntk

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// Samples holds Monte-Carlo draws of an empirical kernel on Inputs inputs:
// Kernels[s] is the Inputs×Inputs kernel (row-major) of initialisation s.
type Samples struct {
	Inputs  int         `json:"inputs"`
	Kernels [][]float64 `json:"kernels"`
}

// Estimate is a statistic with its bootstrap standard error and a 95%
// percentile confidence interval.
type Estimate struct {
	Value float64 `json:"value"`
	SE    float64 `json:"se"`
	Lo    float64 `json:"lo"`
	Hi    float64 `json:"hi"`
}

// Summary condenses Samples: V averaged over the diagonal entries K(x, x)
// (the quantity of Hanin & Nica) and over the off-diagonal entries K(x, x'),
// and the mean diagonal kernel.
type Summary struct {
	Samples  int      `json:"samples"`
	Inputs   int      `json:"inputs"`
	MeanDiag float64  `json:"mean_diag"`
	VDiag    Estimate `json:"v_diag"`
	VOff     Estimate `json:"v_off"`
}

// SummaryConfig sets the bootstrap: Resamples replicates drawn with Seed.
type SummaryConfig struct {
	Resamples int
	Seed      uint64
}

// Summarize estimates V over the diagonal and the off-diagonal entries of
// the sampled kernels, with bootstrap errors over initialisations (rows are
// resampled whole, so the correlation between entries is kept).
func Summarize(s Samples, cfg SummaryConfig) (Summary, error) {
	n := len(s.Kernels)
	if n < 2 {
		return Summary{}, fmt.Errorf("summarize: %d kernels: %w", n, ErrTooFewSamples)
	}
	e := s.Inputs * s.Inputs
	for i, k := range s.Kernels {
		if len(k) != e {
			return Summary{}, fmt.Errorf("summarize: kernel %d has %d entries, want %d", i, len(k), e)
		}
	}
	if cfg.Resamples < 2 {
		return Summary{}, fmt.Errorf("summarize: %d bootstrap resamples: %w", cfg.Resamples, ErrTooFewSamples)
	}
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	diag, off, mean := entryV(s, all)
	out := Summary{Samples: n, Inputs: s.Inputs, MeanDiag: mean}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15))
	bd := make([]float64, cfg.Resamples)
	bo := make([]float64, cfg.Resamples)
	idx := make([]int, n)
	for r := range cfg.Resamples {
		for i := range idx {
			idx[i] = rng.IntN(n)
		}
		bd[r], bo[r], _ = entryV(s, idx)
	}
	out.VDiag = estimate(diag, bd)
	out.VOff = estimate(off, bo)
	return out, nil
}

// entryV returns V averaged over diagonal and over off-diagonal entries for
// the rows idx, and the mean diagonal entry. Off is NaN with one input.
func entryV(s Samples, idx []int) (diag, off, meanDiag float64) {
	b := s.Inputs
	var nd, no int
	for i := range b {
		for j := range b {
			e := i*b + j
			var sum, sq float64
			for _, r := range idx {
				x := s.Kernels[r][e]
				sum += x
				sq += x * x
			}
			m := sum / float64(len(idx))
			v := (sq - sum*m) / float64(len(idx)-1)
			if i == j {
				diag += v / (m * m)
				meanDiag += m
				nd++
			} else {
				off += v / (m * m)
				no++
			}
		}
	}
	if no == 0 {
		return diag / float64(nd), math.NaN(), meanDiag / float64(nd)
	}
	return diag / float64(nd), off / float64(no), meanDiag / float64(nd)
}

func estimate(value float64, reps []float64) Estimate {
	if math.IsNaN(value) {
		return Estimate{Value: value, SE: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
	}
	sorted := append([]float64(nil), reps...)
	sort.Float64s(sorted)
	_, v := meanVar(reps)
	return Estimate{
		Value: value,
		SE:    math.Sqrt(v),
		Lo:    quantile(sorted, 0.025),
		Hi:    quantile(sorted, 0.975),
	}
}

// quantile interpolates linearly between order statistics of sorted.
func quantile(sorted []float64, q float64) float64 {
	pos := q * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(sorted)-1)
	f := pos - float64(lo)
	return sorted[lo]*(1-f) + sorted[hi]*f
}
