package devicetest

import (
	"fmt"
	"math"
	"testing"

	"github.com/collegium/collegium/pkg/device"
)

// poolCases cover torchvision's stem pool, both strides and paddings,
// kernels 2 and 3, odd and non-square sizes and batch 1.
func poolCases() []device.PoolParams {
	c := func(n, ch, h, w, kh, kw, sh, sw, ph, pw int) device.PoolParams {
		return device.PoolParams{N: n, C: ch, H: h, W: w, KH: kh, KW: kw, StrideH: sh, StrideW: sw, PadH: ph, PadW: pw}
	}
	return []device.PoolParams{
		c(2, 3, 8, 8, 3, 3, 2, 2, 1, 1),     // ResNeXt stem pool
		c(2, 64, 28, 28, 3, 3, 2, 2, 1, 1),  // stem pool, 64 channels
		c(1, 5, 7, 9, 3, 3, 2, 2, 1, 1),     // odd sizes, batch 1
		c(3, 2, 7, 6, 3, 3, 1, 1, 0, 0),     // stride 1, no padding
		c(2, 3, 5, 7, 3, 3, 1, 1, 1, 1),     // stride 1, padding 1
		c(2, 4, 8, 6, 2, 2, 2, 2, 0, 0),     // kernel 2
		c(1, 3, 7, 5, 2, 2, 2, 2, 1, 1),     // kernel 2, padding 1, odd
		c(2, 3, 9, 6, 3, 2, 2, 1, 1, 0),     // non-square kernel, per-axis stride
		c(1, 2, 5, 8, 2, 3, 1, 2, 0, 1),     // non-square kernel, padding on one axis
		c(2, 2, 3, 3, 3, 3, 2, 2, 0, 0),     // one window
		c(1, 1, 1, 1, 1, 1, 1, 1, 0, 0),     // 1×1 identity
		c(1, 1, 130, 140, 3, 3, 2, 2, 1, 1), // plane larger than a parallel chunk
	}
}

// maxPoolRef computes, by the definition of max pooling with −∞ padding, the
// output y of x and the gradient dx for dy: each window's maximum is its
// first maximal element in row-major order (NaN above every number).
func maxPoolRef(p device.PoolParams, x, dy []float64) (y, dx []float64) {
	oh, ow := p.OutH(), p.OutW()
	y = make([]float64, p.N*p.C*oh*ow)
	dx = make([]float64, len(x))
	for plane := range p.N * p.C {
		for oy := range oh {
			for ox := range ow {
				best := -1
				for kh := range p.KH {
					iy := oy*p.StrideH - p.PadH + kh
					for kw := range p.KW {
						ix := ox*p.StrideW - p.PadW + kw
						if iy < 0 || iy >= p.H || ix < 0 || ix >= p.W {
							continue
						}
						xi := (plane*p.H+iy)*p.W + ix
						if best < 0 || x[xi] > x[best] || (math.IsNaN(x[xi]) && !math.IsNaN(x[best])) {
							best = xi
						}
					}
				}
				yi := (plane*oh+oy)*ow + ox
				y[yi] = x[best]
				dx[best] += dy[yi]
			}
		}
	}
	return y, dx
}

func testMaxPool(t *testing.T, h *harness) {
	for _, p := range poolCases() {
		name := fmt.Sprintf("%+v", p)
		nx, ny := p.N*p.C*p.H*p.W, p.N*p.C*p.OutH()*p.OutW()
		// Random values, then few distinct values: windows with ties.
		for _, x := range [][]float64{h.normal(nx), ties(h.uniform(nx, 0, 3))} {
			dy := h.normal(ny)
			y, dx := maxPoolRef(p, x, dy)
			X := h.buf(x)
			Y, DX := h.poisoned(ny), h.poisoned(nx)
			h.must("forward "+name, h.dev.MaxPool2d(p, X, Y))
			h.check("forward "+name, Y, y)
			h.must("grad "+name, h.dev.MaxPool2dGrad(p, X, h.buf(dy), DX))
			h.check("grad "+name, DX, dx)
		}
	}
	testMaxPoolSpecialValues(t, h)
}

// ties rounds v down to integers, so that windows hold equal maxima.
func ties(v []float64) []float64 {
	for i := range v {
		v[i] = math.Floor(v[i])
	}
	return v
}

// testMaxPoolSpecialValues checks that a NaN propagates to the windows that
// hold it and takes their gradient, and that an all −∞ window routes its
// gradient to its first element.
func testMaxPoolSpecialValues(t *testing.T, h *harness) {
	p := device.PoolParams{N: 1, C: 2, H: 4, W: 4, KH: 2, KW: 2, StrideH: 2, StrideW: 2}
	inf := math.Inf(-1)
	x := []float64{
		1, 2, 3, 4,
		5, 6, math.NaN(), 8,
		inf, inf, 1, 1,
		inf, inf, 1, 1,

		4, 4, 0, 0,
		4, 4, 0, 9,
		math.NaN(), 0, 0, 0,
		0, math.NaN(), 0, 0,
	}
	dy := []float64{1, 2, 3, 4, 5, 6, 7, 8}
	wantY, wantDX := maxPoolRef(p, x, dy)
	X := h.buf(x)
	Y, DX := h.poisoned(len(dy)), h.poisoned(len(x))
	h.must("max pool special values", h.dev.MaxPool2d(p, X, Y))
	for i, v := range h.get(Y) {
		if v != wantY[i] && !(math.IsNaN(v) && math.IsNaN(wantY[i])) {
			t.Errorf("max pool special values: y[%d] = %v, want %v", i, v, wantY[i])
		}
	}
	h.must("max pool grad special values", h.dev.MaxPool2dGrad(p, X, h.buf(dy), DX))
	h.check("max pool grad special values", DX, wantDX)
}
