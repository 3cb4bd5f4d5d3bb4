package ntk

import (
	"errors"
	"io"
	"math"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sirupsen/logrus"
)

// countingBuilder builds the small MLP-CE s and counts the samples drawn
// through it (by counting Init calls on its parameters' first tensor).
func countingBuilder(s mlpSpec, drawn *atomic.Int64) Builder {
	return func() (Network, error) {
		net, err := s.build()
		if err != nil {
			return net, err
		}
		init := net.Params[0].Init
		net.Params[0].Init = func(seed uint64) []float64 {
			drawn.Add(1)
			return init(seed)
		}
		return net, nil
	}
}

// quiet is a logger that discards everything.
func quiet() logrus.FieldLogger {
	l := logrus.New()
	l.SetOutput(io.Discard)
	return l
}

// TestMeasureSequential: the rule stops at a checkpoint with the relative
// SE at most its target (or at the cap), a continued measurement draws
// only the samples it lacks, and a cached measurement stops at the same
// sample with the same summary as a fresh one.
func TestMeasureSequential(t *testing.T) {
	s := mlpSpec{m: 1, n: 4, depth: 2, d: 5, k: 1, relu: true, scale: 1, std: math.Sqrt2}
	m := Measurement{Network: "seq", Inputs: Inputs{Count: 2, Size: 5, Seed: 3}, Seed: 9}
	rule := Sampling{Min: 16, Max: 1024, Block: 16, RelSE: 0.15}
	var drawn atomic.Int64
	cache := Cache{Dir: t.TempDir()}
	fresh, err := Measure(m, rule, countingBuilder(s, &drawn), 2, oneThreadCPU, Cache{}, quiet())
	if err != nil {
		t.Fatal(err)
	}
	n := fresh.Samples
	if n < rule.Min || n > rule.Max || (n-rule.Min)%rule.Block != 0 {
		t.Fatalf("stopped at %d samples, not a checkpoint of %+v", n, rule)
	}
	if n < rule.Max && fresh.VDiag.RelSE() > rule.RelSE {
		t.Errorf("stopped at %d < cap with relative SE %g > %g", n, fresh.VDiag.RelSE(), rule.RelSE)
	}
	if n == rule.Min || n == rule.Max {
		t.Fatalf("stopped at %d samples: the test needs a rule that continues and stops before its cap", n)
	}
	// A first, capped measurement fills the cache with a prefix; the
	// sequential one continues it, drawing only what it lacks.
	drawn.Store(0)
	if _, err := Measure(m, FixedSampling(rule.Min), countingBuilder(s, &drawn), 2, oneThreadCPU, cache, quiet()); err != nil {
		t.Fatal(err)
	}
	cont, err := Measure(m, rule, countingBuilder(s, &drawn), 2, oneThreadCPU, cache, quiet())
	if err != nil {
		t.Fatal(err)
	}
	if got := drawn.Load(); got != int64(n) {
		t.Errorf("drew %d samples in two steps, want %d", got, n)
	}
	if cont.VDiag != fresh.VDiag || cont.Samples != n {
		t.Errorf("continued measurement %+v differs from fresh %+v", cont.VDiag, fresh.VDiag)
	}
	// Everything is cached now: nothing more is drawn, and a looser rule
	// stops at its own earlier checkpoint on the cached prefix.
	drawn.Store(0)
	again, err := Measure(m, rule, countingBuilder(s, &drawn), 2, oneThreadCPU, cache, quiet())
	if err != nil || drawn.Load() != 0 || again.VDiag != fresh.VDiag {
		t.Errorf("cached measurement drew %d samples, V %+v (%v), want none and %+v", drawn.Load(), again.VDiag, err, fresh.VDiag)
	}
	loose := rule
	loose.RelSE = 0.5
	l, err := Measure(m, loose, countingBuilder(s, &drawn), 2, oneThreadCPU, cache, quiet())
	if err != nil || l.Samples != rule.Min {
		t.Errorf("loose rule stopped at %d samples (%v), want %d", l.Samples, err, rule.Min)
	}
	have, err := cache.Load(m)
	if err != nil || len(have.Kernels) != n {
		t.Errorf("cache holds %d kernels (%v), want %d", len(have.Kernels), err, n)
	}
	// The cache never shrinks: storing a shorter prefix keeps the longer.
	if err := cache.Store(m, Samples{Inputs: have.Inputs, Kernels: have.Kernels[:3]}); err != nil {
		t.Fatal(err)
	}
	if kept, _ := cache.Load(m); len(kept.Kernels) != n || !slices.Equal(kept.Kernels[n-1], have.Kernels[n-1]) {
		t.Errorf("a shorter store replaced the cache: %d kernels", len(kept.Kernels))
	}
}

func TestSamplingValidate(t *testing.T) {
	for _, bad := range []Sampling{
		{Min: 2, Max: 2}, {Min: 10, Max: 5}, {Min: 4, Max: 8, Block: 0, RelSE: 0.1}, {Min: 4, Max: 8, Block: 2, RelSE: 0},
		{Min: 4, Max: 8, Block: 2, RelSE: math.NaN()},
	} {
		if err := bad.Validate(); !errors.Is(err, ErrSampling) {
			t.Errorf("%+v: err %v", bad, err)
		}
	}
	for _, good := range []Sampling{DefaultSampling, FixedSampling(3)} {
		if err := good.Validate(); err != nil {
			t.Errorf("%+v: %v", good, err)
		}
	}
	if _, err := Measure(Measurement{}, Sampling{Min: 1, Max: 1}, nil, 1, oneThreadCPU, Cache{}, quiet()); !errors.Is(err, ErrSampling) {
		t.Errorf("Measure with a bad rule: err %v", err)
	}
	if _, err := Measure(Measurement{}, FixedSampling(3), nil, 1, nil, Cache{}, nil); err == nil || !strings.Contains(err.Error(), "no device") {
		t.Errorf("Measure with no device: err %v", err)
	}
}
