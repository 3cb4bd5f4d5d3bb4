package cpu_test

import (
	"testing"

	"github.com/collegium/collegium/internal/raceflag"
	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/device/cpu"
)

// TestSteadyStateAllocs checks that repeated kernel calls allocate nothing
// once scratch has grown.
func TestSteadyStateAllocs(t *testing.T) {
	if raceflag.Enabled {
		t.Skip("the race detector makes sync.Pool drop items: allocation counts are meaningless")
	}
	dev := cpu.New(2)
	defer dev.Close()
	p := device.ConvParams{N: 2, C: 8, H: 9, W: 9, O: 8, KH: 3, KW: 3, Groups: 4, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1}
	x, w, y := buffer(2*8*81), buffer(8*2*9), buffer(2*8*81)
	big := buffer(1 << 17)
	l := device.ChannelLayout{Outer: 2, C: 8, Inner: 81}
	c8, c16 := buffer(8), buffer(16)
	bn := device.BatchNormParams{ChannelLayout: l, Eps: 1e-5, Momentum: 0.1, Training: true}
	pool := device.PoolParams{N: 2, C: 8, H: 9, W: 9, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1}
	pooled := buffer(2 * 8 * 25)
	gp := device.GemmParams{M: 256, N: 256, K: 256, Alpha: 1, A: big, B: big, C: buffer(256 * 256), LDA: 256, LDB: 256, LDC: 256, Batch: 1}
	for name, f := range map[string]func() error{
		"gemm":            func() error { return dev.Gemm(gp) },
		"conv forward":    func() error { return dev.Conv2dForward(p, x, w, y) },
		"conv bwd data":   func() error { return dev.Conv2dBackwardData(p, y, w, x) },
		"conv bwd filter": func() error { return dev.Conv2dBackwardFilter(p, x, y, w) },
		"relu":            func() error { return dev.ReLU(big, big) },
		"sgd": func() error {
			return dev.SGDUpdate(device.SGDParams{LR: 0.1, Momentum: 0.9}, big, big, big)
		},
		"batch norm stats": func() error { return dev.BatchNormStats(bn, x, c8, c8, c16) },
		"batch norm":       func() error { return dev.BatchNormForward(bn, x, c16, c8, c8, y) },
		"batch norm grad":  func() error { return dev.BatchNormBackwardData(bn, x, c16, c8, c8, c8, y, y) },
		"bias grad":        func() error { return dev.BiasGrad(l, x, c8) },
		"max pool":         func() error { return dev.MaxPool2d(pool, x, pooled) },
		"max pool grad": func() error {
			return dev.MaxPool2dGrad(pool, x, pooled, y)
		},
	} {
		if err := f(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if n := testing.AllocsPerRun(20, func() { _ = f() }); n != 0 {
			t.Errorf("%s: %v allocations per call", name, n)
		}
	}
}
