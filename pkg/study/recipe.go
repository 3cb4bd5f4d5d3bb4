package study

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"

	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/models"
	"github.com/collegium/collegium/pkg/train"
)

// Recipe is how every network of a study is trained: the same epochs over
// the same training subset at the same batch size, so every configuration
// gets the same number of steps; SGD with momentum, cosine schedule.
// Members are aggregated by 1/√m, so that E[K] at initialisation does not
// shrink with m and one learning rate suits every m.
type Recipe struct {
	Epochs, BatchSize         int
	LR, Momentum, WeightDecay float64
}

// DefaultRecipe is 2 epochs at batch 128, lr 0.05, momentum 0.9, weight
// decay 1e-4.
var DefaultRecipe = Recipe{Epochs: 2, BatchSize: 128, LR: 0.05, Momentum: 0.9, WeightDecay: 1e-4}

// Trained is one finished training run.
type Trained struct {
	Seed      uint64  `json:"seed"`
	Steps     int     `json:"steps"`
	TrainLoss float64 `json:"train_loss"`
	TestLoss  float64 `json:"test_loss"`
	TestErr   float64 `json:"test_err"`
	// Dir holds the run (config, metrics, final checkpoint).
	Dir string `json:"dir"`
}

// config is the training configuration of spec on data under r.
func (r Recipe) config(spec models.Spec, data Data, seed uint64, dir string) train.Config {
	c := train.Default()
	spec.Aggregation = models.AggregateSqrt
	c.Model = spec
	c.Data.Dataset = data.Name
	c.Epochs, c.BatchSize = r.Epochs, r.BatchSize
	c.Optimizer.LR, c.Optimizer.Momentum, c.Optimizer.WeightDecay = r.LR, r.Momentum, r.WeightDecay
	c.Seed, c.Out = seed, dir
	return c
}

// run trains spec on data with seed into dir on dev and returns the last
// epoch's metrics. A finished run of the same configuration already in dir
// is reused (a study interrupted or rerun trains only what it lacks); any
// other content of dir is replaced.
func (r Recipe) run(ctx context.Context, spec models.Spec, data Data, seed uint64, dir string, dev device.Device) (Trained, error) {
	cfg := r.config(spec, data, seed, dir)
	if done, ok := finished(cfg, data); ok {
		return done, nil
	}
	if err := os.RemoveAll(dir); err != nil {
		return Trained{}, fmt.Errorf("study: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return Trained{}, fmt.Errorf("study: %w", err)
	}
	res, err := train.Run(ctx, cfg, train.Options{
		Device: dev, Data: train.Datasets{Train: data.Train, Test: data.Test}, Stderr: io.Discard,
	})
	if err != nil {
		return Trained{}, fmt.Errorf("study: train %s seed %d: %w", spec, seed, err)
	}
	if res.Interrupted || len(res.History) == 0 {
		return Trained{}, fmt.Errorf("study: train %s seed %d: interrupted", spec, seed)
	}
	return trained(seed, dir, res.History[len(res.History)-1]), nil
}

// finished returns the run in cfg.Out when it completed cfg on the same
// amount of data.
func finished(cfg train.Config, data Data) (Trained, bool) {
	have, err := train.ResumeConfig(cfg.Out)
	if err != nil {
		return Trained{}, false
	}
	h, err := train.ReadMetrics(cfg.Out)
	if err != nil || len(h) != cfg.Epochs {
		return Trained{}, false
	}
	cfg.Model.Input = models.Input{Channels: data.Train.Channels, Height: data.Train.Height, Width: data.Train.Width}
	cfg.Model.Classes = data.Train.Classes
	perEpoch := data.Train.Len() / cfg.BatchSize
	if !reflect.DeepEqual(have, cfg) || h[len(h)-1].Step != cfg.Epochs*perEpoch {
		return Trained{}, false
	}
	return trained(cfg.Seed, cfg.Out, h[len(h)-1]), true
}

func trained(seed uint64, dir string, m train.Metrics) Trained {
	return Trained{Seed: seed, Steps: m.Step, TrainLoss: m.TrainLoss, TestLoss: m.TestLoss, TestErr: 1 - m.TestAcc, Dir: dir}
}
