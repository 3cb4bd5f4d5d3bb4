//go:build gpu || cudaemu

package cuda

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/collegium/collegium/pkg/device"
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

// TestGemmTF32: with SetTF32(true) every transpose pair, with edges, strides,
// alpha and beta, is within TF32's error (5e-3 of ‖C‖) of a float64
// reference and measurably different from the float32 path (so the tensor-
// core kernel ran); SetTF32(false) gives the float32 result back exactly.
func TestGemmTF32(t *testing.T) {
	d := openTest(t)
	defer func() {
		if err := d.SetTF32(false); err != nil {
			t.Error(err)
		}
	}()
	rng := rand.New(rand.NewPCG(5, 6))
	for _, shape := range [][3]int{{70, 45, 37}, {130, 257, 70}, {1, 9, 40}} {
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				m, n, k := shape[0], shape[1], shape[2]
				name := fmt.Sprintf("%dx%dx%d tA=%v tB=%v", m, n, k, ta, tb)
				p, host := tf32Case(t, d, rng, m, n, k, ta, tb)
				ref := gemmReference(p, host)
				if err := d.SetTF32(false); err != nil {
					t.Fatal(err)
				}
				fp32 := runGemm(t, d, p, host[2])
				if err := d.SetTF32(true); err != nil {
					t.Fatal(err)
				}
				tf32 := runGemm(t, d, p, host[2])
				if e := relDiff(tf32, ref); e > 5e-3 {
					t.Errorf("%s: TF32 relative error %.3g > 5e-3", name, e)
				}
				if e := relDiff(tf32, fp32); e < 1e-6 {
					t.Errorf("%s: TF32 result within %.3g of float32's: the tensor-core kernel did not run", name, e)
				}
				if err := d.SetTF32(false); err != nil {
					t.Fatal(err)
				}
				if again := runGemm(t, d, p, host[2]); relDiff(again, fp32) != 0 {
					t.Errorf("%s: float32 result changed after switching TF32 off", name)
				}
			}
		}
	}
}

// tf32Case makes a 2-item strided batched product with padded rows: the
// parameters (buffers uploaded) and the host copies of A, B, C.
func tf32Case(t *testing.T, d *Device, rng *rand.Rand, m, n, k int, ta, tb bool) (device.GemmParams, [3][]float32) {
	t.Helper()
	rows := func(r, c int, trans bool) (int, int) {
		if trans {
			return c, r
		}
		return r, c
	}
	ar, ac := rows(m, k, ta)
	br, bc := rows(k, n, tb)
	p := device.GemmParams{TransA: ta, TransB: tb, M: m, N: n, K: k, Alpha: 1.5, Beta: 0.5, Batch: 2,
		LDA: ac + 3, LDB: bc + 1, LDC: n + 2}
	p.StrideA, p.StrideB, p.StrideC = ar*p.LDA+5, br*p.LDB, m*p.LDC+7
	var host [3][]float32
	var bufs [3]device.Buffer
	for i, size := range []int{2 * p.StrideA, 2 * p.StrideB, 2 * p.StrideC} {
		host[i] = make([]float32, size)
		for j := range host[i] {
			host[i][j] = float32(rng.NormFloat64())
		}
		b, err := d.Alloc(tensor.Float32, size)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := d.Free(b); err != nil {
				t.Error(err)
			}
		})
		bufs[i] = b
	}
	p.A, p.B, p.C = bufs[0], bufs[1], bufs[2]
	for i := range 2 {
		if err := d.Upload(bufs[i], host[i]); err != nil {
			t.Fatal(err)
		}
	}
	return p, host
}

// runGemm uploads c into p.C, runs p and returns C.
func runGemm(t *testing.T, d *Device, p device.GemmParams, c []float32) []float32 {
	t.Helper()
	if err := d.Upload(p.C, c); err != nil {
		t.Fatal(err)
	}
	if err := d.Gemm(p); err != nil {
		t.Fatal(err)
	}
	out := make([]float32, len(c))
	if err := d.Download(out, p.C); err != nil {
		t.Fatal(err)
	}
	return out
}

// gemmReference is p computed in float64 on the host copies of A, B, C.
func gemmReference(p device.GemmParams, host [3][]float32) []float32 {
	out := append([]float32(nil), host[2]...)
	at := func(s []float32, ld int, trans bool, r, c int) float64 {
		if trans {
			return float64(s[c*ld+r])
		}
		return float64(s[r*ld+c])
	}
	for z := range p.Batch {
		a, b := host[0][z*p.StrideA:], host[1][z*p.StrideB:]
		for i := range p.M {
			for j := range p.N {
				var s float64
				for l := range p.K {
					s += at(a, p.LDA, p.TransA, i, l) * at(b, p.LDB, p.TransB, l, j)
				}
				ci := z*p.StrideC + i*p.LDC + j
				out[ci] = float32(p.Alpha*s + p.Beta*float64(host[2][ci]))
			}
		}
	}
	return out
}

// relDiff is ‖a − b‖ / ‖b‖.
func relDiff(a, b []float32) float64 {
	var num, den float64
	for i := range b {
		d := float64(a[i]) - float64(b[i])
		num += d * d
		den += float64(b[i]) * float64(b[i])
	}
	return math.Sqrt(num / den)
}
