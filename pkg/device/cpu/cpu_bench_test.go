package cpu_test

import (
	"fmt"
	"testing"

	"github.com/collegium/collegium/internal/cputime"
	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/device/cpu"
)

// BenchmarkCE times the forward and both backward products of collegial
// layers in float32 and reports GFLOP/s counting 3 × 2·MACs per iteration:
// block-diagonal linear layers (strided batched GEMM, m members of width n,
// batch B) against a dense one, and grouped 3×3 convolutions (stride 1,
// pad 1, C in = C out) against a dense one.
func BenchmarkCE(b *testing.B) {
	for _, c := range []struct {
		name           string
		batch, members int
		width          int
	}{
		{"blockdiag-B128-m16-n64", 128, 16, 64},
		{"blockdiag-B128-m64-n16", 128, 64, 16},
		{"dense-B128-1024", 128, 1, 1024},
	} {
		b.Run(c.name, func(b *testing.B) { benchBlockDiag(b, c.batch, c.members, c.width) })
	}
	for _, c := range []struct {
		name                string
		n, ch, size, groups int
	}{
		{"gconv-N32-C370-H32-g37", 32, 370, 32, 37},
		{"gconv-N32-C192-H32-g3", 32, 192, 32, 3},
		{"conv-N32-C128-H32-g1", 32, 128, 32, 1},
		{"gconv-N32-C120-H56-g12", 32, 120, 56, 12},
		{"gconv-N32-C128-H56-g32", 32, 128, 56, 32},
	} {
		p := device.ConvParams{N: c.n, C: c.ch, H: c.size, W: c.size, O: c.ch, KH: 3, KW: 3, Groups: c.groups,
			StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1}
		b.Run(c.name, func(b *testing.B) { benchConv(b, p) })
	}
}

// stepLayer is a convolution layer of a BenchmarkTrainStep model (pkg/train)
// at that model's batch size.
type stepLayer struct {
	n, c, o, size, k, s, g int
}

// stepLayers are the distinct convolution layers of ConvNet-CE 4×16 L3 (b64)
// and 16×32 L4 (b128) on MNIST shapes, ResNeXt-29 8×64d (b8) and 4×16d
// widen 1 (b32) on CIFAR shapes, and ResNeXt-50 32×4d at 64×64 input (b16).
var stepLayers = []stepLayer{
	{64, 1, 64, 28, 3, 1, 1}, {64, 64, 64, 28, 3, 2, 4}, {64, 64, 64, 14, 3, 2, 4},
	{128, 1, 512, 28, 3, 1, 1}, {128, 512, 512, 28, 3, 2, 16}, {128, 512, 512, 14, 3, 2, 16}, {128, 512, 512, 7, 3, 2, 16},
	{8, 3, 64, 32, 3, 1, 1}, {8, 64, 512, 32, 1, 1, 1}, {8, 512, 512, 32, 3, 1, 8}, {8, 512, 256, 32, 1, 1, 1},
	{8, 64, 256, 32, 1, 1, 1}, {8, 256, 512, 32, 1, 1, 1}, {8, 256, 1024, 32, 1, 1, 1}, {8, 1024, 1024, 32, 3, 2, 8},
	{8, 1024, 512, 16, 1, 1, 1}, {8, 256, 512, 32, 1, 2, 1}, {8, 512, 1024, 16, 1, 1, 1}, {8, 1024, 1024, 16, 3, 1, 8},
	{8, 512, 2048, 16, 1, 1, 1}, {8, 2048, 2048, 16, 3, 2, 8}, {8, 2048, 1024, 8, 1, 1, 1}, {8, 512, 1024, 16, 1, 2, 1},
	{8, 1024, 2048, 8, 1, 1, 1}, {8, 2048, 2048, 8, 3, 1, 8},
	{32, 64, 64, 32, 3, 1, 4}, {32, 128, 128, 32, 3, 2, 4}, {32, 64, 128, 32, 1, 2, 1}, {32, 128, 128, 16, 3, 1, 4},
	{32, 256, 256, 16, 3, 2, 4}, {32, 128, 256, 16, 1, 2, 1}, {32, 256, 256, 8, 3, 1, 4},
	{32, 3, 64, 32, 3, 1, 1}, {32, 64, 64, 32, 1, 1, 1}, {32, 64, 128, 32, 1, 1, 1}, {32, 128, 128, 16, 1, 1, 1},
	{32, 128, 256, 16, 1, 1, 1}, {32, 256, 256, 8, 1, 1, 1},
	{16, 3, 64, 64, 7, 2, 1},
	{16, 64, 128, 16, 1, 1, 1}, {16, 128, 128, 16, 3, 1, 32}, {16, 128, 256, 16, 1, 1, 1}, {16, 64, 256, 16, 1, 1, 1},
	{16, 256, 128, 16, 1, 1, 1}, {16, 256, 256, 16, 1, 1, 1}, {16, 256, 256, 16, 3, 2, 32}, {16, 256, 512, 8, 1, 1, 1},
	{16, 256, 512, 16, 1, 2, 1}, {16, 512, 256, 8, 1, 1, 1}, {16, 256, 256, 8, 3, 1, 32},
	{16, 512, 512, 8, 1, 1, 1}, {16, 512, 512, 8, 3, 2, 32}, {16, 512, 1024, 4, 1, 1, 1}, {16, 512, 1024, 8, 1, 2, 1},
	{16, 1024, 512, 4, 1, 1, 1}, {16, 512, 512, 4, 3, 1, 32},
	{16, 1024, 1024, 4, 1, 1, 1}, {16, 1024, 1024, 4, 3, 2, 32}, {16, 1024, 2048, 2, 1, 1, 1}, {16, 1024, 2048, 4, 1, 2, 1},
	{16, 2048, 1024, 2, 1, 1, 1}, {16, 1024, 1024, 2, 3, 1, 32},
}

