package train

import (
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/collegium/collegium/internal/cputime"
	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/device/registry"
	"github.com/collegium/collegium/pkg/models"
)

// stepCase is one model and batch of BenchmarkTrainStep. Its name is the
// sub-benchmark's and scripts/bench_torch_step.py's --model.
type stepCase struct {
	name  string
	spec  models.Spec
	batch int
}

// stepCases are the models of BenchmarkTrainStep, in the order of
// scripts/bench_torch_step.py: every family, on the input shape of its
// dataset (ResNeXt-50 at 64×64 to keep a CPU step short).
func stepCases(gpu bool) []stepCase {
	mnist := models.Input{Channels: 1, Height: 28, Width: 28}
	cifar := models.Input{Channels: 3, Height: 32, Width: 32}
	x29 := models.Spec{Family: models.ResNeXt29, Members: 8, Width: 64, Depth: 29, Classes: 10, Input: cifar}
	cs := []stepCase{
		{"mlp-4x128-L2", models.Spec{Family: models.MLP, Members: 4, Width: 128, Depth: 2, Classes: 10, Input: mnist}, 128},
		{"convnet-4x16-L3", models.Spec{Family: models.ConvNet, Members: 4, Width: 16, Depth: 3, Classes: 10, Input: mnist}, 64},
		{"convnet-16x32-L4", models.Spec{Family: models.ConvNet, Members: 16, Width: 32, Depth: 4, Classes: 10, Input: mnist}, 128},
		{"resnext29-8x64d", x29, 8},
		{"resnext29-4x16d-w1", models.Spec{Family: models.ResNeXt29, Members: 4, Width: 16, Depth: 29, Widen: 1, Classes: 10, Input: cifar}, 32},
		{"resnext50-32x4d-64px", models.Spec{Family: models.ResNeXt50, Members: 32, Width: 4, Classes: 1000,
			Input: models.Input{Channels: 3, Height: 64, Width: 64}}, 16},
	}
	if gpu {
		cs = append(cs, stepCase{"resnext29-8x64d", x29, 64})
	}
	return cs
}

// BenchmarkTrainStep times one training step (forward, softmax cross
// entropy, backward, SGD update with momentum) of each family on random
// data, on the device named by COLLEGIUM_TEST_DEVICE (default cpu):
//
//	go test ./pkg/train -run '^$' -bench TrainStep -benchtime 5x
//	go test ./pkg/train -run '^$' -bench 'TrainStep/convnet-4x16-L3/' -benchtime 20x
//
// Besides images/s it reports the median step time (median-ms), the
// process CPU time per step (cpu-ms/op: with -cpu 1 it follows the work
// done on a shared machine), the model's parameter count (params) and the work of one step's matrix
// products and convolutions, counted on the device calls (step-GFLOP: 2
// per multiply-add), so that GFLOP/s = step-GFLOP / (median-ms · 1e-3).
// scripts/bench_torch_step.py times the same steps with PyTorch;
// scripts/compare.sh --steps runs both, pair by pair.
func BenchmarkTrainStep(b *testing.B) {
	name := os.Getenv("COLLEGIUM_TEST_DEVICE")
	if name == "" {
		name = "cpu"
	}
	dev, err := registry.Open(name)
	if err != nil {
		b.Fatal(err)
	}
	defer dev.Close()
	for _, c := range stepCases(name != "cpu") {
		b.Run(c.name+"/b"+strconv.Itoa(c.batch), func(b *testing.B) {
			flops := stepFlops(b, c, dev)
			r := stepRun(b, c, dev)
			defer r.close()
			batch, err := r.loader.Next(b.Context())
			if err != nil {
				b.Fatal(err)
			}
			steps := make([]time.Duration, b.N)
			b.ResetTimer()
			cpu0 := cputime.Process()
			for i := range b.N {
				t0 := time.Now()
				if _, err := r.step(batch); err != nil {
					b.Fatal(err)
				}
				steps[i] = time.Since(t0)
			}
			b.StopTimer()
			b.ReportMetric((cputime.Process()-cpu0)*1e3/float64(b.N), "cpu-ms/op")
			slices.Sort(steps)
			b.ReportMetric(float64(steps[b.N/2].Nanoseconds())/1e6, "median-ms")
			b.ReportMetric(float64(b.N*c.batch)/b.Elapsed().Seconds(), "images/s")
			b.ReportMetric(float64(r.train.ParamCount()), "params")
			b.ReportMetric(flops/1e9, "step-GFLOP")
		})
	}
}

// stepRun prepares a run of c on dev with random data, in a run directory
// it holds until the run is closed.
func stepRun(b *testing.B, c stepCase, dev device.Device) *run {
	b.Helper()
	cfg := testConfig(b.TempDir())
	cfg.Model, cfg.BatchSize, cfg.EvalBatchSize = c.spec, c.batch, c.batch
	cfg.Optimizer.LR, cfg.Optimizer.Momentum, cfg.Optimizer.WeightDecay = 0.1, 0.9, 1e-4
	ds := randomSet(cfg.Model, 2*c.batch)
	dir, err := CreateDir(cfg.Out)
	if err != nil {
		b.Fatal(err)
	}
	r, err := newRun(cfg, Options{Device: dev, Data: Datasets{Train: ds, Test: ds}, Dir: dir})
	if r != nil {
		r.closers = append([]func(){func() { dir.Close() }}, r.closers...)
	}
	if err != nil {
		if r != nil {
			r.close()
		} else {
			dir.Close()
		}
		b.Fatal(err)
	}
	return r
}

// stepFlops runs one step of c on a device that counts the multiply-adds
// of its products and convolutions, and returns 2 × that count.
func stepFlops(b *testing.B, c stepCase, dev device.Device) float64 {
	b.Helper()
	fc := &flopCounter{Device: dev}
	r := stepRun(b, c, fc)
	defer r.close()
	batch, err := r.loader.Next(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	if _, err := r.step(batch); err != nil {
		b.Fatal(err)
	}
	return 2 * fc.macs
}

// flopCounter is a device that counts the multiply-adds of the Gemm and
// convolution calls it passes on.
type flopCounter struct {
	device.Device
	macs float64
}

func (f *flopCounter) Gemm(p device.GemmParams) error {
	f.macs += float64(p.M) * float64(p.N) * float64(p.K) * float64(p.Batch)
	return f.Device.Gemm(p)
}

func (f *flopCounter) conv(p device.ConvParams) {
	f.macs += float64(p.N*p.O*p.OutH()*p.OutW()) * float64(p.C/p.Groups*p.KH*p.KW)
}

func (f *flopCounter) Conv2dForward(p device.ConvParams, x, w, y device.Buffer) error {
	f.conv(p)
	return f.Device.Conv2dForward(p, x, w, y)
}

func (f *flopCounter) Conv2dBackwardData(p device.ConvParams, dy, w, dx device.Buffer) error {
	f.conv(p)
	return f.Device.Conv2dBackwardData(p, dy, w, dx)
}

func (f *flopCounter) Conv2dBackwardFilter(p device.ConvParams, x, dy, dw device.Buffer) error {
	f.conv(p)
	return f.Device.Conv2dBackwardFilter(p, x, dy, dw)
}
