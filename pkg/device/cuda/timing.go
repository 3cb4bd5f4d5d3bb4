//go:build gpu || cudaemu

package cuda

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Time runs fn warmup times, then reps times, each timed with CUDA events
// recorded on the device's stream around it (fn should only enqueue work),
// and returns the median, minimum and maximum GPU time of one call.
func (d *Device) Time(fn func() error, warmup, reps int) (median, lo, hi time.Duration, err error) {
	if reps < 1 {
		return 0, 0, 0, fmt.Errorf("%s: time: reps %d must be at least 1", d.Name(), reps)
	}
	for i := 0; i < warmup; i++ {
		if err := fn(); err != nil {
			return 0, 0, 0, fmt.Errorf("%s: time: warm-up %d: %w", d.Name(), i, err)
		}
	}
	start, stop, err := d.events()
	if err != nil {
		return 0, 0, 0, err
	}
	defer func() { err = errors.Join(err, d.destroyEvents(start, stop)) }()
	times := make([]time.Duration, 0, reps)
	for i := 0; i < reps; i++ {
		if err := d.record(start); err != nil {
			return 0, 0, 0, err
		}
		if err := fn(); err != nil {
			return 0, 0, 0, fmt.Errorf("%s: time: rep %d: %w", d.Name(), i, err)
		}
		if err := d.record(stop); err != nil {
			return 0, 0, 0, err
		}
		ms, err := d.elapsed(start, stop)
		if err != nil {
			return 0, 0, 0, err
		}
		times = append(times, time.Duration(ms*float64(time.Millisecond)))
	}
	slices.Sort(times)
	return times[len(times)/2], times[0], times[len(times)-1], nil
}

// events creates a start and a stop event.
func (d *Device) events() (event, event, error) {
	var none event
	leave, err := d.enter()
	if err != nil {
		return none, none, err
	}
	defer leave()
	start, err := d.drv.newEvent()
	if err != nil {
		return none, none, fmt.Errorf("%s: create event: %w", d.Name(), err)
	}
	stop, err := d.drv.newEvent()
	if err != nil {
		return none, none, errors.Join(fmt.Errorf("%s: create event: %w", d.Name(), err), d.drv.destroyEvent(start))
	}
	return start, stop, nil
}

// destroyEvents releases the events made by events.
func (d *Device) destroyEvents(start, stop event) error {
	leave, err := d.enter()
	if err != nil {
		return err
	}
	defer leave()
	if err := errors.Join(d.drv.destroyEvent(start), d.drv.destroyEvent(stop)); err != nil {
		return fmt.Errorf("%s: destroy events: %w", d.Name(), err)
	}
	return nil
}

// record records ev on the stream.
func (d *Device) record(ev event) error {
	leave, err := d.enter()
	if err != nil {
		return err
	}
	defer leave()
	if err := d.drv.record(ev); err != nil {
		return fmt.Errorf("%s: record event: %w", d.Name(), err)
	}
	return nil
}

// elapsed waits for stop and returns the milliseconds between the events.
func (d *Device) elapsed(start, stop event) (float64, error) {
	leave, err := d.enter()
	if err != nil {
		return 0, err
	}
	defer leave()
	ms, err := d.drv.elapsed(start, stop)
	if err != nil {
		return 0, fmt.Errorf("%s: elapsed time: %w%s", d.Name(), err, d.faultHint())
	}
	return ms, nil
}
