package train

import (
	"fmt"
	"os"
	"testing"

	"github.com/collegium/collegium/pkg/device/registry"
	"github.com/collegium/collegium/pkg/models"
)

// BenchmarkTrainStep times one training step (forward, backward, SGD
// update) of the default MLP-CE and of ResNeXt-29 8×64d on CIFAR-sized
// input with a small batch (and batch 64 on a GPU), on the device named by
// COLLEGIUM_TEST_DEVICE (default cpu):
//
//	go test ./pkg/train -run '^$' -bench TrainStep -benchtime 5x
//
// scripts/bench_torch_step.py times the same steps with PyTorch.
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
	type stepCase struct {
		spec  models.Spec
		batch int
	}
	resnext29 := models.Spec{Family: models.ResNeXt29, Members: 8, Width: 64, Depth: 29}
	cases := []stepCase{{Default().Model, 128}, {resnext29, 8}}
	if name != "cpu" {
		cases = append(cases, stepCase{resnext29, 64})
	}
	for _, c := range cases {
		b.Run(fmt.Sprintf("%s/b%d", c.spec, c.batch), func(b *testing.B) {
			cfg := testConfig(b.TempDir())
			cfg.Model, cfg.BatchSize, cfg.EvalBatchSize = c.spec, c.batch, c.batch
			cfg.Model.Classes, cfg.Model.Input = 10, models.Input{Channels: 3, Height: 32, Width: 32}
			if c.spec.Family == models.MLP {
				cfg.Model.Input = models.Input{Channels: 1, Height: 28, Width: 28}
			}
			ds := randomSet(cfg.Model, 2*c.batch)
			r, err := newRun(cfg, Options{Device: dev, Data: Datasets{Train: ds, Test: ds}})
			if r != nil {
				defer r.close()
			}
			if err != nil {
				b.Fatal(err)
			}
			batch, err := r.loader.Next(b.Context())
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				if _, err := r.step(batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*c.batch)/b.Elapsed().Seconds(), "images/s")
		})
	}
}
