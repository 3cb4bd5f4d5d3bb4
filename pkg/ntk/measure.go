package ntk

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/collegium/collegium/internal/logs"
)

// Bootstrap is the bootstrap and jackknife used by Measure.
var Bootstrap = SummaryConfig{Resamples: 400, Seed: 1}

// Sampling is the sequential rule of a measurement: draw Min
// initialisations, then Block more at a time until the relative standard
// error of V_diag (block jackknife) is at most RelSE or Max are drawn.
// Min = Max is a fixed sample size. The rule is checked only at Min,
// Min+Block, …, Max, so a measurement continued from the cache stops at
// the same sample as a fresh one.
type Sampling struct {
	Min   int     `json:"min"`
	Max   int     `json:"max"`
	Block int     `json:"block"`
	RelSE float64 `json:"rel_se"`
}

// DefaultSampling is the rule searches use: at least 64 and at most 512
// initialisations, to a relative SE of 10%, 32 at a time.
var DefaultSampling = Sampling{Min: 64, Max: 512, Block: 32, RelSE: 0.10}

// FixedSampling draws exactly n initialisations.
func FixedSampling(n int) Sampling { return Sampling{Min: n, Max: n, Block: n} }

// ErrSampling is wrapped by errors about an invalid Sampling.
var ErrSampling = errors.New("invalid sampling rule")

// Validate checks the rule.
func (s Sampling) Validate() error {
	switch {
	case s.Min < 3:
		return fmt.Errorf("%w: min is %d samples: V needs 2 and its jackknife SE 3", ErrSampling, s.Min)
	case s.Max < s.Min:
		return fmt.Errorf("%w: max samples %d below min %d", ErrSampling, s.Max, s.Min)
	case s.Max > s.Min && s.Block < 1:
		return fmt.Errorf("%w: block %d must be ≥ 1", ErrSampling, s.Block)
	case s.Max > s.Min && !(s.RelSE > 0):
		return fmt.Errorf("%w: relative SE target %g must be > 0", ErrSampling, s.RelSE)
	}
	return nil
}

// String describes the rule in words.
func (s Sampling) String() string {
	if s.Min == s.Max {
		return fmt.Sprintf("%d initialisations", s.Min)
	}
	return fmt.Sprintf("%d–%d initialisations to a relative SE of %.0f%%", s.Min, s.Max, 100*s.RelSE)
}

// Measure returns the summary of m under the sampling rule, continuing the
// cached draws of m's stream (if any) with a Monte Carlo of build on m's
// inputs over workers goroutines, each on its own device from open. Every
// block drawn is stored at once, so an interrupted measurement loses at
// most one block. Progress, with an estimate of the samples still needed
// and the time they take, goes to log (nil: the lines are dropped).
func Measure(m Measurement, rule Sampling, build Builder, workers int, open DeviceOpener, cache Cache, log logrus.FieldLogger) (Summary, error) {
	if err := rule.Validate(); err != nil {
		return Summary{}, fmt.Errorf("measure %v: %w", m.Network, err)
	}
	if open == nil {
		return Summary{}, fmt.Errorf("measure %v: no device to compile on", m.Network)
	}
	log = logs.OrDiscard(log)
	have, err := cache.Load(m)
	if err != nil {
		return Summary{}, err
	}
	d := drawer{m: m, build: build, workers: workers, open: open, cache: cache, have: have, log: log, logged: time.Now()}
	defer d.close()
	start := time.Now()
	n := rule.Min
	for {
		if err := d.extend(n, rule.Block); err != nil {
			return Summary{}, fmt.Errorf("measure %v: %w", m.Network, err)
		}
		part := Samples{Inputs: d.have.Inputs, Kernels: d.have.Kernels[:n]}
		e, err := diagV(part, Bootstrap.JackknifeBlocks)
		if err != nil {
			return Summary{}, fmt.Errorf("measure %v: %w", m.Network, err)
		}
		rel := e.RelSE()
		if n >= rule.Max || rel <= rule.RelSE {
			s, err := Summarize(part, Bootstrap)
			if err != nil {
				return Summary{}, fmt.Errorf("measure %v: %w", m.Network, err)
			}
			if d.drawn > 0 {
				log.WithFields(logrus.Fields{
					"network": fmt.Sprint(m.Network), "samples": n, "v_diag": s.VDiag.Value, "rel_se": rel,
					"seconds": time.Since(start).Seconds(),
				}).Info("measured NTK")
			}
			return s, nil
		}
		need := min(rule.Max, int(math.Ceil(float64(n)*(rel/rule.RelSE)*(rel/rule.RelSE))))
		next := min(n+rule.Block, rule.Max)
		if d.drawn > 0 && next > len(d.have.Kernels) {
			eta := time.Duration(float64(need-n) * d.perSample())
			log.Infof("NTK %v: %d samples, V = %.4g ± %.2g (%.0f%% > %.0f%%), about %d needed (cap %d), ETA %v",
				m.Network, n, e.Value, e.SE, 100*rel, 100*rule.RelSE, need, rule.Max, eta.Round(time.Second))
		}
		n = next
	}
}

// drawer extends a measurement's cached draws, compiling its Sampler only
// when a draw is needed.
type drawer struct {
	m       Measurement
	build   Builder
	workers int
	open    DeviceOpener
	cache   Cache
	have    Samples
	log     logrus.FieldLogger
	sampler *Sampler
	drawn   int
	took    time.Duration
	logged  time.Time
}

// extend draws until at least n samples are held, block at a time,
// storing each block.
func (d *drawer) extend(n, block int) error {
	for len(d.have.Kernels) < n {
		if d.sampler == nil {
			inputs, err := d.m.Inputs.Values()
			if err != nil {
				return err
			}
			if d.sampler, err = NewSampler(d.build, inputs, d.m.Output, d.m.Seed, d.workers, d.open); err != nil {
				return err
			}
			d.have.Inputs = len(inputs)
		}
		count := min(n-len(d.have.Kernels), max(block, 1))
		t := time.Now()
		ks, err := d.sampler.Draw(len(d.have.Kernels), count)
		if err != nil {
			return err
		}
		d.took += time.Since(t)
		d.drawn += count
		d.have.Kernels = append(d.have.Kernels, ks...)
		if err := d.cache.Store(d.m, d.have); err != nil {
			return err
		}
		if left := n - len(d.have.Kernels); left > 0 && time.Since(d.logged) > 30*time.Second {
			d.logged = time.Now()
			eta := time.Duration(float64(left) * d.perSample())
			d.log.Infof("NTK %v: %d of %d samples drawn, ETA %v", d.m.Network, len(d.have.Kernels), n, eta.Round(time.Second))
		}
	}
	return nil
}

// perSample is the mean wall time of one sample drawn here, in ns.
func (d *drawer) perSample() float64 { return float64(d.took) / float64(max(d.drawn, 1)) }

func (d *drawer) close() {
	if d.sampler != nil {
		d.sampler.Close()
	}
}
