package ntk

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/sirupsen/logrus"
)

// RandomInputs draws the inputs in: Count vectors of Size N(0, 1) values.
func RandomInputs(in Inputs) [][]float64 {
	r := rand.New(rand.NewPCG(in.Seed, 0x1b873593))
	out := make([][]float64, in.Count)
	for i := range out {
		out[i] = make([]float64, in.Size)
		for j := range out[i] {
			out[i][j] = r.NormFloat64()
		}
	}
	return out
}

// Bootstrap is the bootstrap used by Measure.
var Bootstrap = SummaryConfig{Resamples: 400, Seed: 1}

// Measure returns the summary of m from cache or, when absent, by a Monte
// Carlo of build on m's inputs with workers goroutines, storing it.
func Measure(m Measurement, build Builder, workers int, cache Cache) (Summary, error) {
	if s, ok, err := cache.Load(m); err != nil || ok {
		return s, err
	}
	start := time.Now()
	samples, err := MonteCarlo(build, RandomInputs(m.Inputs), MonteCarloConfig{
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