// BenchmarkStepConvs times each pass of the convolution layers of the
// BenchmarkTrainStep models (stepLayers) on their own and reports, besides
// ns/op, the process CPU time per pass (cpu-ms/op) and GFLOP/s over that
// CPU time: run with -cpu 1 on a shared machine. Names read
// C<in>-O<out>-H<input size>-k<kernel>-s<stride>-g<groups>-N<batch>/<pass>.
func BenchmarkStepConvs(b *testing.B) {
	for _, c := range stepLayers {
		p := device.ConvParams{N: c.n, C: c.c, H: c.size, W: c.size, O: c.o, KH: c.k, KW: c.k, Groups: c.g,
			StrideH: c.s, StrideW: c.s, PadH: c.k / 2, PadW: c.k / 2, DilH: 1, DilW: 1}
		for pass, name := range []string{"fwd", "data", "filter"} {
			b.Run(fmt.Sprintf("C%d-O%d-H%d-k%d-s%d-g%d-N%d/%s", c.c, c.o, c.size, c.k, c.s, c.g, c.n, name), func(b *testing.B) {
				benchConvPass(b, p, pass)
			})
		}
	}
}

// benchConvPass times pass 0 (forward), 1 (input gradient) or 2 (filter
// gradient) of p.
func benchConvPass(b *testing.B, p device.ConvParams, pass int) {
	dev := cpu.New(0)
	defer dev.Close()
	out := p.N * p.O * p.OutH() * p.OutW()
	x, w, y := buffer(p.N*p.C*p.H*p.W), buffer(p.O*p.C/p.Groups*p.KH*p.KW), buffer(out)
	b.ResetTimer()
	cpu0 := cputime.Process()
	for range b.N {
		var err error
		switch pass {
		case 0:
			err = dev.Conv2dForward(p, x, w, y)
		case 1:
			err = dev.Conv2dBackwardData(p, y, w, x)
		default:
			err = dev.Conv2dBackwardFilter(p, x, y, w)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	cpuS := (cputime.Process() - cpu0) / float64(b.N)
	b.ReportMetric(cpuS*1e3, "cpu-ms/op")
	b.ReportMetric(2*float64(out*p.C/p.Groups*p.KH*p.KW)/cpuS/1e9, "cpu-GFLOP/s")
}

// buffer returns a float32 CPU buffer of n elements with small values.
func buffer(n int) *cpu.Buffer {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(i%7-3) / 8
	}
	b, _ := cpu.Wrap(v)
	return b
}

func benchBlockDiag(b *testing.B, batch, members, width int) {
	dev := cpu.New(0)
	defer dev.Close()
	row := members * width
	x, w, y := buffer(batch*row), buffer(members*width*width), buffer(batch*row)
	dy, dx, dw := buffer(batch*row), buffer(batch*row), buffer(members*width*width)
	base := device.GemmParams{M: batch, N: width, K: width, Alpha: 1, LDA: row, LDB: width, LDC: row,
		StrideA: width, StrideB: width * width, StrideC: width, Batch: members}
	fwd, bwdData, bwdFilter := base, base, base
	fwd.A, fwd.B, fwd.C = x, w, y
	bwdData.TransB, bwdData.A, bwdData.B, bwdData.C = true, dy, w, dx
	bwdFilter.TransA, bwdFilter.M, bwdFilter.K = true, width, batch
	bwdFilter.A, bwdFilter.B, bwdFilter.C = x, dy, dw
	bwdFilter.LDB, bwdFilter.StrideB, bwdFilter.LDC, bwdFilter.StrideC = row, width, width, width*width
	b.ResetTimer()
	for range b.N {
		for _, p := range []device.GemmParams{fwd, bwdData, bwdFilter} {
			if err := dev.Gemm(p); err != nil {
				b.Fatal(err)
			}
		}
	}
	reportGFLOPs(b, float64(batch*members*width*width))
}

func benchConv(b *testing.B, p device.ConvParams) {
	dev := cpu.New(0)
	defer dev.Close()
	out := p.N * p.O * p.OutH() * p.OutW()
	x, w, y := buffer(p.N*p.C*p.H*p.W), buffer(p.O*p.C/p.Groups*p.KH*p.KW), buffer(out)
	dx, dw := buffer(p.N*p.C*p.H*p.W), buffer(p.O*p.C/p.Groups*p.KH*p.KW)
	b.ResetTimer()
	cpu0 := cputime.Process()
	for range b.N {
		if err := dev.Conv2dForward(p, x, w, y); err != nil {
			b.Fatal(err)
		}
		if err := dev.Conv2dBackwardData(p, y, w, dx); err != nil {
			b.Fatal(err)
		}
		if err := dev.Conv2dBackwardFilter(p, x, y, dw); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu0)
	reportGFLOPs(b, float64(out*p.C/p.Groups*p.KH*p.KW))
}

// reportCPU reports the process CPU time per iteration since cpu0: on a
// shared machine, with one worker (-cpu 1), it follows the work done more
// closely than the wall time does.
func reportCPU(b *testing.B, cpu0 float64) {
	b.ReportMetric((cputime.Process()-cpu0)*1e3/float64(b.N), "cpu-ms/op")
}

// reportGFLOPs reports 3 passes × 2 flops per multiply-accumulate.
func reportGFLOPs(b *testing.B, macs float64) {
	b.ReportMetric(3*2*macs*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkBatchNorm times a training batch norm's statistics, forward,
// and backward (shift gradient as BiasGrad, gamma gradient, data gradient)
// on a ResNeXt-29 stage-1 activation (8, 512, 32, 32) and reports the GB/s
// of the tensors each call must read and write.
func BenchmarkBatchNorm(b *testing.B) {
	dev := cpu.New(0)
	defer dev.Close()
	p := device.BatchNormParams{ChannelLayout: device.ChannelLayout{Outer: 8, C: 512, Inner: 32 * 32}, Eps: 1e-5, Momentum: 0.1, Training: true}
	n := p.Outer * p.C * p.Inner
	x, dy, y, dx := buffer(n), buffer(n), buffer(n), buffer(n)
	gamma, beta, mean, variance := buffer(p.C), buffer(p.C), buffer(p.C), buffer(p.C)
	stats, dgamma, dbeta := buffer(2*p.C), buffer(p.C), buffer(p.C)
	b.ResetTimer()
	cpu0 := cputime.Process()
	for range b.N {
		for _, err := range []error{
			dev.BatchNormStats(p, x, mean, variance, stats),
			dev.BatchNormForward(p, x, stats, gamma, beta, y),
			dev.BiasGrad(p.ChannelLayout, dy, dbeta),
			dev.BatchNormBackwardGamma(p, x, stats, dy, dgamma),
			dev.BatchNormBackwardData(p, x, stats, gamma, dgamma, dbeta, dy, dx),
		} {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	reportCPU(b, cpu0)
	// stats read x twice; forward reads x, writes y; the shift gradient reads
	// dy; gamma reads x, dy; data reads x, dy, writes dx.
	b.ReportMetric(float64(10*4*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
}
