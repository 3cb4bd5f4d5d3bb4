package study

import (
	"context"
	"fmt"
	"math"
	"path/filepath"

	"github.com/sirupsen/logrus"

	"github.com/collegium/collegium/internal/logs"
	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/models"
	"github.com/collegium/collegium/pkg/ntk"
)

// AccuracyConfig is the experiment on whether the measured V ranks trained
// networks: every m of Members gets the widest n whose parameter count is
// within Tolerance of the baseline's (BaseM members of width BaseN),
// its V(m, n) is measured directly, and it is trained by Recipe from every
// seed.
type AccuracyConfig struct {
	Family       models.Family
	Depth        int
	BaseM, BaseN int
	Members      []int
	Tolerance    float64
	Seeds        []uint64
	Recipe       Recipe
}

// AccuracyPoint is one configuration: its measured V and its runs.
type AccuracyPoint struct {
	M      int          `json:"m"`
	N      int          `json:"n"`
	Params int          `json:"params"`
	V      ntk.Estimate `json:"v"`
	Runs   []Trained    `json:"runs"`
}

// AccuracyResult is the experiment's outcome: every configuration and the
// rank correlations of V with the final test error and training loss.
type AccuracyResult struct {
	Dataset   string          `json:"dataset"`
	Family    models.Family   `json:"family"`
	Budget    int             `json:"budget"`
	Points    []AccuracyPoint `json:"points"`
	TestErr   Correlation     `json:"spearman_test_err"`
	TrainLoss Correlation     `json:"spearman_train_loss"`
}

// Configs returns the configurations of cfg on data: (m, n) with n the
// widest whose parameters are at most (1 + Tolerance)·P0, kept when they
// are at least (1 − Tolerance)·P0.
func (cfg AccuracyConfig) Configs(data Data) (budget int, out [][2]int, err error) {
	budget, err = models.ParamCount(Spec(cfg.Family, cfg.Depth, cfg.BaseM, cfg.BaseN, data))
	if err != nil {
		return 0, nil, err
	}
	for _, m := range cfg.Members {
		best := 0
		for n := 1; n <= 4096; n++ {
			p, err := models.ParamCount(Spec(cfg.Family, cfg.Depth, m, n, data))
			if err != nil {
				return 0, nil, err
			}
			if float64(p) > (1+cfg.Tolerance)*float64(budget) {
				break
			}
			if float64(p) >= (1-cfg.Tolerance)*float64(budget) {
				best = n
			}
		}
		if best > 0 {
			out = append(out, [2]int{m, best})
		}
	}
	return budget, out, nil
}

// VarianceAccuracy measures V and trains every configuration of cfg on
// data (runs under dir; V with scan, whose inputs should be data's test
// images), training on dev and logging progress to log (nil: the lines are
// dropped).
func VarianceAccuracy(ctx context.Context, cfg AccuracyConfig, data Data, scan ntk.ScanConfig, dir string, dev device.Device, log logrus.FieldLogger) (AccuracyResult, error) {
	log = logs.OrDiscard(log)
	budget, configs, err := cfg.Configs(data)
	if err != nil {
		return AccuracyResult{}, err
	}
	if len(configs) < 3 || len(cfg.Seeds) == 0 {
		return AccuracyResult{}, fmt.Errorf("study: %d configurations within %.0f%% of %d parameters and %d seeds: too few", len(configs), 100*cfg.Tolerance, budget, len(cfg.Seeds))
	}
	res := AccuracyResult{Dataset: data.Name, Family: cfg.Family, Budget: budget}
	for i, c := range configs {
		spec := Spec(cfg.Family, cfg.Depth, c[0], c[1], data)
		params, err := models.ParamCount(spec)
		if err != nil {
			return AccuracyResult{}, err
		}
		pt, err := ntk.MeasureSpec(spec, scan)
		if err != nil {
			return AccuracyResult{}, err
		}
		p := AccuracyPoint{M: c[0], N: c[1], Params: params, V: pt.Summary.VDiag}
		for _, seed := range cfg.Seeds {
			log.Infof("accuracy %s %s: %s seed %d (configuration %d of %d)", cfg.Family, data.Name, spec, seed, i+1, len(configs))
			run := filepath.Join(dir, fmt.Sprintf("%s-%dx%d-seed%d", data.Name, c[0], c[1], seed))
			tr, err := cfg.Recipe.run(ctx, spec, data, seed, run, dev)
			if err != nil {
				return AccuracyResult{}, err
			}
			p.Runs = append(p.Runs, tr)
		}
		res.Points = append(res.Points, p)
	}
	v := make([]float64, len(res.Points))
	errs, losses := make([][]float64, len(res.Points)), make([][]float64, len(res.Points))
	for i, p := range res.Points {
		v[i] = p.V.Value
		for _, r := range p.Runs {
			errs[i] = append(errs[i], r.TestErr)
			losses[i] = append(losses[i], r.TrainLoss)
		}
	}
	res.TestErr = SpearmanCI(v, errs, 2000, 1)
	res.TrainLoss = SpearmanCI(v, losses, 2000, 2)
	if math.IsNaN(res.TestErr.Rho) {
		log.Warnf("accuracy %s %s: every configuration has the same test error: no rank correlation", cfg.Family, data.Name)
	}
	return res, nil
}
