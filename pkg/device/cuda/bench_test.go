//go:build gpu || cudaemu

package cuda

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/collegium/collegium/pkg/device"
	"gorgonia.org/tensor"
)

// The collegial-ensemble shapes that scripts/bench_torch.py times with
// PyTorch under the same names: fwd + bwd-data + bwd-filter per iteration,
// useful GFLOP/s = 3·2·MACs / time.

// blockDiagCase is a block-diagonal layer: batch rows, m members of width n.
type blockDiagCase struct {
	name    string
	b, m, n int
}

var blockDiagCases = []blockDiagCase{
	{"blockdiag-B128-m16-n64", 128, 16, 64},
	{"blockdiag-B128-m64-n16", 128, 64, 16},
	{"dense-B128-1024", 128, 1, 1024},
}

var convCases = []struct {
	name string
	p    device.ConvParams
}{
	{"gconv-N32-C370-H32-g37", conv3x3(32, 370, 32, 37)},
	{"gconv-N32-C192-H32-g3", conv3x3(32, 192, 32, 3)},
	{"conv-N32-C128-H32-g1", conv3x3(32, 128, 32, 1)},
	{"gconv-N32-C120-H56-g12", conv3x3(32, 120, 56, 12)},
	{"gconv-N32-C128-H56-g32", conv3x3(32, 128, 56, 32)},
}

// conv3x3 is a 3×3, pad 1, stride 1 grouped conv with C in and out channels.
func conv3x3(n, c, hw, g int) device.ConvParams {
	return device.ConvParams{N: n, C: c, H: hw, W: hw, O: c, KH: 3, KW: 3, Groups: g, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1}
}

// randomBuffer allocates n float32 values drawn from N(0, 1).
func randomBuffer(b *testing.B, d *Device, rng *rand.Rand, n int) device.Buffer {
	b.Helper()
	buf, err := d.Alloc(tensor.Float32, n)
	if err != nil {
		b.Fatal(err)
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	if err := d.Upload(buf, v); err != nil {
		b.Fatal(err)
	}
	return buf
}

// report times fn with CUDA events and reports GFLOP/s for flops per call.
func report(b *testing.B, d *Device, flops float64, fn func() error) {
	b.Helper()
	reps := max(b.N, 50)
	med, lo, hi, err := d.Time(fn, 5, reps)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(flops/med.Seconds()/1e9, "GFLOP/s")
	b.ReportMetric(float64(med.Microseconds()), "us/median")
	b.Logf("median %v min %v max %v over %d reps", med, lo, hi, reps)
}

func BenchmarkBlockDiag(b *testing.B) {
	d := openTest(b)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range blockDiagCases {
		b.Run(c.name, func(b *testing.B) {
			x := randomBuffer(b, d, rng, c.b*c.m*c.n)
			w := randomBuffer(b, d, rng, c.m*c.n*c.n)
			y := randomBuffer(b, d, rng, c.b*c.m*c.n)
			dy := randomBuffer(b, d, rng, c.b*c.m*c.n)
			dx := randomBuffer(b, d, rng, c.b*c.m*c.n)
			dw := randomBuffer(b, d, rng, c.m*c.n*c.n)
			ld, nn := c.m*c.n, c.n*c.n
			fwd := device.GemmParams{M: c.b, N: c.n, K: c.n, Alpha: 1, A: x, B: w, C: y, LDA: ld, LDB: c.n, LDC: ld, StrideA: c.n, StrideB: nn, StrideC: c.n, Batch: c.m}
			bwdData := device.GemmParams{TransB: true, M: c.b, N: c.n, K: c.n, Alpha: 1, A: dy, B: w, C: dx, LDA: ld, LDB: c.n, LDC: ld, StrideA: c.n, StrideB: nn, StrideC: c.n, Batch: c.m}
			bwdFilter := device.GemmParams{TransA: true, M: c.n, N: c.n, K: c.b, Alpha: 1, A: x, B: dy, C: dw, LDA: ld, LDB: ld, LDC: c.n, StrideA: c.n, StrideB: c.n, StrideC: nn, Batch: c.m}
			macs := float64(c.b * c.m * c.n * c.n)
			report(b, d, 3*2*macs, func() error {
				for _, p := range []device.GemmParams{fwd, bwdData, bwdFilter} {
					if err := d.Gemm(p); err != nil {
						return fmt.Errorf("%s: %w", c.name, err)
					}
				}
				return nil
			})
		})
	}
}

func BenchmarkConv(b *testing.B) {
	d := openTest(b)
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range convCases {
		b.Run(c.name, func(b *testing.B) {
			p := c.p
			nx, nw, ny := convSizes(p)
			x, w, y := randomBuffer(b, d, rng, nx), randomBuffer(b, d, rng, nw), randomBuffer(b, d, rng, ny)
			dy, dx, dw := randomBuffer(b, d, rng, ny), randomBuffer(b, d, rng, nx), randomBuffer(b, d, rng, nw)
			macs := float64(ny) * float64(p.C/p.Groups*p.KH*p.KW)
			report(b, d, 3*2*macs, func() error {
				if err := d.Conv2dForward(p, x, w, y); err != nil {
					return err
				}
				if err := d.Conv2dBackwardData(p, dy, w, dx); err != nil {
					return err
				}
				return d.Conv2dBackwardFilter(p, x, dy, dw)
			})
		})
	}
}
