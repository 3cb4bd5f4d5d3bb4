package ntk

import (
	"fmt"
	"math"
)

// Slope is a weighted straight-line fit of ln y against ln x.
type Slope struct {
	Slope     float64 `json:"slope"`
	SE        float64 `json:"se"`
	Intercept float64 `json:"intercept"`
}

// LogLogSlope fits ln y = Intercept + Slope·ln x with weights 1/σ², where
// σ = se/y is the standard error of ln y by the delta method.
func LogLogSlope(xs, ys, ses []float64) (Slope, error) {
	if err := checkPoints(xs, ys, ses); err != nil {
		return Slope{}, fmt.Errorf("log-log slope: %w", err)
	}
	if len(xs) < 2 {
		return Slope{}, fmt.Errorf("log-log slope of %d points: %w", len(xs), ErrBadData)
	}
	var sw, sx, sy, sxx, sxy float64
	for i := range xs {
		if ys[i] <= 0 {
			return Slope{}, fmt.Errorf("log-log slope: y %g at point %d: %w", ys[i], i, ErrBadData)
		}
		s := ses[i] / ys[i]
		w := 1 / (s * s)
		lx, ly := math.Log(xs[i]), math.Log(ys[i])
		sw += w
		sx += w * lx
		sy += w * ly
		sxx += w * lx * lx
		sxy += w * lx * ly
	}
	d := sw*sxx - sx*sx
	if d <= 0 {
		return Slope{}, fmt.Errorf("log-log slope: all x equal: %w", ErrBadData)
	}
	b := (sw*sxy - sx*sy) / d
	return Slope{Slope: b, SE: math.Sqrt(sw / d), Intercept: (sy - b*sx) / sw}, nil
}
