package bench

import (
	"errors"
	"fmt"
	"math/rand/v2"
)

// ErrMismatch is wrapped by verification failures.
var ErrMismatch = errors.New("output differs from the float64 reference")

// VerifyConfig sets the sampled check of outputs: Samples random elements of
// each output (every element when it has no more), each within Tol·Σ|terms|
// of the float64 reference, the sum running over the element's products.
type VerifyConfig struct {
	Samples int
	Tol     float64
}

// DefaultVerify checks 64 elements per output with a tolerance that float32
// accumulation (even TF32-like 10-bit products) meets and a wrong index does
// not.
var DefaultVerify = VerifyConfig{Samples: 64, Tol: 1e-4}

// verify downloads each output pass p wrote and checks it against the
// reference, returning the largest error relative to Σ|terms|.
func (l *layer) verify(p Pass, c VerifyConfig, rng *rand.Rand) (maxRel float64, err error) {
	for _, q := range p.outputs() {
		out := l.output(q)
		got := l.scratch[:out.Len()]
		if err := l.dev.Download(got, out); err != nil {
			return maxRel, fmt.Errorf("download %s output: %w", q, err)
		}
		idx := sampleIndices(len(got), c.Samples, rng)
		for _, i := range idx {
			want, scale := l.reference(q, i)
			diff := float64(got[i]) - want
			diff = max(diff, -diff)
			if !(diff <= c.Tol*scale) {
				return maxRel, fmt.Errorf("%s: %s output element %d is %g, want %g (|error| %.3g > %g·%.3g): %w",
					l.c.Name(), q, i, got[i], want, diff, c.Tol, scale, ErrMismatch)
			}
			if scale > 0 {
				maxRel = max(maxRel, diff/scale)
			}
		}
	}
	return maxRel, nil
}

// sampleIndices returns every index below n when n ≤ k, else k random ones
// including the first and the last.
func sampleIndices(n, k int, rng *rand.Rand) []int {
	if n <= k {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	idx := []int{0, n - 1}
	for len(idx) < k {
		idx = append(idx, rng.IntN(n))
	}
	return idx
}
