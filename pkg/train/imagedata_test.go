package train

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/collegium/collegium/internal/imagetree"
	"github.com/collegium/collegium/pkg/models"
)

// imageTree writes a miniature ImageNet tree of classes classes (12 train
// and 3 validation images each) into dir, unless it is there already (a
// tree the parent of MPI ranks wrote), and opens it.
func imageTree(t *testing.T, dir string, classes int) *ImageFolders {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, "train")); err != nil {
		if _, err := imagetree.Write(dir, imagetree.Tree{Classes: classes, Train: 12, Val: 3, Side: 10}); err != nil {
			t.Fatal(err)
		}
	}
	f, err := OpenImageFolders(context.Background(), Data{Dataset: "imagenet", Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// imageConfig trains a small MLP-CE on 8×8 crops of the tree in dir with
// the reference augmentation, at a constant rate.
func imageConfig(dir, out string) Config {
	c := testConfig(out)
	c.Data = Data{Dataset: "ImageNet", Dir: dir, ImageSize: 8, Flip: true, ColorJitter: 0.4, Lighting: 0.1}
	c.Epochs, c.BatchSize, c.EvalBatchSize = 4, 12, 7
	c.Schedule = Schedule{Kind: ScheduleConstant}
	return c
}

func imageOptions(f *ImageFolders) Options {
	o := testOptions()
	o.Data = f
	return o
}

// TestImageNetTrains: on a tree of 11 classes of distinct colours the model
// takes its input shape and classes from the tree, learns (test loss and
// top-1 far from chance, top-5 reported), and the test metrics do not depend on the
// evaluation batch (short and padded batches).
func TestImageNetTrains(t *testing.T) {
	dir := t.TempDir()
	f := imageTree(t, dir, 11)
	c := imageConfig(dir, t.TempDir())
	res := runOK(t, context.Background(), c, imageOptions(f))
	rc, err := ResumeConfig(c.Out)
	if err != nil {
		t.Fatal(err)
	}
	if want := (models.Input{Channels: 3, Height: 8, Width: 8}); rc.Model.Input != want || rc.Model.Classes != 11 {
		t.Errorf("model input %+v, %d classes; want %+v, 11", rc.Model.Input, rc.Model.Classes, want)
	}
	last := res.History[len(res.History)-1]
	if last.TestAcc < 0.5 || last.TestLoss > 0.6*math.Log(11) || last.TestTop5 == nil || *last.TestTop5 < last.TestAcc {
		t.Errorf("after %d epochs: test loss %.3f, top-1 %.3f, top-5 %v; want a loss below 0.6·ln 11 = 1.44, top-1 ≥ 0.5 (chance 0.09), top-5 ≥ top-1",
			last.Epoch, last.TestLoss, last.TestAcc, last.TestTop5)
	}
	for _, eb := range []int{1, 33} {
		c.EvalBatchSize, c.Out = eb, t.TempDir()
		other := runOK(t, context.Background(), c, imageOptions(f))
		got := other.History[len(other.History)-1]
		if got.TestLoss-last.TestLoss > 1e-6 || last.TestLoss-got.TestLoss > 1e-6 || got.TestAcc != last.TestAcc || *got.TestTop5 != *last.TestTop5 {
			t.Errorf("eval batch %d: test loss %v acc %v top-5 %v; eval batch 7: %v %v %v", eb, got.TestLoss, got.TestAcc, *got.TestTop5, last.TestLoss, last.TestAcc, *last.TestTop5)
		}
	}
}

// TestImageNetResume: a run interrupted in the middle of an epoch (its
// loader's decoders holding batches prepared ahead) and resumed ends with
// the uninterrupted run's metrics and tensors, bit for bit.
func TestImageNetResume(t *testing.T) {
	dir := t.TempDir()
	f := imageTree(t, dir, 4)
	c := imageConfig(dir, t.TempDir())
	c.Epochs = 3
	straight := runOK(t, context.Background(), c, imageOptions(f))
	for _, stopAt := range []int{2, 4, 7} { // 4 steps an epoch: mid-epoch, at its end, mid-epoch
		c.Out = t.TempDir()
		ctx, cancel := context.WithCancel(context.Background())
		o := imageOptions(f)
		o.OnStep = func(step int) {
			if step == stopAt {
				cancel()
			}
		}
		if first := runOK(t, ctx, c, o); !first.Interrupted {
			t.Fatalf("stop at step %d: not interrupted", stopAt)
		}
		cancel()
		rc, err := ResumeConfig(c.Out)
		if err != nil {
			t.Fatal(err)
		}
		o = imageOptions(f)
		o.Resume = true
		sameCurves(t, "resumed", runOK(t, context.Background(), rc, o).History, straight.History)
		nearTensors(t, "resumed", c.Out, straight.Dir, 0)
	}
}

// TestImageDataRefused: the settings an image tree cannot honour, and
// those only it can, are refused by Validate (before any data is read),
// and a model that does not fit the tree by CheckData.
func TestImageDataRefused(t *testing.T) {
	dir := t.TempDir()
	f := imageTree(t, dir, 3)
	for _, tc := range []struct {
		change func(*Config)
		want   string
	}{
		{func(c *Config) { c.Data.Pad = 4 }, "data.pad 4: imagenet trains on random-resized crops"},
		{func(c *Config) { c.Data.ImageSize = -1 }, "data.image_size -1: must be ≥ 1"},
		{func(c *Config) { c.Data.ColorJitter = 1 }, "data.color_jitter 1: must be in [0, 1)"},
		{func(c *Config) { c.Data.Lighting = -0.1 }, "data.lighting -0.1: must be a finite number ≥ 0"},
		{func(c *Config) { c.Data.Dataset, c.Data.ImageSize = "mnist", 0 }, "data.color_jitter, data.lighting: for dataset imagenet only"},
		{func(c *Config) { c.Data.Dataset = "cifar10" }, "data.image_size, data.color_jitter, data.lighting: for dataset imagenet only"},
	} {
		c := imageConfig(dir, "")
		tc.change(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate: %v, want %q", err, tc.want)
		}
	}
	for _, tc := range []struct {
		change func(*Config)
		want   string
	}{
		{func(c *Config) { c.Model = models.Spec{Family: models.ResNeXt50, Members: 2, Width: 4} },
			"resnext50 downsamples 32 times and needs at least 32x32"},
		{func(c *Config) { c.Model.Classes = 1000 }, "model input {Channels:3 Height:8 Width:8} with 1000 classes, but dataset ImageNet has {Channels:3 Height:8 Width:8} with 3"},
	} {
		c := imageConfig(dir, "")
		tc.change(&c)
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		if err := CheckData(c, f); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CheckData: %v, want %q", err, tc.want)
		}
	}
	t.Setenv("COLLEGIUM_DATA", "")
	if _, err := OpenImageFolders(context.Background(), Data{Dataset: "imagenet"}); err == nil || !strings.Contains(err.Error(), "say where its tree is with --data-dir") {
		t.Errorf("no directory: %v", err)
	}
	t.Setenv("COLLEGIUM_DATA", filepath.Dir(dir))
	if _, err := OpenImageFolders(context.Background(), Data{Dataset: "imagenet"}); err == nil || !strings.Contains(err.Error(), filepath.Join(filepath.Dir(dir), "imagenet")) {
		t.Errorf("$COLLEGIUM_DATA without imagenet/: %v", err)
	}
	if err := os.Rename(dir, filepath.Join(filepath.Dir(dir), "imagenet")); err != nil {
		t.Fatal(err)
	}
	if g, err := OpenImageFolders(context.Background(), Data{Dataset: "imagenet"}); err != nil || g.Train.Len() != f.Train.Len() {
		t.Errorf("$COLLEGIUM_DATA/imagenet: %v", err)
	}
}

// TestImageNetReferenceConfig: every ImageNet file in configs/ (the
// reference 32×4d and the search study's baselines and optima) is the
// reference recipe with its augmentation, and on ImageNet's 1000 classes at
// 224×224 its model has exactly the parameters of torchvision's
// ResNet(Bottleneck, [3, 4, 6, 3], groups=m, width_per_group=n).
func TestImageNetReferenceConfig(t *testing.T) {
	torchvision := map[string]int{ // summed p.numel() of torchvision 0.14's model
		"resnext50-32x4d-imagenet.yaml":       25028904,
		"study-resnext50-1x64d-imagenet.yaml": 25557032, // ResNet-50
		"study-resnext50-32x4d-imagenet.yaml": 25028904,
		"study-resnext50-21x6d-imagenet.yaml": 25410124,
		"study-resnext50-17x4d-imagenet.yaml": 15577224,
		"study-resnext50-25x5d-imagenet.yaml": 24901695,
		// torchvision's layer sizes summed by hand (the sum gives the six above exactly)
		"study-resnext50-64x1d-imagenet.yaml":  14416616,
		"study-resnext50-128x1d-imagenet.yaml": 23967912,
		"study-resnext50-32x3d-imagenet.yaml":  19722760,
	}
	paths, err := filepath.Glob("../../configs/*imagenet*.yaml")
	if err != nil || len(paths) != len(torchvision) {
		t.Fatalf("ImageNet configs %v (%v), want the %d of this test", paths, err, len(torchvision))
	}
	for _, p := range paths {
		want, ok := torchvision[filepath.Base(p)]
		if !ok {
			t.Errorf("%s: no parameter count to check it against", p)
			continue
		}
		c, err := LoadConfig(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		o, s, d := c.Optimizer, c.Schedule, c.Data
		if c.Epochs != 100 || c.BatchSize != 256 || o.Kind != OptSGD || o.LR != 0.1 || o.Momentum != 0.9 || o.Nesterov || o.WeightDecay != 1e-4 ||
			s.Kind != ScheduleMultiStep || !slices.Equal(s.Milestones, []int{30, 60, 90}) || s.Gamma != 0.1 ||
			!IsImageNet(d.Dataset) || d.imageSize() != 224 || !d.Flip || d.ColorJitter != 0.4 || d.Lighting != 0.1 {
			t.Errorf("%s: not the reference recipe: %+v", p, c)
		}
		c.Model.Input, c.Model.Classes = models.Input{Channels: 3, Height: 224, Width: 224}, 1000
		if err := c.Model.Validate(); err != nil {
			t.Fatal(err)
		}
		if n, err := models.ParamCount(c.Model); err != nil || n != want {
			t.Errorf("%s: %d parameters (%v), want %d", p, n, err, want)
		}
	}
}
