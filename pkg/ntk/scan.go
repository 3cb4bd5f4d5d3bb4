package ntk

import (
	"fmt"
	"math"

	"github.com/sirupsen/logrus"
	"gorgonia.org/tensor"

	"github.com/collegium/collegium/datasets"
	"github.com/collegium/collegium/pkg/models"
)

// ScanConfig is shared by every point of a scan: initialisations from Seed
// drawn by the Sampling rule, on Inputs inputs chosen by InputSeed, in
// Precision (float32 or float64; empty: float64), with eval-mode BN or,
// with BatchStats, train-mode BN over the batch of inputs, on Workers
// goroutines each with its own device from Device (required), the Output
// whose kernel is measured, the Cache, and the Log for progress (nil: the
// lines are dropped). The inputs are images of
// Data for networks whose input size is Data's image size, and seeded
// N(0, 1) vectors otherwise (or when Data is nil).
type ScanConfig struct {
	Sampling   Sampling
	Seed       uint64
	Inputs     int
	InputSeed  uint64
	Data       *datasets.Dataset
	Precision  string
	BatchStats bool
	Workers    int
	Device     DeviceOpener
	Output     Output
	Cache      Cache
	Log        logrus.FieldLogger
}

// ScanPoint is one measured network of a scan.
type ScanPoint struct {
	// Name describes the network.
	Name string `json:"name"`
	// M, N and L are the members, width and depth (0 when not varied).
	M int `json:"m,omitempty"`
	N int `json:"n,omitempty"`
	L int `json:"l,omitempty"`
	// Params is the number of trainable values.
	Params  int     `json:"params"`
	Summary Summary `json:"summary"`
}

// MeasureSpec measures the model of spec (eval-mode BN, see FromModel).
func MeasureSpec(spec models.Spec, cfg ScanConfig) (ScanPoint, error) {
	params, err := models.ParamCount(spec)
	if err != nil {
		return ScanPoint{}, fmt.Errorf("ntk: measure %s: %w", spec, err)
	}
	dtype, err := cfg.dtype()
	if err != nil {
		return ScanPoint{}, err
	}
	build := FromModel(spec, dtype, cfg.BatchStats, cfg.Inputs)
	s, err := Measure(measurement(spec, spec.Input.Size(), cfg), cfg.Sampling, build, cfg.Workers, cfg.Device, cfg.Cache, cfg.Log)
	if err != nil {
		return ScanPoint{}, err
	}
	return ScanPoint{Name: spec.String(), M: spec.Members, N: spec.Width, L: spec.Depth, Params: params, Summary: s}, nil
}

// MeasurePath measures an isolated bottleneck path.
func MeasurePath(b BottleneckPath, cfg ScanConfig) (ScanPoint, error) {
	if cfg.Precision != "" || cfg.BatchStats {
		return ScanPoint{}, fmt.Errorf("ntk: bottleneck path %+v: measured in float64 without BN only", b)
	}
	s, err := Measure(measurement(b, b.InputSize(), cfg), cfg.Sampling, b.Build, cfg.Workers, cfg.Device, cfg.Cache, cfg.Log)
	if err != nil {
		return ScanPoint{}, err
	}
	params := 2*b.In*b.Width + 9*b.Width*b.Width
	return ScanPoint{Name: fmt.Sprintf("path %d→%d→%d→%d", b.In, b.Width, b.Width, b.In), N: b.Width, Params: params, Summary: s}, nil
}

func measurement(network any, inputSize int, cfg ScanConfig) Measurement {
	in := Inputs{Count: cfg.Inputs, Size: inputSize, Seed: cfg.InputSeed}
	if cfg.Data != nil && cfg.Data.ImageSize() == inputSize {
		in.Source, in.Data = cfg.Data.Name+"/"+string(cfg.Data.Split), cfg.Data
	}
	m := Measurement{Network: network, Output: cfg.Output, Seed: cfg.Seed, Inputs: in, Precision: cfg.Precision, BatchStats: cfg.BatchStats}
	if m.Precision == Float64 {
		m.Precision = ""
	}
	return m
}

