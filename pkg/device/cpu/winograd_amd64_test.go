//go:build amd64

package cpu

import (
	"math/rand/v2"
	"testing"

	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/device/convref"
)

// TestWinograd checks the Winograd path against im2col and against the
// float64 reference (convref) on random inputs: 32 to 64 channels per group
// in and out, one to three groups, odd and even sizes (partial tiles), tile
// rows of more than one vector, blocks of several images, on one worker and
// two; the input gradient (a forward convolution with the flipped filter)
// and the filter gradient go the same way.
func TestWinograd(t *testing.T) {
	if !useVecAVX512 {
		t.Skip("no AVX-512: the Winograd path is off")
	}
	r := rand.New(rand.NewPCG(9, 10))
	for _, s := range []struct{ n, cg, og, groups, h, w int }{
		{2, 32, 32, 2, 8, 16},
		{3, 48, 32, 1, 5, 17},
		{1, 32, 64, 3, 9, 18},
		{2, 64, 48, 1, 33, 40},
		{5, 32, 32, 2, 4, 16},
	} {
		p := device.ConvParams{N: s.n, C: s.cg * s.groups, H: s.h, W: s.w, O: s.og * s.groups, KH: 3, KW: 3,
			Groups: s.groups, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1}
		for _, mode := range []convMode{convForward, convBackwardFilter} {
			plan := convTask[float32]{mode: mode, p: p, cpg: s.cg, opg: s.og}
			if !plan.planWinograd() {
				t.Fatalf("%+v mode %d: not planned as Winograd, so this test would compare im2col with itself", s, mode)
			}
		}
		x := random(r, p.N*p.C*p.H*p.W)
		w := random(r, p.O*s.cg*9)
		dy := random(r, p.N*p.O*p.OutH()*p.OutW())
		refY, refDX, refDW := convref.All(p, x, w, dy)
		ref := [3][]float32{to32(refY), to32(refDX), to32(refDW)}
		for _, workers := range []int{1, 2} {
			dev := New(workers)
			var want, got [3][]float32
			useWinograd = false
			want[0], want[1], want[2] = convOutputs(t, dev, p, x, w, dy)
			useWinograd = true
			got[0], got[1], got[2] = convOutputs(t, dev, p, x, w, dy)
			for i, pass := range []string{"forward", "backward data", "backward filter"} {
				terms := []int{s.cg * 9, s.og * 9, p.N * p.OutH() * p.OutW()}[i]
				if err := closeTo(got[i], want[i], terms); err != nil {
					t.Errorf("workers=%d %+v %s: %v", workers, s, pass, err)
				}
				if err := closeTo(got[i], ref[i], terms); err != nil {
					t.Errorf("workers=%d %+v %s against convref: %v", workers, s, pass, err)
				}
			}
			if err := dev.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
}
