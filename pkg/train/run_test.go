package train

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
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
