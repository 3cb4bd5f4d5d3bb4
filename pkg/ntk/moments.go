package ntk

import (
	"errors"
	"fmt"
	"math"
)

// Moments are the first two moments of one kernel entry over
// initialisations and its normalised variance V = Var/Mean².
type Moments struct {
	Mean float64 `json:"mean"`
	Var  float64 `json:"var"`
	V    float64 `json:"v"`
}

// ErrTooFewSamples is returned when a statistic needs more samples than given.
var ErrTooFewSamples = errors.New("too few Monte-Carlo samples")

// MomentsOf returns the mean, the unbiased variance and V = Var/Mean² of xs.
func MomentsOf(xs []float64) (Moments, error) {
	if len(xs) < 2 {
		return Moments{}, fmt.Errorf("moments of %d values: %w", len(xs), ErrTooFewSamples)
	}
	mean, v := meanVar(xs)
	if mean == 0 {
		return Moments{Mean: mean, Var: v, V: math.Inf(1)}, nil
	}
	return Moments{Mean: mean, Var: v, V: v / (mean * mean)}, nil
}

// meanVar returns the mean and the unbiased variance of xs (len ≥ 2).
func meanVar(xs []float64) (mean, variance float64) {
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return mean, ss / float64(len(xs)-1)
}
