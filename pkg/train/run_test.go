package train

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/collegium/collegium/datasets"
	"github.com/collegium/collegium/internal/synth"
	"github.com/collegium/collegium/pkg/device/cpu"
	"github.com/collegium/collegium/pkg/models"
)

// randomSet is n random images of the spec's input shape with random
// labels, for timing.
func randomSet(s models.Spec, n int) *datasets.Dataset {
	r := rand.New(rand.NewPCG(3, 4))
	in := s.Input
	d := &datasets.Dataset{
		Name: "random", Channels: in.Channels, Height: in.Height, Width: in.Width, Classes: s.Classes,
		Mean: make([]float32, in.Channels), Std: make([]float32, in.Channels),
		Images: make([]float32, n*in.Size()), Labels: make([]int, n),
	}
	for c := range d.Std {
		d.Std[c] = 1
	}
	for i := range d.Images {
		d.Images[i] = float32(r.NormFloat64())
	}
	for i := range d.Labels {
		d.Labels[i] = r.IntN(s.Classes)
	}
	return d
}

func testConfig(dir string) Config {
	c := Default()
	c.Model = models.Spec{Family: models.MLP, Members: 2, Width: 16, Depth: 2, Aggregation: models.AggregateMean}
	c.Data.Dataset = "synthetic"
	c.Epochs, c.BatchSize, c.EvalBatchSize = 3, 32, 50
	c.Optimizer.LR = 0.05
	c.Out = dir
	return c
}

func testOptions() Options {
	return Options{Device: cpu.New(0), Data: Datasets{Train: synth.Dataset(640, 1), Test: synth.Dataset(230, 2)}, Stderr: io.Discard}
}

func runOK(t *testing.T, ctx context.Context, c Config, o Options) *Result {
	t.Helper()
	res, err := Run(ctx, c, o)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// sameCurves compares the histories except the timings.
func sameCurves(t *testing.T, what string, a, b []Metrics) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d epochs vs %d", what, len(a), len(b))
	}
	for i := range a {
		x, y := a[i], b[i]
		x.ImagesPerS, x.WallS, y.ImagesPerS, y.WallS = 0, 0, 0, 0
		if x != y {
			t.Errorf("%s: epoch %d differs:\n%+v\n%+v", what, i+1, x, y)
		}
	}
}

// TestTrainLearnsAndWritesRun trains on the synthetic set to a set accuracy
// and checks the run directory's files.
func TestTrainLearnsAndWritesRun(t *testing.T) {
	dir := t.TempDir()
	res := runOK(t, context.Background(), testConfig(dir), testOptions())
	last := res.History[len(res.History)-1]
	if last.TestAcc < 0.9 {
		t.Errorf("test accuracy %.3f after %d epochs, want ≥ 0.9 (history %+v)", last.TestAcc, last.Epoch, res.History)
	}
	if last.Epoch != 3 || last.Step != 3*20 || last.TestTop5 != nil {
		t.Errorf("last record %+v", last)
	}
	for _, f := range []string{configFile, metricsJSONL, metricsCSV, logFile, checkpointJSON, "curves.png", "curves.svg"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("run file %s: %v", f, err)
		}
	}
	got, err := ReadMetrics(dir)
	if err != nil {
		t.Fatal(err)
	}
	sameCurves(t, "metrics.jsonl", got, res.History)
	if _, err := Run(context.Background(), testConfig(dir), testOptions()); err == nil {
		t.Error("a second run into the same directory was allowed")
	}
}

// TestDeterministic: same seed, same device → identical curves.
func TestDeterministic(t *testing.T) {
	a := runOK(t, context.Background(), testConfig(t.TempDir()), testOptions())
	b := runOK(t, context.Background(), testConfig(t.TempDir()), testOptions())
	sameCurves(t, "same seed", a.History, b.History)
	c := testConfig(t.TempDir())
	c.Seed = 2
	d := runOK(t, context.Background(), c, testOptions())
	if a.History[0].TrainLoss == d.History[0].TrainLoss {
		t.Error("another seed gave the same training loss")
	}
}