// The precisions a measurement can run in.
const (
	Float32 = "float32"
	Float64 = "float64"
)

// dtype resolves cfg.Precision; float64 is stored as "" in cache keys.
func (cfg ScanConfig) dtype() (tensor.Dtype, error) {
	switch cfg.Precision {
	case "", Float64:
		return tensor.Float64, nil
	case Float32:
		return tensor.Float32, nil
	}
	return tensor.Dtype{}, fmt.Errorf("ntk: precision %q: want float32 or float64", cfg.Precision)
}

// InputsLabel says in words which inputs a network of inputSize values is
// measured on.
func (cfg ScanConfig) InputsLabel(inputSize int) string {
	if in := measurement(nil, inputSize, cfg).Inputs; in.Data != nil {
		return fmt.Sprintf("%d %s images", in.Count, in.Source)
	}
	return fmt.Sprintf("%d random N(0, 1) inputs", cfg.Inputs)
}

// MembersScan measures base with each number of members in ms (V should
// fall as 1/m) and fits the log-log slope of V_diag against m.
func MembersScan(base models.Spec, ms []int, cfg ScanConfig) ([]ScanPoint, Slope, error) {
	var pts []ScanPoint
	for _, m := range ms {
		s := base
		s.Members = m
		pt, err := MeasureSpec(s, cfg)
		if err != nil {
			return nil, Slope{}, err
		}
		pts = append(pts, pt)
	}
	xs, ys, ses := curve(pts, func(p ScanPoint) float64 { return float64(p.M) })
	slope, err := LogLogSlope(xs, ys, ses)
	if err != nil {
		return nil, Slope{}, fmt.Errorf("ntk: members scan: %w", err)
	}
	return pts, slope, nil
}

// DepthWidthScan measures single ReLU MLPs (base with one member) over every
// depth in ls and width in ns and fits Hanin & Nica's V = exp(c·L/n) − 1,
// returning the fit of c (their asymptotic value is 5).
func DepthWidthScan(base models.Spec, ls, ns []int, cfg ScanConfig) ([]ScanPoint, Fit, error) {
	var pts []ScanPoint
	for _, l := range ls {
		for _, n := range ns {
			s := base
			s.Members, s.Depth, s.Width = 1, l, n
			pt, err := MeasureSpec(s, cfg)
			if err != nil {
				return nil, Fit{}, err
			}
			pts = append(pts, pt)
		}
	}
	xs, ys, ses := curve(pts, func(p ScanPoint) float64 { return float64(p.N) / float64(p.L) })
	fit, err := FitLaw(ExpInverse, xs, ys, ses)
	if err != nil {
		return nil, Fit{}, fmt.Errorf("ntk: depth-width scan: %w", err)
	}
	return pts, fit, nil
}

// WidthFits fits every law of laws to V_diag against the width N of the
// points and ranks them by held-out prediction (SelectLaw).
func WidthFits(pts []ScanPoint, laws []Law) (Selection, error) {
	xs, ys, ses := WidthCurve(pts)
	return SelectLaw(laws, xs, ys, ses)
}

// WidthCurve is (n, V_diag, SE) of the points, each SE floored at 1% of V.
func WidthCurve(pts []ScanPoint) (xs, ys, ses []float64) {
	return curve(pts, func(p ScanPoint) float64 { return float64(p.N) })
}

// curve extracts (x, V_diag, SE) from the points, flooring each SE at 1% of
// V so that one lucky, tight estimate cannot dominate a fit.
func curve(pts []ScanPoint, x func(ScanPoint) float64) (xs, ys, ses []float64) {
	for _, p := range pts {
		v := p.Summary.VDiag
		xs = append(xs, x(p))
		ys = append(ys, v.Value)
		ses = append(ses, math.Max(v.SE, 0.01*math.Abs(v.Value)))
	}
	return xs, ys, ses
}
