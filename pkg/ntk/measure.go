package ntk

import (
	"fmt"
	"time"

	"github.com/sirupsen/logrus"
)

// Bootstrap is the bootstrap used by Measure.
var Bootstrap = SummaryConfig{Resamples: 400, Seed: 1}

// Measure returns the summary of m from cache or, when absent, by a Monte
// Carlo of build on m's inputs with workers goroutines, storing it.
func Measure(m Measurement, build Builder, workers int, cache Cache) (Summary, error) {
	if s, ok, err := cache.Load(m); err != nil || ok {
		return s, err
	}
	start := time.Now()
	inputs, err := m.Inputs.Values()
	if err != nil {
		return Summary{}, fmt.Errorf("measure %v: %w", m.Network, err)
	}
	samples, err := MonteCarlo(build, inputs, MonteCarloConfig{
		Samples: m.Samples, Seed: m.Seed, Workers: workers, Output: m.Output,
	})
	if err != nil {
		return Summary{}, fmt.Errorf("measure %v: %w", m.Network, err)
	}
	s, err := Summarize(samples, Bootstrap)
	if err != nil {
		return Summary{}, fmt.Errorf("measure %v: %w", m.Network, err)
	}
	logrus.WithFields(logrus.Fields{
		"network": fmt.Sprint(m.Network), "samples": m.Samples, "v_diag": s.VDiag.Value, "seconds": time.Since(start).Seconds(),
	}).Info("measured NTK")
	return s, cache.Store(m, s)
}
