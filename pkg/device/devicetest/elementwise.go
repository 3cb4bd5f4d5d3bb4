package devicetest

import (
	"testing"

	"github.com/collegium/collegium/pkg/device"
)

// vecSizes are lengths around the chunking of parallel devices.
var vecSizes = []int{1, 7, 1000, 1<<14 + 3, 100003}

func testElementwise(t *testing.T, h *harness) {
	for _, n := range vecSizes {
		a, b := h.normal(n), h.normal(n)
		A, B := h.buf(a), h.buf(b)

		y := h.poisoned(n)
		h.must("fill", h.dev.Fill(y, -2.5))
		h.check("fill", y, mapRef(a, func(int, float64) float64 { return -2.5 }))

		y = h.poisoned(n)
		h.must("copy", h.dev.Copy(y, A))
		h.check("copy", y, a)

		y = h.poisoned(n)
		h.must("add", h.dev.Add(A, B, y))
		sum := mapRef(a, func(i int, v float64) float64 { return v + b[i] })
		h.check("add", y, sum)
		h.must("add in place", h.dev.Add(y, B, y))
		h.check("add in place", y, mapRef(sum, func(i int, v float64) float64 { return v + b[i] }))

		y = h.poisoned(n)
		h.must("scale", h.dev.Scale(-0.75, A, y))
		h.check("scale", y, mapRef(a, func(_ int, v float64) float64 { return -0.75 * v }))
		h.must("scale in place", h.dev.Scale(2, y, y))
		h.check("scale in place", y, mapRef(a, func(_ int, v float64) float64 { return -1.5 * v }))

		relu := mapRef(a, func(_ int, v float64) float64 { return max(v, 0) })
		y = h.poisoned(n)
		h.must("relu", h.dev.ReLU(A, y))
		h.check("relu", y, relu)
		dx := h.poisoned(n)
		h.must("relu grad", h.dev.ReLUGrad(y, B, dx))
		h.check("relu grad", dx, mapRef(b, func(i int, v float64) float64 {
			if relu[i] > 0 {
				return v
			}
			return 0
		}))
	}
}

// mapRef returns f(i, v) for every element of v.
func mapRef(v []float64, f func(int, float64) float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = f(i, x)
	}
	return out
}

// layouts are (Outer, C, Inner) views: a dense layer's (B, C), convolution
// maps, a single channel, odd sizes.
var layouts = []device.ChannelLayout{
	{Outer: 16, C: 10, Inner: 1},
	{Outer: 3, C: 7, Inner: 25},
	{Outer: 4, C: 37, Inner: 64},
	{Outer: 1, C: 1, Inner: 1 << 15},
	{Outer: 33, C: 5, Inner: 3},
}

func testBias(t *testing.T, h *harness) {
	for _, l := range layouts {
		x, b := h.normal(l.Len()), h.normal(l.C)
		X, Bb := h.buf(x), h.buf(b)
		y := h.poisoned(l.Len())
		h.must("bias add", h.dev.BiasAdd(l, X, Bb, y))
		h.check("bias add", y, mapRef(x, func(i int, v float64) float64 { return v + b[(i/l.Inner)%l.C] }))
		db := h.poisoned(l.C)
		h.must("bias grad", h.dev.BiasGrad(l, X, db))
		ref := make([]float64, l.C)
		for i, v := range x {
			ref[(i/l.Inner)%l.C] += v
		}
		h.check("bias grad", db, ref)
	}
}

func testPooling(t *testing.T, h *harness) {
	for _, s := range [][2]int{{1, 1}, {6, 49}, {128 * 64, 64}, {3, 1 << 15}} {
		rows, spatial := s[0], s[1]
		x, dy := h.normal(rows*spatial), h.normal(rows)
		y := h.poisoned(rows)
		h.must("global avg pool", h.dev.GlobalAvgPool(rows, spatial, h.buf(x), y))
		ref := make([]float64, rows)
		for i, v := range x {
			ref[i/spatial] += v / float64(spatial)
		}
		h.check("global avg pool", y, ref)
		dx := h.poisoned(rows * spatial)
		h.must("global avg pool grad", h.dev.GlobalAvgPoolGrad(rows, spatial, h.buf(dy), dx))
		h.check("global avg pool grad", dx, mapRef(x, func(i int, _ float64) float64 { return dy[i/spatial] / float64(spatial) }))
	}
}

func testMemberMean(t *testing.T, h *harness) {
	for _, p := range []device.MemberParams{
		{Batch: 1, Members: 1, Width: 10, Scale: 1},
		{Batch: 5, Members: 16, Width: 10, Scale: 1.0 / 16},
		{Batch: 128, Members: 37, Width: 100, Scale: 0.25},
	} {
		x, dy := h.normal(p.Batch*p.Members*p.Width), h.normal(p.Batch*p.Width)
		y := h.poisoned(p.Batch * p.Width)
		h.must("member mean", h.dev.MemberMean(p, h.buf(x), y))
		ref := make([]float64, p.Batch*p.Width)
		for i, v := range x {
			b, j := i/(p.Members*p.Width), i%p.Width
			ref[b*p.Width+j] += p.Scale * v
		}
		h.check("member mean", y, ref)
		dx := h.poisoned(len(x))
		h.must("member mean grad", h.dev.MemberMeanGrad(p, h.buf(dy), dx))
		h.check("member mean grad", dx, mapRef(x, func(i int, _ float64) float64 {
			return p.Scale * dy[i/(p.Members*p.Width)*p.Width+i%p.Width]
		}))
	}
}
