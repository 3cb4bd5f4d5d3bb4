package ntk

import (
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/collegium/collegium/pkg/device/cpu"
)

// Builder builds a fresh Network in a new graph. MonteCarlo calls it once
// per worker, so that no graph or plan is shared between goroutines.
type Builder func() (Network, error)

// MonteCarloConfig sets a Monte-Carlo run: Samples initialisations, the
// i-th drawn with SampleSeed(Seed, i), spread over Workers goroutines
// (GOMAXPROCS when ≤ 0), each with a one-thread CPU device.
type MonteCarloConfig struct {
	Samples int
	Seed    uint64
	Workers int
	Output  Output
}

// SampleSeed is the initialisation seed of sample i of a run seeded with
// seed (SplitMix64 of the pair), so that a sample's kernel depends only on
// (seed, i), never on which worker drew it.
func SampleSeed(seed uint64, i int) uint64 {
	z := seed + 0x9e3779b97f4a7c15*uint64(i+1)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// MonteCarlo samples the empirical NTK of the built network on inputs over
// cfg.Samples random initialisations. The result is the same for any number
// of workers and any scheduling.
func MonteCarlo(build Builder, inputs [][]float64, cfg MonteCarloConfig) (Samples, error) {
	if cfg.Samples < 2 {
		return Samples{}, fmt.Errorf("ntk: monte carlo: %d samples: %w", cfg.Samples, ErrTooFewSamples)
	}
	if len(inputs) == 0 {
		return Samples{}, errors.New("ntk: monte carlo: no inputs")
	}
	workers := cfg.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, cfg.Samples)
	out := Samples{Inputs: len(inputs), Kernels: make([][]float64, cfg.Samples)}
	next := make(chan int)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[w] = sampleWorker(build, inputs, cfg, next, out.Kernels)
			if errs[w] != nil {
				for range next {
				}
			}
		}()
	}
	for i := range cfg.Samples {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return Samples{}, fmt.Errorf("ntk: monte carlo: %w", err)
	}
	return out, nil
}

// graphMu serialises graph construction and differentiation across
// workers: gorgonia shares package-level constant nodes (the 1 that seeds
// every gradient) between all graphs and caches their hash lazily, an
// unsynchronised write that two concurrent Grad calls race on.
var graphMu sync.Mutex

// compileWorker builds and compiles one worker's network under graphMu.
func compileWorker(build Builder) (*Tangent, error) {
	graphMu.Lock()
	defer graphMu.Unlock()
	net, err := build()
	if err != nil {
		return nil, fmt.Errorf("build network: %w", err)
	}
	return Compile(net, cpu.New(1))
}

// sampleWorker compiles its own network and fills dst[i] for every i it
// receives.
func sampleWorker(build Builder, inputs [][]float64, cfg MonteCarloConfig, next <-chan int, dst [][]float64) error {
	t, err := compileWorker(build)
	if err != nil {
		return err
	}
	defer t.Close()
	for i := range next {
		if err := t.Init(SampleSeed(cfg.Seed, i)); err != nil {
			return fmt.Errorf("sample %d: %w", i, err)
		}
		k, err := Empirical(t, inputs, cfg.Output)
		if err != nil {
			return fmt.Errorf("sample %d: %w", i, err)
		}
		dst[i] = k
	}
	return nil
}
