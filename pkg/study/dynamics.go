package study

import (
	"context"
	"fmt"
	"math"
	"path/filepath"

	"github.com/sirupsen/logrus"
	"gorgonia.org/tensor"

	"github.com/collegium/collegium/internal/logs"
	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/models"
	"github.com/collegium/collegium/pkg/ntk"
	"github.com/collegium/collegium/pkg/train"
)

// DynamicsConfig is the experiment on how far the NTK moves in training:
// CEs of Members members of width Width (family and depth as given), and,
// with Singles, single networks (m = 1) whose width matches each CE's
// parameter count, each trained by Recipe from every seed; the kernel is
// the trace NTK on Probe test images chosen by ProbeSeed.
type DynamicsConfig struct {
	Family    models.Family
	Depth     int
	Width     int
	Members   []int
	Singles   bool
	Seeds     []uint64
	Recipe    Recipe
	Probe     int
	ProbeSeed uint64
}

// The kinds of network of a dynamics experiment.
const (
	KindCE     = "ce"
	KindSingle = "single"
)

// DynamicsPoint is one trained network and the relative change of its
// NTK on the probe set, ‖K_T − K_0‖_F / ‖K_0‖_F.
type DynamicsPoint struct {
	Kind      string  `json:"kind"`
	M         int     `json:"m"`
	N         int     `json:"n"`
	Params    int     `json:"params"`
	RelChange float64 `json:"rel_change"`
	Trained
}

// Spec is the network of family at depth with m members of width n on
// data's images.
func Spec(family models.Family, depth, m, n int, data Data) models.Spec {
	return models.Spec{
		Family: family, Members: m, Width: n, Depth: depth, Classes: data.Train.Classes,
		Input:       models.Input{Channels: data.Train.Channels, Height: data.Train.Height, Width: data.Train.Width},
		Aggregation: models.AggregateSqrt, Parameterization: models.Standard,
	}
}

// MatchedWidth is the width of a single network (m = 1) of family whose
// parameter count is closest to params.
func MatchedWidth(family models.Family, depth int, data Data, params int) (int, error) {
	best, gap := 0, math.Inf(1)
	for n := 1; n <= 4096; n++ {
		p, err := models.ParamCount(Spec(family, depth, 1, n, data))
		if err != nil {
			return 0, err
		}
		if d := math.Abs(float64(p - params)); d < gap {
			best, gap = n, d
		}
		if p > params {
			break
		}
	}
	return best, nil
}

// Dynamics trains every network of cfg on data (runs under dir) and
// measures how far its NTK moved.
func Dynamics(ctx context.Context, cfg DynamicsConfig, data Data, dir string, dev device.Device, log logrus.FieldLogger) ([]DynamicsPoint, error) {
	log = logs.OrDiscard(log)
	if len(cfg.Members) == 0 || len(cfg.Seeds) == 0 || cfg.Probe < 2 || cfg.Width < 1 {
		return nil, fmt.Errorf("study: dynamics needs members, seeds, a width and at least 2 probe images: %+v", cfg)
	}
	probe, err := ntk.DataInputs(data.Test, cfg.Probe, cfg.ProbeSeed)
	if err != nil {
		return nil, err
	}
	type net struct {
		kind string
		m, n int
	}
	var nets []net
	for _, m := range cfg.Members {
		nets = append(nets, net{KindCE, m, cfg.Width})
		// A CE of one member is itself the single network of its size.
		if !cfg.Singles || m == 1 {
			continue
		}
		p, err := models.ParamCount(Spec(cfg.Family, cfg.Depth, m, cfg.Width, data))
		if err != nil {
			return nil, err
		}
		w, err := MatchedWidth(cfg.Family, cfg.Depth, data, p)
		if err != nil {
			return nil, err
		}
		nets = append(nets, net{KindSingle, 1, w})
	}
	var out []DynamicsPoint
	done, total := 0, len(nets)*len(cfg.Seeds)
	for _, nt := range nets {
		spec := Spec(cfg.Family, cfg.Depth, nt.m, nt.n, data)
		params, err := models.ParamCount(spec)
		if err != nil {
			return nil, err
		}
		for _, seed := range cfg.Seeds {
			done++
			log.Infof("dynamics %s %s: %s seed %d (%d of %d)", cfg.Family, data.Name, spec, seed, done, total)
			run := filepath.Join(dir, fmt.Sprintf("%s-%s-%dx%d-seed%d", data.Name, nt.kind, nt.m, nt.n, seed))
			tr, err := cfg.Recipe.run(ctx, spec, data, seed, run, dev)
			if err != nil {
				return nil, err
			}
			rel, err := KernelChange(spec, seed, run, probe, dev)
			if err != nil {
				return nil, err
			}
			out = append(out, DynamicsPoint{Kind: nt.kind, M: nt.m, N: nt.n, Params: params, RelChange: rel, Trained: tr})
		}
	}
	return out, nil
}

// KernelChange is ‖K_T − K_0‖_F / ‖K_0‖_F of the trace NTK on the probe
// inputs, K_0 at the initialisation of seed and K_T at the parameters of
// the run's final checkpoint, both computed on dev.
func KernelChange(spec models.Spec, seed uint64, run string, probe [][]float64, dev device.Device) (float64, error) {
	values, err := train.CheckpointTensors(run)
	if err != nil {
		return 0, err
	}
	k0, err := kernelAt(ntk.FromModel(spec, tensor.Float32, false, 1), seed, probe, dev)
	if err != nil {
		return 0, err
	}
	kt, err := kernelAt(ntk.FromTrained(spec, tensor.Float32, values), 0, probe, dev)
	if err != nil {
		return 0, err
	}
	var num, den float64
	for i := range k0 {
		num += (kt[i] - k0[i]) * (kt[i] - k0[i])
		den += k0[i] * k0[i]
	}
	return math.Sqrt(num / den), nil
}

// kernelAt is the trace NTK of the built network at init seed, compiled on
// dev.
func kernelAt(build ntk.Builder, seed uint64, probe [][]float64, dev device.Device) ([]float64, error) {
	net, err := build()
	if err != nil {
		return nil, err
	}
	t, err := ntk.Compile(net, dev)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	if err := t.Init(seed); err != nil {
		return nil, err
	}
	return ntk.Empirical(t, probe, ntk.Output{Trace: true})
}