// TestResumeEquivalence interrupts runs (at an epoch boundary and in the
// middle of an epoch), resumes them, and expects the curves of an
// uninterrupted run.
func TestResumeEquivalence(t *testing.T) {
	c := testConfig(t.TempDir())
	c.Epochs = 2
	c.Optimizer.Kind = OptAdamW
	c.Optimizer.LR = 0.003
	straight := runOK(t, context.Background(), c, testOptions())
	for _, stopAt := range []int{20, 27} {
		c.Out = t.TempDir()
		ctx, cancel := context.WithCancel(context.Background())
		o := testOptions()
		o.OnStep = func(step int) {
			if step == stopAt {
				cancel()
			}
		}
		first := runOK(t, ctx, c, o)
		cancel()
		if !first.Interrupted {
			t.Fatalf("stop at step %d: run was not interrupted", stopAt)
		}
		rc, err := ResumeConfig(c.Out)
		if err != nil {
			t.Fatal(err)
		}
		o = testOptions()
		o.Resume = true
		second := runOK(t, context.Background(), rc, o)
		sameCurves(t, "resumed", second.History, straight.History)
	}
}

// TestInterruptBeforeFirstStep: a run interrupted before its first step
// (a signal right after it starts) writes a checkpoint that resumes into
// the uninterrupted run's curve.
func TestInterruptBeforeFirstStep(t *testing.T) {
	c := testConfig(t.TempDir())
	c.Epochs = 1
	straight := runOK(t, context.Background(), c, testOptions())
	c.Out = t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if res := runOK(t, ctx, c, testOptions()); !res.Interrupted {
		t.Fatal("a run with a cancelled context was not interrupted")
	}
	rc, err := ResumeConfig(c.Out)
	if err != nil {
		t.Fatal(err)
	}
	o := testOptions()
	o.Resume = true
	sameCurves(t, "resumed from step 0", runOK(t, context.Background(), rc, o).History, straight.History)
}

// TestNaNStops: an absurd learning rate diverges; the run stops with
// ErrNonFinite and the last good checkpoint stays readable.
func TestNaNStops(t *testing.T) {
	c := testConfig(t.TempDir())
	c.Optimizer.LR = 1e12
	c.Optimizer.Momentum = 0
	_, err := Run(context.Background(), c, testOptions())
	if !errors.Is(err, ErrNonFinite) {
		t.Fatalf("error %v, want ErrNonFinite", err)
	}
	if _, err := os.Stat(filepath.Join(c.Out, checkpointJSON)); err == nil {
		if _, err := ResumeConfig(c.Out); err != nil {
			t.Errorf("checkpoint left unreadable: %v", err)
		}
	}
}

// TestTrainFamilies runs a short training of a ConvNet-CE and a small
// ResNeXt-29 (BN running statistics shared with the eval graph) and
// extends each by an epoch from its checkpoint.
func TestTrainFamilies(t *testing.T) {
	for _, spec := range []models.Spec{
		{Family: models.ConvNet, Members: 2, Width: 16, Depth: 2},
		{Family: models.ResNeXt29, Members: 2, Width: 2, Depth: 11, Widen: 1},
	} {
		c := testConfig(t.TempDir())
		c.Model, c.Epochs = spec, 2
		o := testOptions()
		res := runOK(t, context.Background(), c, o)
		if m := res.History[1]; m.TestAcc < 0.6 {
			t.Errorf("%s: test accuracy %.3f after two epochs, want ≥ 0.6 (chance 0.25)", spec, m.TestAcc)
		}
		rc, err := ResumeConfig(c.Out)
		if err != nil {
			t.Fatal(err)
		}
		rc.Epochs = 3
		o.Resume = true
		if res := runOK(t, context.Background(), rc, o); len(res.History) != 3 {
			t.Errorf("%s: resumed run has %d epochs", spec, len(res.History))
		}
	}
}

// configAgrees checks that dir's config.yaml holds the config of its
// checkpoint.json.
func configAgrees(t *testing.T, dir string) checkpoint {
	t.Helper()
	ck, err := readCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(filepath.Join(dir, configFile))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg, ck.Config) {
		t.Errorf("config.yaml and checkpoint.json disagree:\n%+v\n%+v", cfg, ck.Config)
	}
	return ck
}

