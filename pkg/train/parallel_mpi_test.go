//go:build mpi

package train

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/collegium/collegium/internal/mpitest"
	"github.com/collegium/collegium/pkg/device/cpu"
	"github.com/collegium/collegium/pkg/dist"
	"github.com/collegium/collegium/pkg/models"
)

// dpCase is one training configuration run on 2 ranks and on 1 process.
type dpCase struct {
	name string
	cfg  func(dir string) Config
	// tol bounds the relative difference of metrics and final tensors
	// between 2 ranks and 1 process: the sum of two half-batch gradients
	// rounds differently from the whole batch's.
	tol float64
	// perRankBN marks the case whose BN uses each rank's statistics: it
	// must differ from 1 process by more than tol.
	perRankBN bool
	// images trains on the miniature ImageNet tree in DIR/tree instead of
	// the synthetic sets in memory.
	images bool
}

func dpCases() []dpCase {
	mlp := func(dtype string) func(string) Config {
		return func(dir string) Config {
			c := testConfig(dir)
			c.Epochs, c.Dtype = 2, dtype
			return c
		}
	}
	conv := func(dir string) Config {
		c := mlp("float32")(dir)
		c.Model = models.Spec{Family: models.ConvNet, Members: 2, Width: 8, Depth: 2}
		return c
	}
	resnext := func(sync bool) func(string) Config {
		return func(dir string) Config {
			c := mlp("float64")(dir)
			c.Model = models.Spec{Family: models.ResNeXt29, Members: 2, Width: 2, Depth: 11, Widen: 1}
			c.SyncBN = sync
			return c
		}
	}
	images := func(dir string) Config {
		c := imageConfig("tree", dir)
		c.Epochs, c.Dtype = 2, "float64"
		return c
	}
	return []dpCase{
		{name: "mlp-float64", cfg: mlp("float64"), tol: 1e-12},
		{name: "imagenet-mlp-float64", cfg: images, tol: 1e-12, images: true},
		{name: "mlp-float32", cfg: mlp("float32"), tol: 2e-5},
		{name: "convnet-float32", cfg: conv, tol: 2e-5},
		{name: "resnext29-syncbn-float64", cfg: resnext(true), tol: 1e-12},
		{name: "resnext29-float64", cfg: resnext(false), tol: 1e-12, perRankBN: true},
	}
}

// dpOptions are the options of case c on comm, with base the test's
// directory.
func dpOptions(t *testing.T, c dpCase, base string, comm dist.Comm) Options {
	o := testOptions()
	if c.images {
		o.Data = imageTree(t, filepath.Join(base, "tree"), 4)
	}
	o.Device, o.Comm = cpu.New(1), comm
	return o
}

// interruptAt is the step after which rank 1 alone is interrupted.
const interruptAt = 27

// TestDataParallel runs every case as 2 ranks under mpirun (and one run
// that rank 1 alone interrupts, resumed on 2 ranks) and checks that 2 ranks
// at global batch B train as 1 process at batch B, and that the
// interrupted run resumed equals the uninterrupted one, on 2 ranks exactly
// and, resumed on 1 process, within the reduction tolerance.
func TestDataParallel(t *testing.T) {
	if mpitest.Rank() {
		t.Skip("this process is a rank")
	}
	base := t.TempDir()
	imageTree(t, filepath.Join(base, "tree"), 4)
	mpitest.Launch(t, 2, "TestDataParallelRanks", "COLLEGIUM_DP_DIR="+base)
	for _, c := range dpCases() {
		one := runOK(t, context.Background(), c.cfg(filepath.Join(base, c.name, "one")), dpOptions(t, c, base, nil))
		two, err := ReadMetrics(filepath.Join(base, c.name, "two"))
		if err != nil {
			t.Fatal(err)
		}
		if c.perRankBN {
			if d := relDiff(two[0].TrainLoss, one.History[0].TrainLoss); d < 100*c.tol {
				t.Errorf("%s: per-rank BN on 2 ranks gives the training loss of 1 process (relative difference %.2g)", c.name, d)
			}
			continue
		}
		nearCurves(t, c.name+": 2 ranks vs 1 process", two, one.History, c.tol)
		nearTensors(t, c.name+": 2 ranks vs 1 process", filepath.Join(base, c.name, "two"), filepath.Join(base, c.name, "one"), c.tol)
	}
	c := dpCases()[2]
	straight, err := ReadMetrics(filepath.Join(base, c.name, "two"))
	if err != nil {
		t.Fatal(err)
	}
	resumed, err := ReadMetrics(filepath.Join(base, "interrupted"))
	if err != nil {
		t.Fatal(err)
	}
	sameCurves(t, "2 ranks, interrupted at step 27 and resumed", resumed, straight)
	nearTensors(t, "2 ranks, interrupted and resumed", filepath.Join(base, "interrupted"), filepath.Join(base, c.name, "two"), 0)

	rc, err := ResumeConfig(filepath.Join(base, "interrupted-for-one"))
	if err != nil {
		t.Fatal(err)
	}
	o := dpOptions(t, c, base, nil)
	o.Resume = true
	one := runOK(t, context.Background(), rc, o)
	nearCurves(t, "2 ranks interrupted, resumed on 1 process", one.History, straight, c.tol)
}

// TestDataParallelRanks is one rank of TestDataParallel.
func TestDataParallelRanks(t *testing.T) {
	if !mpitest.Rank() {
		t.Skip("runs as a rank of TestDataParallel")
	}
	comm, err := dist.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer comm.Close()
	base := os.Getenv("COLLEGIUM_DP_DIR")
	for _, c := range dpCases() {
		runOK(t, context.Background(), c.cfg(filepath.Join(base, c.name, "two")), dpOptions(t, c, base, comm))
	}
	c := dpCases()[2]
	for _, dir := range []string{"interrupted", "interrupted-for-one"} {
		cfg := c.cfg(filepath.Join(base, dir))
		ctx, cancel := context.WithCancel(context.Background())
		o := dpOptions(t, c, base, comm)
		o.OnStep = func(step int) {
			if step == interruptAt && comm.Rank() == 1 {
				cancel()
			}
		}
		res := runOK(t, ctx, cfg, o)
		cancel()
		if !res.Interrupted || len(res.History) > 1 {
			t.Fatalf("rank %d: not interrupted in epoch 2 (interrupted %v, %d epochs)", comm.Rank(), res.Interrupted, len(res.History))
		}
	}
	rc, err := ResumeConfig(filepath.Join(base, "interrupted"))
	if err != nil {
		t.Fatal(err)
	}
	o := dpOptions(t, c, base, comm)
	o.Resume = true
	runOK(t, context.Background(), rc, o)
}

// nearCurves compares histories except timings within relative tolerance.
func nearCurves(t *testing.T, what string, got, want []Metrics, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d epochs vs %d", what, len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Epoch != w.Epoch || g.Step != w.Step {
			t.Errorf("%s: epoch %d step %d vs epoch %d step %d", what, g.Epoch, g.Step, w.Epoch, w.Step)
		}
		for _, v := range []struct {
			name string
			g, w float64
		}{{"train_loss", g.TrainLoss, w.TrainLoss}, {"test_loss", g.TestLoss, w.TestLoss}, {"test_acc", g.TestAcc, w.TestAcc}, {"lr", g.LR, w.LR}} {
			if d := relDiff(v.g, v.w); d > tol {
				t.Errorf("%s: epoch %d %s %.10g vs %.10g (relative difference %.2g > %.2g)", what, w.Epoch, v.name, v.g, v.w, d, tol)
			}
		}
	}
}
