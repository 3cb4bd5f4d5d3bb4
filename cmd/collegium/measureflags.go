package main

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/collegium/collegium/pkg/models"
	"github.com/collegium/collegium/pkg/ntk"
	"github.com/collegium/collegium/pkg/search"
)

// addMembersFlags adds --members-law and --rerank.
func addMembersFlags(f *pflag.FlagSet, req *search.Request) {
	f.StringVar(&req.Members, "members-law", "", "how V(m, n) follows from V_1(n): ce (V_1(n)/m) or measured (V_1(n)·m^q(n), q measured on a grid of m and n); default: ce for the mlp, measured for the resnexts")
	f.IntVar(&req.Rerank, "rerank", 0, "measure V directly at the top K configurations (and the dual's baseline) and re-rank them by it")
}

// measureFlags are the flags of how a search measures NTK variances: the
// sampling rule, the precision and the BN mode.
type measureFlags struct {
	samples, minSamples, maxSamples, block int
	relSE                                  float64
	precision, bn                          string
}

// add registers the flags on f.
func (m *measureFlags) add(f *pflag.FlagSet) {
	d := ntk.DefaultSampling
	f.IntVar(&m.samples, "samples", 0, "exactly this many initialisations per measured network (0: sequential sampling, see --rel-se)")
	f.Float64Var(&m.relSE, "rel-se", d.RelSE, "sequential sampling: draw until the relative SE of V (block jackknife) is at most this")
	f.IntVar(&m.minSamples, "min-samples", d.Min, "sequential sampling: initialisations drawn before the first check")
	f.IntVar(&m.maxSamples, "max-samples", d.Max, "sequential sampling: cap on the initialisations per network")
	f.IntVar(&m.block, "sample-block", d.Block, "sequential sampling: initialisations drawn between checks")
	f.StringVar(&m.precision, "precision", ntk.Float32, "precision of the measured graphs: float32 (kernels accumulated in float64) or float64")
	f.StringVar(&m.bn, "bn", "", "BN mode of the measured kernel: train (BN on the statistics of the batch of kernel inputs, as in training) or eval (running statistics: the identity at init); default train for networks with BN")
}

// apply validates the flags and sets them on cfg for networks of family.
func (m *measureFlags) apply(cfg *ntk.ScanConfig, family string) error {
	switch {
	case m.samples < 0:
		return fmt.Errorf("--samples %d: want ≥ 3, or 0 for sequential sampling", m.samples)
	case m.samples > 0 && m.samples < 3:
		return fmt.Errorf("--samples %d: V needs 2 initialisations and its standard error 3", m.samples)
	case m.samples > 0:
		cfg.Sampling = ntk.FixedSampling(m.samples)
	default:
		cfg.Sampling = ntk.Sampling{Min: m.minSamples, Max: m.maxSamples, Block: m.block, RelSE: m.relSE}
		if err := cfg.Sampling.Validate(); err != nil {
			return fmt.Errorf("--min-samples/--max-samples/--sample-block/--rel-se: %w", err)
		}
		if m.relSE >= 1 {
			return fmt.Errorf("--rel-se %g: want a fraction below 1 (0.10 is 10%%)", m.relSE)
		}
	}
	if m.precision != ntk.Float32 && m.precision != ntk.Float64 {
		return fmt.Errorf("--precision %q: want float32 or float64", m.precision)
	}
	cfg.Precision = m.precision
	switch m.bn {
	case "":
		cfg.BatchStats = models.Family(family).HasBN()
	case "train", "eval":
		cfg.BatchStats = m.bn == "train"
	default:
		return fmt.Errorf("--bn %q: want train or eval", m.bn)
	}
	if cfg.Inputs < 2 {
		return fmt.Errorf("--input-count %d: want ≥ 2", cfg.Inputs)
	}
	return nil
}
