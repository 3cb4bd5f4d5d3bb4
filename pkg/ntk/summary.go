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

// Estimate is a statistic with its standard error and a 95% confidence
// interval. SE is the block jackknife over initialisations (JackknifeBlocks
// blocks of consecutive seeds); BootSE and [Lo, Hi] come from a bootstrap
// over initialisations (percentile interval), kept for comparison.
type Estimate struct {
	Value  float64 `json:"value"`
	SE     float64 `json:"se"`
	BootSE float64 `json:"boot_se"`
	Lo     float64 `json:"lo"`
	Hi     float64 `json:"hi"`
}

// RelSE is SE/|Value|.
func (e Estimate) RelSE() float64 { return e.SE / math.Abs(e.Value) }

// Tail describes how heavy the right tail of K(x, x) over initialisations
// is; each field is the worst (largest) over the diagonal entries.
type Tail struct {
	// Kurtosis is the sample kurtosis m4/m2² (3 for a Gaussian).
	Kurtosis float64 `json:"kurtosis"`
	// MaxOverMedian is the largest draw divided by the median draw.
	MaxOverMedian float64 `json:"max_over_median"`
	// TopShare is the largest single draw's share of Σ(K − mean)²: near 1
	// means one initialisation makes V.
	TopShare float64 `json:"top_share"`
	// VLogNormal is exp(Var(ln K)) − 1 averaged over the diagonal, V if
	// K(x, x) were log-normal (Hanin & Nica's limit); far below VDiag
	// means a tail heavier than log-normal.
	VLogNormal float64 `json:"v_lognormal"`
}

// Halves compares V_diag of the first and the second half of the samples
// (by seed index): Z = (First − Second)/√(SE₁² + SE₂²) is a check of the
// error bars on disjoint seeds.
type Halves struct {
	First  Estimate `json:"first"`
	Second Estimate `json:"second"`
	Z      float64  `json:"z"`
}

// Summary condenses Samples: V averaged over the diagonal entries K(x, x)
// (the quantity of Hanin & Nica) and over the off-diagonal entries K(x, x'),
// the mean diagonal kernel, tail diagnostics and the split-half check.
type Summary struct {
	Samples  int      `json:"samples"`
	Inputs   int      `json:"inputs"`
	MeanDiag float64  `json:"mean_diag"`
	VDiag    Estimate `json:"v_diag"`
	VOff     Estimate `json:"v_off"`
	Tail     Tail     `json:"tail"`
	Halves   *Halves  `json:"halves,omitempty"`
}

// SummaryConfig sets the bootstrap (Resamples replicates drawn with Seed)
// and the jackknife (at most JackknifeBlocks blocks; 0: 64).
type SummaryConfig struct {
	Resamples       int
	Seed            uint64
	JackknifeBlocks int
}

// Summarize estimates V over the diagonal and the off-diagonal entries of
// the sampled kernels, with a block-jackknife SE and bootstrap intervals
// over initialisations (rows are resampled whole, so the correlation
// between entries is kept), tail diagnostics and, with at least 8 samples,
// the split-half check.
func Summarize(s Samples, cfg SummaryConfig) (Summary, error) {
	out, err := summarize(s, cfg)
	if err != nil || len(s.Kernels) < 8 {
		return out, err
	}
	h := len(s.Kernels) / 2
	first, err := summarize(Samples{Inputs: s.Inputs, Kernels: s.Kernels[:h]}, cfg)
	if err != nil {
		return Summary{}, err
	}
	second, err := summarize(Samples{Inputs: s.Inputs, Kernels: s.Kernels[h:]}, cfg)
	if err != nil {
		return Summary{}, err
	}
	z := (first.VDiag.Value - second.VDiag.Value) / math.Hypot(first.VDiag.SE, second.VDiag.SE)
	out.Halves = &Halves{First: first.VDiag, Second: second.VDiag, Z: z}
	return out, nil
}

