package cpu_test

import (
	"fmt"
	"testing"

	"github.com/collegium/collegium/internal/raceflag"
	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/device/cpu"
	"github.com/collegium/collegium/pkg/device/devicetest"
	"gorgonia.org/tensor"
)

func TestConformance(t *testing.T) {
	for _, workers := range []int{1, 3} {
		dev := cpu.New(workers)
		for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
			t.Run(fmt.Sprintf("workers=%d/%v", workers, dt), func(t *testing.T) { devicetest.Run(t, dev, dt) })
		}
		if err := dev.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDeterministicAcrossWorkers: every kernel gives the same bits with 1,
// 2 and 8 workers, and on a repeated call. Under the race detector, which
// slows the suite's Go code tenfold, float32 alone (the float64 kernels
// split their work the same way).
func TestDeterministicAcrossWorkers(t *testing.T) {
	var devs []device.Device
	for _, workers := range []int{1, 2, 8} {
		dev := cpu.New(workers)
		defer dev.Close()
		devs = append(devs, dev)
	}
	dtypes := []tensor.Dtype{tensor.Float32, tensor.Float64}
	if raceflag.Enabled {
		dtypes = dtypes[:1]
	}
	for _, dt := range dtypes {
		t.Run(dt.String(), func(t *testing.T) { devicetest.Deterministic(t, dt, devs...) })
	}
}
