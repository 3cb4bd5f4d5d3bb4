package devicetest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/collegium/collegium/pkg/device"
	"gorgonia.org/tensor"
)

// harness draws inputs, moves them to and from the device under test and
// compares results with float64 references.
type harness struct {
	t   *testing.T
	dev device.Device
	dt  tensor.Dtype
	rng *rand.Rand
	// downloads, when not nil, collects every buffer get reads, in order
	// (see Deterministic).
	downloads *[][]float64
	// noRefs skips the costliest references (products and convolutions):
	// Deterministic compares runs with each other, Run with references.
	noRefs bool
}

func newHarness(t *testing.T, dev device.Device, dt tensor.Dtype, seed uint64) *harness {
	return &harness{t: t, dev: dev, dt: dt, rng: rand.New(rand.NewPCG(seed, 0x5eed))}
}

// tolerance is the relative error allowed for the harness's dtype.
func (h *harness) tolerance() float64 {
	if h.dt == tensor.Float32 {
		return 1e-5
	}
	return 1e-10
}

// round returns v as representable in the harness's dtype, so references
// see exactly the device's inputs.
func (h *harness) round(v []float64) []float64 {
	if h.dt == tensor.Float32 {
		for i := range v {
			v[i] = float64(float32(v[i]))
		}
	}
	return v
}

// uniform returns n values drawn uniformly from [lo, hi).
func (h *harness) uniform(n int, lo, hi float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = lo + (hi-lo)*h.rng.Float64()
	}
	return h.round(v)
}

// normal returns n standard normal values.
func (h *harness) normal(n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = h.rng.NormFloat64()
	}
	return h.round(v)
}

// buf allocates a device buffer holding vals.
func (h *harness) buf(vals []float64) device.Buffer {
	h.t.Helper()
	b, err := h.dev.Alloc(h.dt, len(vals))
	if err != nil {
		h.t.Fatalf("alloc %d × %v: %v", len(vals), h.dt, err)
	}
	if err := h.dev.Upload(b, h.host(vals)); err != nil {
		h.t.Fatalf("upload: %v", err)
	}
	return b
}

// poisoned allocates a device buffer of n NaNs, so that elements a kernel
// forgets to write are caught.
func (h *harness) poisoned(n int) device.Buffer {
	h.t.Helper()
	v := make([]float64, n)
	for i := range v {
		v[i] = math.NaN()
	}
	return h.buf(v)
}

// host converts vals to a host slice of the harness's dtype.
func (h *harness) host(vals []float64) any {
	if h.dt == tensor.Float32 {
		s := make([]float32, len(vals))
		for i, v := range vals {
			s[i] = float32(v)
		}
		return s
	}
	return append([]float64(nil), vals...)
}

// get downloads b.
func (h *harness) get(b device.Buffer) []float64 {
	h.t.Helper()
	v := h.download(b)
	if h.downloads != nil {
		*h.downloads = append(*h.downloads, append([]float64(nil), v...))
	}
	return v
}

func (h *harness) download(b device.Buffer) []float64 {
	h.t.Helper()
	if h.dt == tensor.Float32 {
		s := make([]float32, b.Len())
		if err := h.dev.Download(s, b); err != nil {
			h.t.Fatalf("download: %v", err)
		}
		v := make([]float64, len(s))
		for i, x := range s {
			v[i] = float64(x)
		}
		return v
	}
	v := make([]float64, b.Len())
	if err := h.dev.Download(v, b); err != nil {
		h.t.Fatalf("download: %v", err)
	}
	return v
}

// must fails the test when a kernel call returned an error.
func (h *harness) must(what string, err error) {
	h.t.Helper()
	if err != nil {
		h.t.Fatalf("%s: %v", what, err)
	}
}

// check compares the contents of b with ref: every element finite and
// ‖b − ref‖/‖ref‖ within the dtype's tolerance. A nil ref (noRefs) only
// reads b.
func (h *harness) check(what string, b device.Buffer, ref []float64) {
	h.t.Helper()
	if ref == nil {
		h.get(b)
		return
	}
	if err := compare(h.get(b), ref, h.tolerance()); err != nil {
		h.t.Errorf("%s: %v", what, err)
	}
}

// compare reports whether got matches ref within relative tolerance tol.
func compare(got, ref []float64, tol float64) error {
	if len(got) != len(ref) {
		return fmt.Errorf("%d elements, reference has %d", len(got), len(ref))
	}
	var diff, norm float64
	for i, g := range got {
		if math.IsNaN(g) || math.IsInf(g, 0) {
			return fmt.Errorf("element %d is %v (reference %v)", i, g, ref[i])
		}
		diff += (g - ref[i]) * (g - ref[i])
		norm += ref[i] * ref[i]
	}
	diff, norm = math.Sqrt(diff), math.Sqrt(norm)
	if norm == 0 {
		if diff > tol {
			return fmt.Errorf("‖out‖ = %g with a zero reference", diff)
		}
		return nil
	}
	if diff/norm > tol {
		return fmt.Errorf("relative error %g > %g (‖ref‖ = %g)", diff/norm, tol, norm)
	}
	return nil
}
