package study

import (
	"context"
	"io"
	"math"
	"path/filepath"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/collegium/collegium/internal/synth"
	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/device/cpu"
	"github.com/collegium/collegium/pkg/models"
	"github.com/collegium/collegium/pkg/ntk"
)

func quiet() logrus.FieldLogger {
	l := logrus.New()
	l.SetOutput(io.Discard)
	return l
}

func testData() Data {
	return Data{Name: "synthetic", Train: synth.Dataset(256, 1), Test: synth.Dataset(64, 2)}
}

// TestKernelChange: with a learning rate of 0 and no weight decay the
// trained parameters are the initial ones (up to float32 storage), so the
// kernel does not move; with a positive rate it does, and it moves less
// for a CE of more members at 1/√m (the lazy regime the paper describes).
func TestKernelChange(t *testing.T) {
	data := testData()
	probe, err := ntk.DataInputs(data.Test, 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	still := Recipe{Epochs: 1, BatchSize: 32, LR: 1e-30}
	spec := Spec(models.MLP, 2, 2, 8, data)
	run := filepath.Join(dir, "still")
	if _, err := still.run(context.Background(), spec, data, 3, run, cpu.New(1)); err != nil {
		t.Fatal(err)
	}
	rel, err := KernelChange(spec, 3, run, probe, cpu.New(1))
	if err != nil {
		t.Fatal(err)
	}
	if rel > 1e-5 {
		t.Errorf("kernel moved by %g with a zero learning rate", rel)
	}
	moving := Recipe{Epochs: 3, BatchSize: 32, LR: 0.1, Momentum: 0.9}
	var changes []float64
	for _, m := range []int{1, 32} {
		spec := Spec(models.MLP, 2, m, 8, data)
		run := filepath.Join(dir, "moving", spec.String())
		if _, err := moving.run(context.Background(), spec, data, 3, run, cpu.New(1)); err != nil {
			t.Fatal(err)
		}
		rel, err := KernelChange(spec, 3, run, probe, cpu.New(1))
		if err != nil {
			t.Fatal(err)
		}
		changes = append(changes, rel)
	}
	if !(changes[0] > 0.01) || !(changes[1] < changes[0]) {
		t.Errorf("relative kernel change %v: want a visible change that shrinks from m = 1 to m = 32", changes)
	}
}

// TestDynamicsAndAccuracy runs both experiments end to end on the
// synthetic problem and checks their bookkeeping: every network trained
// from every seed with the same step budget, single networks matched in
// parameters, configurations within the budget's tolerance, V measured.
func TestDynamicsAndAccuracy(t *testing.T) {
	data := testData()
	r := Recipe{Epochs: 1, BatchSize: 64, LR: 0.05, Momentum: 0.9}
	dyn := DynamicsConfig{Family: models.MLP, Depth: 2, Width: 4, Members: []int{1, 4}, Singles: true, Seeds: []uint64{1, 2}, Recipe: r, Probe: 3, ProbeSeed: 1}
	pts, err := Dynamics(context.Background(), dyn, data, t.TempDir(), cpu.New(1), quiet())
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 3*2 {
		t.Fatalf("%d points, want 3 networks × 2 seeds", len(pts))
	}
	for _, p := range pts {
		if p.Steps != 4 || !(p.RelChange > 0) {
			t.Errorf("%+v: want 4 steps and a positive change", p)
		}
		if p.Kind == KindSingle {
			ce, _ := models.ParamCount(Spec(models.MLP, 2, 4, 4, data))
			if p.M != 1 || math.Abs(float64(p.Params-ce)) > 0.05*float64(ce) {
				t.Errorf("single %+v not matched to the CE's %d parameters", p, ce)
			}
		}
	}
	rows := DynamicsRows(pts)
	if len(rows) != 3 || rows[0].Kind != KindCE || rows[0].Seeds != 2 {
		t.Errorf("rows %+v", rows)
	}
	acc := AccuracyConfig{Family: models.MLP, Depth: 3, BaseM: 1, BaseN: 16, Members: []int{1, 2, 4, 8}, Tolerance: 0.1, Seeds: []uint64{1, 2}, Recipe: r}
	budget, configs, err := acc.Configs(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range configs {
		p, _ := models.ParamCount(Spec(models.MLP, 3, c[0], c[1], data))
		if math.Abs(float64(p-budget)) > 0.1*float64(budget) {
			t.Errorf("configuration %v has %d parameters, budget %d ± 10%%", c, p, budget)
		}
	}
	scan := ntk.ScanConfig{Sampling: ntk.FixedSampling(16), Seed: 1, Inputs: 2, InputSeed: 1, Data: data.Test, Log: quiet(),
		Device: func() device.Device { return cpu.New(1) }}
	res, err := VarianceAccuracy(context.Background(), acc, data, scan, t.TempDir(), cpu.New(1), quiet())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Points) != len(configs) || res.Budget != budget {
		t.Fatalf("%d points for %d configurations", len(res.Points), len(configs))
	}
	for _, p := range res.Points {
		if len(p.Runs) != 2 || !(p.V.Value > 0) || p.Runs[0].Steps != p.Runs[1].Steps {
			t.Errorf("configuration %+v", p)
		}
	}
	if res.TestErr.Lo > res.TestErr.Rho || res.TestErr.Hi < res.TestErr.Rho {
		t.Errorf("ρ %+v outside its interval", res.TestErr)
	}
}

func TestSpearman(t *testing.T) {
	x := []float64{1, 2, 3, 4, 5}
	if r := Spearman(x, []float64{2, 4, 8, 16, 32}); math.Abs(r-1) > 1e-12 {
		t.Errorf("monotone: ρ = %g", r)
	}
	if r := Spearman(x, []float64{5, 3, 2, 1, 0}); math.Abs(r+1) > 1e-12 {
		t.Errorf("reversed: ρ = %g", r)
	}
	// Ties get mean ranks: ranks of y are 1.5, 1.5, 3, 4, 5.
	want := pearson([]float64{1, 2, 3, 4, 5}, []float64{1.5, 1.5, 3, 4, 5})
	if r := Spearman(x, []float64{0, 0, 1, 2, 3}); math.Abs(r-want) > 1e-12 {
		t.Errorf("ties: ρ = %g, want %g", r, want)
	}
	c := SpearmanCI(x, [][]float64{{1, 1.1}, {2, 2.1}, {3, 3.1}, {4, 4.1}, {5, 5.1}}, 500, 1)
	if c.Rho != 1 || c.Hi != 1 || c.Lo < 0.5 {
		t.Errorf("monotone with small noise: %+v", c)
	}
	noisy := SpearmanCI(x, [][]float64{{1, 5}, {5, 1}, {2, 4}, {4, 2}, {3, 3}}, 500, 1)
	if noisy.Lo > -0.5 || noisy.Hi < 0.5 {
		t.Errorf("runs that disagree should give a wide interval: %+v", noisy)
	}
}

// TestFinishedRunsAreReused: a second study run of the same configuration
// trains nothing and returns the same result; another configuration (or
// a smaller training set) in the same directory is retrained.
func TestFinishedRunsAreReused(t *testing.T) {
	data := testData()
	r := Recipe{Epochs: 1, BatchSize: 64, LR: 0.05, Momentum: 0.9}
	spec := Spec(models.MLP, 2, 2, 4, data)
	dir := filepath.Join(t.TempDir(), "run")
	first, err := r.run(context.Background(), spec, data, 1, dir, cpu.New(1))
	if err != nil {
		t.Fatal(err)
	}
	cfg := r.config(spec, data, 1, dir)
	if again, ok := finished(cfg, data); !ok || again != first {
		t.Fatalf("finished run not recognised: %+v %v, want %+v", again, ok, first)
	}
	other := r
	other.LR = 0.01
	if _, ok := finished(other.config(spec, data, 1, dir), data); ok {
		t.Error("a run with another learning rate was taken for this one")
	}
	small := data
	small.Train, _ = Subset(data.Train, 128)
	if _, ok := finished(cfg, small); ok {
		t.Error("a run on another training set size was taken for this one")
	}
	if _, ok := finished(r.config(spec, data, 2, dir), data); ok {
		t.Error("a run of another seed was taken for this one")
	}
}
