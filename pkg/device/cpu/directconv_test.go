//go:build amd64

package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/device/convref"
)

// kernelSets are the direct kernel sets this machine can run, by name.
func kernelSets() map[string][2]bool {
	sets := map[string][2]bool{}
	if useDirectAVX512 {
		sets["avx512"] = [2]bool{true, false}
	}
	if useDirectAVX2 {
		sets["avx2"] = [2]bool{false, true}
	}
	return sets
}

// withKernels runs f with the direct kernel switches set to s.
func withKernels(s [2]bool, f func()) {
	avx512, avx2 := useDirectAVX512, useDirectAVX2
	defer func() { useDirectAVX512, useDirectAVX2 = avx512, avx2 }()
	useDirectAVX512, useDirectAVX2 = s[0], s[1]
	f()
}

// convOutputs runs the three convolution passes of p on dev.
func convOutputs(t *testing.T, dev *Device, p device.ConvParams, x, w, dy []float32) (y, dx, dw []float32) {
	t.Helper()
	y = make([]float32, p.N*p.O*p.OutH()*p.OutW())
	dx, dw = make([]float32, len(x)), make([]float32, len(w))
	bx, bw, bdy := wrap(t, x), wrap(t, w), wrap(t, dy)
	by, bdx, bdw := wrap(t, y), wrap(t, dx), wrap(t, dw)
	for name, err := range map[string]error{
		"forward":         dev.Conv2dForward(p, bx, bw, by),
		"backward data":   dev.Conv2dBackwardData(p, bdy, bw, bdx),
		"backward filter": dev.Conv2dBackwardFilter(p, bx, bdy, bdw),
	} {
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	return y, dx, dw
}

func wrap(t testing.TB, v []float32) *Buffer {
	t.Helper()
	b, err := Wrap(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func random(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

// closeTo reports the first element where got and want differ by more
// than a float32 rounding tolerance scaled to the terms summed.
func closeTo(got, want []float32, terms int) error {
	tol := 1e-5 * math.Sqrt(float64(terms)) * 4
	for i := range want {
		if d := math.Abs(float64(got[i] - want[i])); d > tol*(1+math.Abs(float64(want[i]))) {
			return fmt.Errorf("element %d: got %v, want %v", i, got[i], want[i])
		}
	}
	return nil
}

// TestDirectConv checks each direct kernel set against the im2col path on
// random inputs: channels per group 1–16 (in and out differing; 1–3 in
// with 33–64 out, which only the filter gradient takes), widths
// that are not multiples of a vector (up to 69, past two 32-wide steps of
// the phase split), padding 0–2, stride 1 and 2 (odd and even sizes),
// batch 1 and 2 (the batched path off), one worker and two.
func TestDirectConv(t *testing.T) {
	sets := kernelSets()
	if len(sets) == 0 {
		t.Skip("no direct kernels on this CPU")
	}
	defer func(v int) { batchCols = v }(batchCols)
	batchCols = 0
	r := rand.New(rand.NewPCG(1, 2))
	type shape struct{ cg, og, groups, h, w, pad, n, stride int }
	var shapes []shape
	for i, cg := range []int{1, 2, 3, 4, 5, 8, 10, 16} {
		shapes = append(shapes,
			shape{cg, cg, 3, 7, 13, 1, 1, 1},
			shape{cg, []int{4, 10, 16, 1}[i%4], 2, 9, 21, i % 3, 2, 1},
			shape{cg, cg, 1, 5, 3 + i, 2, 1, 1},
			shape{cg, []int{16, 4, 1, 10}[i%4], 2, 14 + i%2, 11 + i, i % 3, 2, 2},
			shape{cg, cg, 1, 28, 28, 1, 1, 2},
		)
	}
	shapes = append(shapes, shape{4, 4, 5, 17, 35, 0, 2, 1}, shape{10, 10, 2, 12, 12, 1, 3, 1}, shape{16, 16, 4, 28, 28, 1, 3, 2},
		shape{4, 4, 2, 21, 69, 1, 2, 2}, shape{3, 5, 2, 20, 66, 2, 2, 2},
		shape{1, 64, 1, 28, 28, 1, 2, 1}, shape{3, 40, 2, 13, 11, 1, 2, 1}, shape{2, 33, 1, 15, 14, 0, 2, 2})
	for _, s := range shapes {
		p := device.ConvParams{N: s.n, C: s.cg * s.groups, H: s.h, W: s.w, O: s.og * s.groups, KH: 3, KW: 3,
			Groups: s.groups, StrideH: s.stride, StrideW: s.stride, PadH: s.pad, PadW: s.pad, DilH: 1, DilW: 1}
		x := random(r, p.N*p.C*p.H*p.W)
		w := random(r, p.O*s.cg*9)
		dy := random(r, p.N*p.O*p.OutH()*p.OutW())
		for _, workers := range []int{1, 2} {
			dev := New(workers)
			var want [3][]float32
			withKernels([2]bool{}, func() { want[0], want[1], want[2] = convOutputs(t, dev, p, x, w, dy) })
			for name, set := range sets {
				withKernels(set, func() {
					var got [3][]float32
					got[0], got[1], got[2] = convOutputs(t, dev, p, x, w, dy)
					for i, pass := range []string{"forward", "backward data", "backward filter"} {
						terms := []int{s.cg * 9, s.og * 9, p.N * p.OutH() * p.OutW()}[i]
						if err := closeTo(got[i], want[i], terms); err != nil {
							t.Errorf("%s workers=%d %+v %s: %v", name, workers, s, pass, err)
						}
					}
				})
			}
			if err := dev.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestDirectDispatch checks which convolutions planDirect takes.
func TestDirectDispatch(t *testing.T) {
	if len(kernelSets()) == 0 {
		t.Skip("no direct kernels on this CPU")
	}
	base := device.ConvParams{N: 2, C: 40, H: 9, W: 9, O: 40, KH: 3, KW: 3, Groups: 4,
		StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1}
	plan32 := func(mode convMode, p device.ConvParams) bool {
		t := convTask[float32]{mode: mode, p: p, cpg: p.C / p.Groups, opg: p.O / p.Groups}
		return t.planDirect()
	}
	for _, c := range []struct {
		name string
		edit func(p *device.ConvParams)
		mode convMode
		want bool
	}{
		{"forward", func(*device.ConvParams) {}, convForward, true},
		{"filter", func(*device.ConvParams) {}, convBackwardFilter, true},
		{"data (run as forward)", func(*device.ConvParams) {}, convBackwardData, false},
		{"16 per group", func(p *device.ConvParams) { p.C, p.O = 64, 64 }, convForward, true},
		{"17 per group", func(p *device.ConvParams) { p.C, p.O = 68, 68 }, convForward, false},
		{"17 out per group", func(p *device.ConvParams) { p.O = 68 }, convForward, false},
		{"1 in, 64 out per group forward", func(p *device.ConvParams) { p.C, p.O = 4, 256 }, convForward, false},
		{"1 in, 64 out per group filter", func(p *device.ConvParams) { p.C, p.O = 4, 256 }, convBackwardFilter, true},
		{"3 in, 64 out per group filter", func(p *device.ConvParams) { p.C, p.O = 12, 256 }, convBackwardFilter, true},
		{"4 in, 17 out per group filter", func(p *device.ConvParams) { p.C, p.O = 16, 68 }, convBackwardFilter, false},
		{"1 in, 65 out per group filter", func(p *device.ConvParams) { p.C, p.O = 4, 260 }, convBackwardFilter, false},
		{"stride 2", func(p *device.ConvParams) { p.StrideH, p.StrideW = 2, 2 }, convForward, true},
		{"stride 2 filter", func(p *device.ConvParams) { p.StrideH, p.StrideW = 2, 2 }, convBackwardFilter, true},
		{"stride 3", func(p *device.ConvParams) { p.StrideH, p.StrideW = 3, 3 }, convForward, false},
		{"stride 2×1", func(p *device.ConvParams) { p.StrideH = 2 }, convForward, false},
		{"dilation 2", func(p *device.ConvParams) { p.DilH, p.DilW = 2, 2 }, convForward, false},
		{"1×1", func(p *device.ConvParams) { p.KH, p.KW, p.PadH, p.PadW = 1, 1, 0, 0 }, convForward, false},
		{"pad 3", func(p *device.ConvParams) { p.PadH, p.PadW = 3, 3 }, convForward, true},
		{"filter, 4×4 outputs", func(p *device.ConvParams) { p.H, p.W = 4, 4 }, convBackwardFilter, false},
		{"filter, 4×4 outputs, one image", func(p *device.ConvParams) { p.H, p.W, p.N = 4, 4, 1 }, convBackwardFilter, true},
		{"filter, 5×4 outputs", func(p *device.ConvParams) { p.H, p.W = 5, 4 }, convBackwardFilter, true},
		{"forward, 4×4 outputs", func(p *device.ConvParams) { p.H, p.W = 4, 4 }, convForward, false},
		{"forward, 4×4 outputs, one image", func(p *device.ConvParams) { p.H, p.W, p.N = 4, 4, 1 }, convForward, true},
		{"stride-2 data, 4×4 outputs", func(p *device.ConvParams) { p.H, p.W, p.StrideH, p.StrideW = 8, 8, 2, 2 }, convBackwardData, false},
		{"stride-2 data, 5×5 outputs", func(p *device.ConvParams) { p.StrideH, p.StrideW = 2, 2 }, convBackwardData, true},
	} {
		p := base
		c.edit(&p)
		if got := plan32(c.mode, p); got != c.want {
			t.Errorf("%s: planDirect = %v, want %v", c.name, got, c.want)
		}
	}
	t64 := convTask[float64]{mode: convForward, p: base, cpg: 10, opg: 10}
	if t64.planDirect() {
		t.Error("float64: planDirect = true, want false")
	}
	withKernels([2]bool{}, func() {
		if plan32(convForward, base) {
			t.Error("no kernels: planDirect = true, want false")
		}
	})
}

// TestIm2colFallback runs the conformance comparison with the direct
// kernels switched off, so that the portable path stays checked here too.
func TestIm2colFallback(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	p := device.ConvParams{N: 2, C: 12, H: 7, W: 11, O: 8, KH: 3, KW: 3, Groups: 4,
		StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1}
	x, w := random(r, p.N*p.C*p.H*p.W), random(r, p.O*3*9)
	dy := random(r, p.N*p.O*p.OutH()*p.OutW())
	dev := New(2)
	defer dev.Close()
	var y, dx, dw []float32
	withKernels([2]bool{}, func() { y, dx, dw = convOutputs(t, dev, p, x, w, dy) })
	wantY, wantDX, wantDW := convref.All(p, x, w, dy)
	for name, c := range map[string][2][]float32{"forward": {y, to32(wantY)}, "backward data": {dx, to32(wantDX)}, "backward filter": {dw, to32(wantDW)}} {
		if err := closeTo(c[0], c[1], 64); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// to32 rounds a float64 reference to float32.
func to32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// TestTileBlocks checks the forward's channel cut: 16 channels of 7×8
// planes (ConvNet-CE 4×16's last stride-2 layer) go in three blocks, one
// tile each (104 vector FMAs and loads per tap and channel, against 140 for
// two blocks of 8 in two tiles each); 14×15 planes also in three (346
// against 350); 8 channels of 7×8 in two blocks of 4 (68 against 70); a
// single vector keeps the tallest blocks (70 for two blocks of 8, 104 for
// three).
func TestTileBlocks(t *testing.T) {
	for _, c := range []struct{ n, flat, want int }{{16, 56, 3}, {16, 210, 3}, {8, 56, 2}, {16, 16, 2}} {
		if got := directAVX512.tileBlocks(c.n, c.flat); got != c.want {
			t.Errorf("tileBlocks(%d, %d) = %d, want %d", c.n, c.flat, got, c.want)
		}
	}
}