func summarize(s Samples, cfg SummaryConfig) (Summary, error) {
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
	out := Summary{Samples: n, Inputs: s.Inputs, MeanDiag: mean, Tail: tailOf(s)}
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
	jd, jo := jackknife(s, cfg.JackknifeBlocks)
	out.VDiag = estimate(diag, jd, bd)
	out.VOff = estimate(off, jo, bo)
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

// jackknife returns the delete-one-block jackknife SEs of V_diag and V_off
// with the samples cut into at most maxBlocks (0: 64) blocks of
// consecutive seeds. Sums are taken about each entry's overall mean, so
// that leaving a block out costs O(entries) and loses no precision.
func jackknife(s Samples, maxBlocks int) (diag, off float64) {
	n, b := len(s.Kernels), s.Inputs
	if maxBlocks <= 0 {
		maxBlocks = 64
	}
	blocks := min(n, maxBlocks)
	e := b * b
	mu := make([]float64, e)
	for _, k := range s.Kernels {
		for i, x := range k {
			mu[i] += x
		}
	}
	for i := range mu {
		mu[i] /= float64(n)
	}
	// s1[blk][entry], s2[blk][entry]: sums of (x − μ) and (x − μ)² per block.
	s1 := make([][]float64, blocks)
	s2 := make([][]float64, blocks)
	cnt := make([]int, blocks)
	t1 := make([]float64, e)
	t2 := make([]float64, e)
	for blk := range blocks {
		s1[blk] = make([]float64, e)
		s2[blk] = make([]float64, e)
		lo, hi := blk*n/blocks, (blk+1)*n/blocks
		cnt[blk] = hi - lo
		for _, k := range s.Kernels[lo:hi] {
			for i, x := range k {
				d := x - mu[i]
				s1[blk][i] += d
				s2[blk][i] += d * d
			}
		}
		for i := range e {
			t1[i] += s1[blk][i]
			t2[i] += s2[blk][i]
		}
	}
	if blocks < 2 || n-cnt[0] < 2 {
		return math.NaN(), math.NaN()
	}
	reps := make([][2]float64, blocks)
	for blk := range blocks {
		m := float64(n - cnt[blk])
		var d, o float64
		for i := range b {
			for j := range b {
				x := i*b + j
				a1, a2 := t1[x]-s1[blk][x], t2[x]-s2[blk][x]
				dm := a1 / m
				v := (a2 - a1*dm) / (m - 1)
				mean := mu[x] + dm
				if i == j {
					d += v / (mean * mean)
				} else {
					o += v / (mean * mean)
				}
			}
		}
		reps[blk] = [2]float64{d / float64(b), o / float64(b*(b-1))}
	}
	se := func(k int) float64 {
		var mean float64
		for _, r := range reps {
			mean += r[k]
		}
		mean /= float64(blocks)
		var ss float64
		for _, r := range reps {
			ss += (r[k] - mean) * (r[k] - mean)
		}
		return math.Sqrt(float64(blocks-1) / float64(blocks) * ss)
	}
	if b == 1 {
		return se(0), math.NaN()
	}
	return se(0), se(1)
}

// tailOf computes the tail diagnostics of the diagonal entries.
func tailOf(s Samples) Tail {
	var t Tail
	n, b := len(s.Kernels), s.Inputs
	xs := make([]float64, n)
	for i := range b {
		e := i*b + i
		var mean float64
		for r, k := range s.Kernels {
			xs[r] = k[e]
			mean += k[e]
		}
		mean /= float64(n)
		var m2, m4, top, lm, lv float64
		for _, x := range xs {
			d := (x - mean) * (x - mean)
			m2 += d
			m4 += d * d
			top = math.Max(top, d)
			lm += math.Log(x)
		}
		lm /= float64(n)
		for _, x := range xs {
			lv += (math.Log(x) - lm) * (math.Log(x) - lm)
		}
		t.VLogNormal += math.Expm1(lv/float64(n-1)) / float64(b)
		if m2 > 0 {
			t.Kurtosis = math.Max(t.Kurtosis, m4/float64(n)/(m2*m2/float64(n*n)))
			t.TopShare = math.Max(t.TopShare, top/m2)
		}
		sort.Float64s(xs)
		t.MaxOverMedian = math.Max(t.MaxOverMedian, xs[n-1]/quantile(xs, 0.5))
	}
	return t
}

func estimate(value, jackSE float64, reps []float64) Estimate {
	if math.IsNaN(value) {
		nan := math.NaN()
		return Estimate{Value: value, SE: nan, BootSE: nan, Lo: nan, Hi: nan}
	}
	sorted := append([]float64(nil), reps...)
	sort.Float64s(sorted)
	_, v := meanVar(reps)
	return Estimate{
		Value:  value,
		SE:     jackSE,
		BootSE: math.Sqrt(v),
		Lo:     quantile(sorted, 0.025),
		Hi:     quantile(sorted, 0.975),
	}
}

// diagV returns V_diag of s and its jackknife SE, the statistic the
// sequential rule checks: cheaper than Summarize (no bootstrap).
func diagV(s Samples, maxBlocks int) (Estimate, error) {
	n := len(s.Kernels)
	if n < 3 {
		return Estimate{}, fmt.Errorf("V of %d kernels: %w", n, ErrTooFewSamples)
	}
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	v, _, _ := entryV(s, all)
	se, _ := jackknife(s, maxBlocks)
	return Estimate{Value: v, SE: se}, nil
}

// quantile interpolates linearly between order statistics of sorted.
func quantile(sorted []float64, q float64) float64 {
	pos := q * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(sorted)-1)
	f := pos - float64(lo)
	return sorted[lo]*(1-f) + sorted[hi]*f
}
