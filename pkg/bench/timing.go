package bench

import (
	"fmt"
	"slices"
	"time"

	"github.com/collegium/collegium/pkg/device"
)

// EventTimer is implemented by devices that time work on the device itself
// (the CUDA device, with events): median, min and max over reps runs of fn
// after warmup runs.
type EventTimer interface {
	Time(fn func() error, warmup, reps int) (median, min, max time.Duration, err error)
}

// TimingConfig sets how long each pass is timed: Warmup untimed runs, then
// enough runs to fill Target, at least MinReps and at most MaxReps.
type TimingConfig struct {
	Warmup           int
	MinReps, MaxReps int
	Target           time.Duration
}

// DefaultTiming fills half a second per pass with 3 to 200 runs after one
// warm-up run.
var DefaultTiming = TimingConfig{Warmup: 1, MinReps: 3, MaxReps: 200, Target: 500 * time.Millisecond}

// Validate reports a nonsensical timing configuration.
func (c TimingConfig) Validate() error {
	if c.Warmup < 0 || c.MinReps < 1 || c.MaxReps < c.MinReps || c.Target < 0 {
		return fmt.Errorf("timing: want warmup ≥ 0, 1 ≤ min reps ≤ max reps and target ≥ 0, have %d, %d, %d, %v",
			c.Warmup, c.MinReps, c.MaxReps, c.Target)
	}
	return nil
}

// Timing is the outcome of timing one pass.
type Timing struct {
	Reps             int
	Median, Min, Max time.Duration
}

// measure times fn (which enqueues work on dev) as c says. The warm-up runs,
// timed on the host with a Sync, choose the number of runs; the runs are
// timed by the device when it is an EventTimer, else on the host, each
// followed by a Sync.
func measure(dev device.Device, fn func() error, c TimingConfig) (Timing, error) {
	var last time.Duration
	for range max(c.Warmup, 1) {
		d, err := hostTime(dev, fn)
		if err != nil {
			return Timing{}, err
		}
		last = d
	}
	reps := c.MaxReps
	if last > 0 {
		reps = int(min(int64(c.Target/last)+1, int64(c.MaxReps)))
	}
	reps = max(reps, c.MinReps)
	if t, ok := dev.(EventTimer); ok {
		med, lo, hi, err := t.Time(fn, 0, reps)
		if err != nil {
			return Timing{}, fmt.Errorf("device timer: %w", err)
		}
		return Timing{Reps: reps, Median: med, Min: lo, Max: hi}, nil
	}
	ds := make([]time.Duration, reps)
	for i := range ds {
		d, err := hostTime(dev, fn)
		if err != nil {
			return Timing{}, err
		}
		ds[i] = d
	}
	slices.Sort(ds)
	med := ds[reps/2]
	if reps%2 == 0 {
		med = (ds[reps/2-1] + ds[reps/2]) / 2
	}
	return Timing{Reps: reps, Median: med, Min: ds[0], Max: ds[reps-1]}, nil
}

// hostTime runs fn once and waits for the device.
func hostTime(dev device.Device, fn func() error) (time.Duration, error) {
	start := time.Now()
	if err := fn(); err != nil {
		return 0, err
	}
	if err := dev.Sync(); err != nil {
		return 0, fmt.Errorf("sync: %w", err)
	}
	return time.Since(start), nil
}
