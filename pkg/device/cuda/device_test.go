//go:build gpu || cudaemu

package cuda

import (
	"testing"

	"github.com/collegium/collegium/pkg/device/devicetest"
	"gorgonia.org/tensor"
)

// openTest opens GPU 0 or skips when none is present.
func openTest(tb testing.TB) *Device {
	tb.Helper()
	d, err := New(0)
	if err != nil {
		tb.Skipf("no CUDA device: %v", err)
	}
	tb.Cleanup(func() {
		if err := d.Close(); err != nil {
			tb.Errorf("close: %v", err)
		}
	})
	return d
}

func TestConformanceFloat32(t *testing.T) {
	d := openTest(t)
	t.Logf("%s: %s", d.Name(), d.Model())
	devicetest.Run(t, d, tensor.Float32)
}

// TestDeterministicFloat32: every kernel gives the same bits when run again
// on the same inputs (no sum whose order depends on the block schedule; the
// emulator runs blocks in a fresh random order at every launch).
func TestDeterministicFloat32(t *testing.T) {
	devicetest.Deterministic(t, tensor.Float32, openTest(t))
}

// TestGemmTile: the largest tile that still gives every multiprocessor a
// block, the smallest when none does.
func TestGemmTile(t *testing.T) {
	for _, c := range []struct{ m, n, batch, sms, want int }{
		{4096, 4096, 1, 132, 128}, // 1024 blocks of 128
		{128, 64, 16, 132, 32},    // B128 m16 n64: 32 blocks of 64, 128 of 32 (still < 132)
		{128, 1024, 1, 132, 32},   // dense B128: 8 of 128, 32 of 64
		{1024, 1024, 1, 132, 64},  // 64 blocks of 128, 256 of 64
		{2048, 1024, 1, 108, 128}, // 128 of 128 on an A100
		{1, 1, 1, 132, 32},
		{750, 750, 1, 132, 64}, // the conformance suite's large cases
		{1500, 1500, 1, 132, 128},
	} {
		if got := gemmTile(c.m, c.n, c.batch, c.sms); got != c.want {
			t.Errorf("gemmTile(%d, %d, batch %d, %d SMs) = %d, want %d", c.m, c.n, c.batch, c.sms, got, c.want)
		}
	}
	if k := gemmKernel(64, true, false); k != "gemm_64_tn_f32" {
		t.Errorf("gemmKernel(64, T, N) = %s", k)
	}
}

// TestTiledConvCovers: the CE benchmark shapes run conv_tiled forward and
// backward-data and conv_wgrad_tiled; a 5×5 filter (25 taps) and backward-data at stride 2 fall
// back to v1.
func TestTiledConvCovers(t *testing.T) {
	for _, c := range convCases {
		if !forwardTiled(c.p).fits() {
			t.Errorf("%s: forward does not fit conv_tiled", c.name)
		}
		if bt, ok := backwardDataTiled(c.p); !ok || !bt.fits() {
			t.Errorf("%s: backward data does not fit conv_tiled", c.name)
		}
		if !newWgrad(c.p, 132).fits {
			t.Errorf("%s: backward filter does not fit conv_wgrad_tiled", c.name)
		}
	}
	// 32 groups of 4: one block per group, split 17 ways over the 448
	// (image, tile) items to give 132 multiprocessors about four blocks each.
	if w := newWgrad(conv3x3(32, 128, 56, 32), 132); w != (wgradPlan{outTile: 4, blocks: 32, splits: 17, fits: true}) {
		t.Errorf("g32 filter gradient plan %+v", w)
	}
	if w := newWgrad(conv3x3(1, 8, 8, 1), 132); w.splits != 1 {
		t.Errorf("one image of one tile is split %d ways", w.splits)
	}
	p5 := conv3x3(2, 8, 16, 2)
	p5.KH, p5.KW, p5.PadH, p5.PadW = 5, 5, 2, 2
	if forwardTiled(p5).fits() {
		t.Error("a 5×5 filter fits conv_tiled (max 9 taps)")
	}
	p2 := conv3x3(2, 8, 16, 2)
	p2.StrideH, p2.StrideW = 2, 2
	if _, ok := backwardDataTiled(p2); ok {
		t.Error("backward data at stride 2 runs conv_tiled")
	}
	if !forwardTiled(p2).fits() {
		t.Error("forward at stride 2 does not fit conv_tiled")
	}
}
