package bench

import (
	"errors"
	"fmt"
	"strings"
)

// Result is the outcome of one pass of one case on one device. Figures is
// nil unless the outputs were verified on that run: no figure is reported
// for an unverified pass.
type Result struct {
	Case      string  `json:"case"`
	Op        Op      `json:"op"`
	Device    string  `json:"device"`
	Pass      Pass    `json:"pass"`
	Groups    int     `json:"groups"`
	PerGroup  int     `json:"per_group"`
	Params    int64   `json:"params"`
	FLOPs     int64   `json:"flops"`
	Bytes     int64   `json:"bytes"`
	Verified  bool    `json:"verified"`
	MaxRelErr float64 `json:"max_rel_err"`
	Error     string  `json:"error,omitempty"`
	*Figures
}

// Figures are the timings of a verified pass and the rates they give.
// PeakFrac is GFLOPS over the device's measured SGEMM peak, 0 when no peak
// is known.
type Figures struct {
	Reps     int     `json:"reps"`
	MedianMS float64 `json:"median_ms"`
	MinMS    float64 `json:"min_ms"`
	MaxMS    float64 `json:"max_ms"`
	GFLOPS   float64 `json:"gflops"`
	GBPS     float64 `json:"gbps"`
	PeakFrac float64 `json:"peak_frac,omitempty"`
}

// newFigures turns a timing of a pass of flops FLOPs moving bytes bytes into
// figures, with rates taken at the median.
func newFigures(t Timing, flops, bytes int64, peakGFLOPS float64) *Figures {
	ms := func(d float64) float64 { return d / 1e6 }
	sec := t.Median.Seconds()
	f := &Figures{Reps: t.Reps, MedianMS: ms(float64(t.Median)), MinMS: ms(float64(t.Min)), MaxMS: ms(float64(t.Max))}
	if sec > 0 {
		f.GFLOPS = float64(flops) / sec / 1e9
		f.GBPS = float64(bytes) / sec / 1e9
	}
	if peakGFLOPS > 0 {
		f.PeakFrac = f.GFLOPS / peakGFLOPS
	}
	return f
}

// ErrUnverified is wrapped by Unverified's error.
var ErrUnverified = errors.New("not verified")

// Unverified returns an error wrapping ErrUnverified that lists the results
// without verified figures, or nil when every result was verified.
func Unverified(rs []Result) error {
	var bad []string
	for _, r := range rs {
		if !r.Verified {
			bad = append(bad, r.Case+" "+string(r.Pass))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("%d of %d results %w: %s", len(bad), len(rs), ErrUnverified, strings.Join(bad, ", "))
}
