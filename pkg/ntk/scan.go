package ntk

import (
	"fmt"
	"math"

	"github.com/collegium/collegium/datasets"
	"github.com/collegium/collegium/pkg/models"
)

// ScanConfig is shared by every point of a scan: Samples initialisations
// from Seed, on Inputs inputs chosen by InputSeed, Workers goroutines, the
// Output whose kernel is measured, and the Cache. The inputs are images of
// Data for networks whose input size is Data's image size, and seeded
// N(0, 1) vectors otherwise (or when Data is nil).
type ScanConfig struct {
	Samples   int
	Seed      uint64
	Inputs    int
	InputSeed uint64
	Data      *datasets.Dataset
	Workers   int
	Output    Output
	Cache     Cache
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
	s, err := Measure(measurement(spec, spec.Input.Size(), cfg), FromModel(spec), cfg.Workers, cfg.Cache)
	if err != nil {
		return ScanPoint{}, err
	}
	return ScanPoint{Name: spec.String(), M: spec.Members, N: spec.Width, L: spec.Depth, Params: params, Summary: s}, nil
}

// MeasurePath measures an isolated bottleneck path.
func MeasurePath(b BottleneckPath, cfg ScanConfig) (ScanPoint, error) {
	s, err := Measure(measurement(b, b.InputSize(), cfg), b.Build, cfg.Workers, cfg.Cache)
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
	return Measurement{Network: network, Output: cfg.Output, Samples: cfg.Samples, Seed: cfg.Seed, Inputs: in}
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
// points, best AIC first.
func WidthFits(pts []ScanPoint, laws []Law) ([]Fit, error) {
	xs, ys, ses := curve(pts, func(p ScanPoint) float64 { return float64(p.N) })
	return FitAll(laws, xs, ys, ses)
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