// TestResumeOverrides: a resume refuses any change to the model, the data
// or its order, leaving the run's files untouched; other changes are
// recorded with the epoch they apply from; a resume that fails (here by
// diverging) leaves config.yaml and checkpoint.json agreeing, and its
// divergence error names the checkpoint it resumed from.
func TestResumeOverrides(t *testing.T) {
	c := testConfig(t.TempDir())
	c.Epochs = 1
	runOK(t, context.Background(), c, testOptions())
	saved, err := ResumeConfig(c.Out)
	if err != nil {
		t.Fatal(err)
	}
	snapshot := func() string {
		a, _ := os.ReadFile(filepath.Join(c.Out, configFile))
		b, _ := os.ReadFile(filepath.Join(c.Out, checkpointJSON))
		return string(a) + string(b)
	}
	before := snapshot()
	resume := func(change func(*Config)) (*Result, error) {
		rc := saved
		change(&rc)
		o := testOptions()
		o.Resume = true
		return Run(context.Background(), rc, o)
	}
	for _, tc := range []struct {
		change func(*Config)
		want   string
	}{
		{func(c *Config) { c.Model.Members = 4 }, "model.members 2 → 4"},
		{func(c *Config) { c.Model.Aggregation = models.AggregateSqrt }, "model.aggregation mean → sqrt"},
		{func(c *Config) { c.Model.Parameterization = models.NTK }, `model.parameterization "" → ntk`},
		{func(c *Config) { c.Data.Flip = true }, "data.flip false → true"},
		{func(c *Config) { c.Seed = 2 }, "seed 1 → 2"},
		{func(c *Config) { c.BatchSize = 16 }, "batch_size 32 → 16"},
		{func(c *Config) { c.Dtype = "float64" }, "dtype float32 → float64"},
		{func(c *Config) { c.Optimizer.Kind = OptAdam }, "optimizer.kind sgd → adam"},
	} {
		_, err := resume(tc.change)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "cannot change when a run is resumed") {
			t.Errorf("resume refusing %q: %v", tc.want, err)
		}
	}
	if snapshot() != before {
		t.Fatal("a refused resume changed config.yaml or checkpoint.json")
	}
	_, err = resume(func(c *Config) { c.Epochs, c.Optimizer.LR, c.Optimizer.Momentum = 2, 1e12, 0 })
	if !errors.Is(err, ErrNonFinite) || !strings.Contains(err.Error(), "the last good one is after 1 epochs and 20 steps, in "+filepath.Join(c.Out, checkpointJSON)) {
		t.Fatalf("diverging resume: %v", err)
	}
	configAgrees(t, c.Out)
	if snapshot() != before {
		t.Error("a failed resume changed config.yaml or checkpoint.json")
	}
	res, err := resume(func(c *Config) { c.Epochs, c.Optimizer.LR, c.EvalBatchSize = 2, 0.02, 23 })
	if err != nil || len(res.History) != 2 {
		t.Fatalf("resume with a new rate: %v", err)
	}
	ck := configAgrees(t, c.Out)
	want := []Override{
		{Key: "epochs", Old: "1", New: "2", FromEpoch: 2, FromStep: 21},
		{Key: "eval_batch_size", Old: "50", New: "23", FromEpoch: 2, FromStep: 21},
		{Key: "optimizer.lr", Old: "0.05", New: "0.02", FromEpoch: 2, FromStep: 21},
	}
	if !reflect.DeepEqual(ck.Overrides, want) {
		t.Errorf("overrides %+v, want %+v", ck.Overrides, want)
	}
	head, _ := os.ReadFile(filepath.Join(c.Out, configFile))
	if !strings.HasPrefix(string(head), "# Settings changed when the run was resumed") || !strings.Contains(string(head), "#   optimizer.lr 0.05 → 0.02 from epoch 2 (step 21)\n") {
		t.Errorf("config.yaml does not list the changes:\n%s", head)
	}
	if _, err := resume(func(c *Config) { c.Epochs = 1 }); err == nil || !strings.Contains(err.Error(), "epochs 1, but the run has already done 2") {
		t.Errorf("shortening a run: %v", err)
	}
}
