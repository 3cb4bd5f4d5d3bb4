package ntk

import (
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/collegium/collegium/pkg/device"
)

// Builder builds a fresh Network in a new graph. MonteCarlo calls it once
// per worker, so that no graph or plan is shared between goroutines.
type Builder func() (Network, error)

// DeviceOpener opens the device one worker compiles its network on. Each
// worker of a Monte Carlo opens its own, so that no device is shared
// between goroutines, and closes it with its network. The CLI's opens a
// one-thread CPU device: the workers are the parallelism.
type DeviceOpener func() device.Device

// MonteCarloConfig sets a Monte-Carlo run: Samples initialisations, the
// i-th (counting from Start) drawn with SampleSeed(Seed, i), spread over
// Workers goroutines (GOMAXPROCS when ≤ 0), each on its own device from
// Device.
type MonteCarloConfig struct {
	Samples int
	Start   int
	Seed    uint64
	Workers int
	Device  DeviceOpener
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
	workers := cfg.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	s, err := NewSampler(build, inputs, cfg.Output, cfg.Seed, min(workers, cfg.Samples), cfg.Device)
	if err != nil {
		return Samples{}, err
	}
	defer s.Close()
	ks, err := s.Draw(cfg.Start, cfg.Samples)
	if err != nil {
		return Samples{}, err
	}
	return Samples{Inputs: len(inputs), Kernels: ks}, nil
}

// Sampler draws kernels of one network on fixed inputs with a pool of
// compiled networks, one per worker, kept between draws.
type Sampler struct {
	tangents []*Tangent
	devices  []device.Device
	inputs   [][]float64
	output   Output
	seed     uint64
}

// NewSampler compiles workers copies of the built network (GOMAXPROCS when
// workers ≤ 0), each on its own device from open.
func NewSampler(build Builder, inputs [][]float64, out Output, seed uint64, workers int, open DeviceOpener) (*Sampler, error) {
	if len(inputs) == 0 {
		return nil, errors.New("ntk: monte carlo: no inputs")
	}
	if open == nil {
		return nil, errors.New("ntk: monte carlo: no device to compile on")
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	s := &Sampler{inputs: inputs, output: out, seed: seed}
	for range workers {
		dev := open()
		s.devices = append(s.devices, dev)
		t, err := compileWorker(build, dev)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("ntk: monte carlo: %w", err)
		}
		s.tangents = append(s.tangents, t)
	}
	return s, nil
}

// Draw returns the kernels of samples start … start+count−1.
func (s *Sampler) Draw(start, count int) ([][]float64, error) {
	out := make([][]float64, count)
	next := make(chan int)
	errs := make([]error, len(s.tangents))
	var wg sync.WaitGroup
	for w, t := range s.tangents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if errs[w] != nil {
					continue
				}
				errs[w] = s.sample(t, start+i, out, i)
			}
		}()
	}
	for i := range count {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("ntk: monte carlo: %w", err)
	}
	return out, nil
}

// sample draws sample i with t into dst[slot].
func (s *Sampler) sample(t *Tangent, i int, dst [][]float64, slot int) error {
	if err := t.Init(SampleSeed(s.seed, i)); err != nil {
		return fmt.Errorf("sample %d: %w", i, err)
	}
	k, err := Empirical(t, s.inputs, s.output)
	if err != nil {
		return fmt.Errorf("sample %d: %w", i, err)
	}
	dst[slot] = k
	return nil
}

// Close frees the compiled networks and closes their devices.
func (s *Sampler) Close() {
	for _, t := range s.tangents {
		t.Close()
	}
	for _, d := range s.devices {
		d.Close()
	}
	s.tangents, s.devices = nil, nil
}

// graphMu serialises graph construction and differentiation across
// workers: gorgonia shares package-level constant nodes (the 1 that seeds
// every gradient) between all graphs and caches their hash lazily, an
// unsynchronised write that two concurrent Grad calls race on.
var graphMu sync.Mutex

// compileWorker builds one worker's network under graphMu and compiles it
// on dev.
func compileWorker(build Builder, dev device.Device) (*Tangent, error) {
	graphMu.Lock()
	defer graphMu.Unlock()
	net, err := build()
	if err != nil {
		return nil, fmt.Errorf("build network: %w", err)
	}
	return Compile(net, dev)
}
