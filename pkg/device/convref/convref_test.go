package convref

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/collegium/collegium/pkg/device"
)

// TestAdjoint checks the three passes against each other and against a
// hand-computed case: the gradients are the adjoints of the forward map, so
// ⟨conv(x, w), dy⟩ = ⟨x, dx⟩ = ⟨w, dw⟩ for any dy, over grouped, strided,
// padded and dilated shapes.
func TestAdjoint(t *testing.T) {
	c := func(n, ch, h, w, o, kh, kw, g, sh, sw, ph, pw, dh, dw int) device.ConvParams {
		return device.ConvParams{N: n, C: ch, H: h, W: w, O: o, KH: kh, KW: kw, Groups: g,
			StrideH: sh, StrideW: sw, PadH: ph, PadW: pw, DilH: dh, DilW: dw}
	}
	r := rand.New(rand.NewPCG(1, 2))
	normal := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = r.NormFloat64()
		}
		return v
	}
	dot := func(a, b []float64) (s float64) {
		for i := range a {
			s += a[i] * b[i]
		}
		return s
	}
	for _, p := range []device.ConvParams{
		c(2, 3, 7, 6, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1),
		c(2, 6, 9, 8, 9, 3, 2, 3, 2, 1, 1, 0, 1, 2),
		c(1, 4, 10, 11, 8, 3, 3, 4, 1, 3, 2, 2, 2, 1),
		c(3, 8, 5, 5, 4, 1, 1, 2, 2, 2, 0, 0, 1, 1),
	} {
		t.Run(fmt.Sprintf("%+v", p), func(t *testing.T) {
			x, w := normal(p.N*p.C*p.H*p.W), normal(p.O*p.C/p.Groups*p.KH*p.KW)
			dy := normal(p.N * p.O * p.OutH() * p.OutW())
			y, dx, dw := All(p, x, w, dy)
			want := dot(y, dy)
			for name, got := range map[string]float64{"<x, dx>": dot(x, dx), "<w, dw>": dot(w, dw)} {
				if math.Abs(got-want) > 1e-9*(1+math.Abs(want)) {
					t.Errorf("%s = %v, <y, dy> = %v", name, got, want)
				}
			}
		})
	}
	// One 1-channel 3×3 image, a 2×2 filter of ones, no padding: each
	// output is the sum of its window, and the sum of the absolute values
	// of its terms is the same for positive inputs.
	p := c(1, 1, 3, 3, 1, 2, 2, 1, 1, 1, 0, 0, 1, 1)
	x := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9}
	w := []float64{1, 1, 1, 1}
	for i, want := range []float64{12, 16, 24, 28} {
		if val, abs := Forward(p, x, w, i); val != want || abs != want {
			t.Errorf("Forward(%d) = %v, %v; want %v, %v", i, val, abs, want, want)
		}
	}
}
