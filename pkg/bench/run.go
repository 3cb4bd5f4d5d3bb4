package bench

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/collegium/collegium/internal/logs"
	"github.com/collegium/collegium/pkg/device"
	"github.com/sirupsen/logrus"
)

// Config sets how Run benchmarks cases.
type Config struct {
	Passes     []Pass // passes to time, in this order
	Timing     TimingConfig
	Verify     VerifyConfig
	Limit      MemoryLimit // cases that do not fit are refused before any runs
	PeakGFLOPS float64     // the device's SGEMM peak for PeakFrac; 0 if unknown
	Seed       uint64      // seeds the inputs and the sampled elements
	// Log receives one line per timed pass (nil: the lines are dropped).
	Log logrus.FieldLogger
}

// Run benchmarks every pass of every case on dev. It refuses the whole run,
// with an error wrapping ErrTooLarge that names each case and its bytes,
// when a case does not fit in cfg.Limit. A kernel error or a failed check
// makes an unverified result (with Error set) rather than stopping the run;
// see Unverified.
func Run(dev device.Device, cases []Case, cfg Config) ([]Result, error) {
	if len(cfg.Passes) == 0 {
		return nil, errors.New("bench: no pass to time")
	}
	if err := cfg.Timing.Validate(); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	var errs []error
	for _, c := range cases {
		if err := c.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("case %s: %w", c.Name(), err))
		} else if err := cfg.Limit.Check(c); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	cfg.Log = logs.OrDiscard(cfg.Log)
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x636f6c6c6567))
	var out []Result
	for _, c := range cases {
		rs, err := runCase(dev, c, cfg, rng)
		if err != nil {
			return out, fmt.Errorf("bench: case %s: %w", c.Name(), err)
		}
		out = append(out, rs...)
	}
	return out, nil
}

// runCase times and verifies every pass of c. Errors from setting up or
// freeing buffers end the run; errors of a pass go into its result.
func runCase(dev device.Device, c Case, cfg Config, rng *rand.Rand) (rs []Result, err error) {
	l, err := newLayer(dev, c, rng)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, l.free()) }()
	for _, p := range cfg.Passes {
		r := Result{
			Case: c.Name(), Op: c.Op, Device: dev.Name(), Pass: p,
			Groups: c.Groups, PerGroup: c.PerGroup(), Params: int64(c.Params()),
			FLOPs: c.FLOPs(p), Bytes: c.Bytes(p),
		}
		t, maxRel, perr := runPass(l, p, cfg, rng)
		r.MaxRelErr = maxRel
		if perr != nil {
			r.Error = perr.Error()
			cfg.Log.WithError(perr).WithField("case", r.Case).WithField("pass", p).Error("bench: pass not verified")
		} else {
			r.Verified = true
			r.Figures = newFigures(t, r.FLOPs, r.Bytes, cfg.PeakGFLOPS)
			cfg.Log.WithFields(logrus.Fields{"case": r.Case, "pass": p, "median_ms": r.MedianMS, "gflops": r.GFLOPS}).Info("bench")
		}
		rs = append(rs, r)
	}
	return rs, nil
}

// runPass poisons the outputs of p with NaN (so that an output the kernel
// did not write fails the check), times p, then verifies what the last
// timed run left.
func runPass(l *layer, p Pass, cfg Config, rng *rand.Rand) (Timing, float64, error) {
	for _, q := range p.outputs() {
		if err := l.dev.Fill(l.output(q), math.NaN()); err != nil {
			return Timing{}, 0, fmt.Errorf("fill %s output: %w", q, err)
		}
	}
	t, err := measure(l.dev, func() error { return l.run(p) }, cfg.Timing)
	if err != nil {
		return Timing{}, 0, err
	}
	maxRel, err := l.verify(p, cfg.Verify, rng)
	return t, maxRel, err
}
