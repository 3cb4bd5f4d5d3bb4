package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/collegium/collegium/internal/imagetree"
)

// miniImageNet writes a tree of 11 classes (so that top-5 is reported), 16
// training and 2 validation JPEGs each, into dir/tree and returns it.
func miniImageNet(t *testing.T, dir string) string {
	t.Helper()
	tree := filepath.Join(dir, "tree")
	if _, err := imagetree.Write(tree, imagetree.Tree{Classes: 11, Train: 16, Val: 2, Side: 10}); err != nil {
		t.Fatal(err)
	}
	return tree
}

// imagenetConfig writes a config training a 2×32 MLP-CE on 16×16 crops of
// tree with the reference augmentation, 88 steps an epoch, at a constant
// rate (so that the number of epochs does not change the steps).
func imagenetConfig(t *testing.T, dir, tree string) string {
	t.Helper()
	path := filepath.Join(dir, "imagenet.yaml")
	text := "model: {family: mlp, members: 2, width: 32, depth: 1}\n" +
		"data: {dataset: imagenet, dir: " + strconv.Quote(tree) + ", image_size: 16, flip: true, color_jitter: 0.4, lighting: 0.1}\n" +
		"batch_size: 2\neval_batch_size: 8\noptimizer: {lr: 0.002}\nschedule: {kind: constant}\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// epochLines are a run's metrics.jsonl records without their timings.
func epochLines(t *testing.T, dir string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(readFile(t, filepath.Join(dir, "metrics.jsonl"))), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "images_per_s")
		delete(m, "wall_s")
		out = append(out, m)
	}
	return out
}

// TestImageNetTrainCLI: `collegium train` on an ImageNet folder tree takes
// its classes and input size from the tree and the config, learns,
// evaluates (top-1 and top-5), checkpoints; a run stopped by SIGINT in the
// middle of its first epoch (once it has logged a quarter of it) and
// resumed ends with the metrics and tensors of an uninterrupted run, bit
// for bit.
func TestImageNetTrainCLI(t *testing.T) {
	work := t.TempDir()
	cfg := imagenetConfig(t, work, miniImageNet(t, work))
	cut, straight := filepath.Join(work, "cut"), filepath.Join(work, "straight")

	p := startCLI(t, work, "train", "--config", cfg, "--epochs", "500", "--out", cut)
	p.waitForStderr(t, `msg=training epoch=1 `, 2*time.Minute)
	p.signal(t, syscall.SIGINT)
	if code := p.wait(t, time.Minute); code != 130 {
		t.Fatalf("interrupted run: status %d\n%s", code, p)
	}
	var ck struct {
		Epoch       int `json:"epoch"`
		EpochSteps  int `json:"epoch_steps"`
		TrainConfig struct {
			Model struct {
				Classes int `json:"classes"`
				Input   struct {
					Channels, Height, Width int
				} `json:"input"`
			} `json:"model"`
		} `json:"config"`
	}
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(cut, "checkpoint.json"))), &ck); err != nil {
		t.Fatal(err)
	}
	if m := ck.TrainConfig.Model; m.Classes != 11 || m.Input.Channels != 3 || m.Input.Height != 16 || m.Input.Width != 16 {
		t.Errorf("model of the run: %d classes, input %+v; want 11 classes of 3×16×16", m.Classes, m.Input)
	}
	t.Logf("interrupted after %d epochs and %d steps of the next", ck.Epoch, ck.EpochSteps)
	epochs := strconv.Itoa(ck.Epoch + 2)
	if r := runCLIProcess(t, work, "train", "--resume", cut, "--epochs", epochs); r.code != 0 {
		t.Fatalf("resume: status %d\n%s", r.code, r)
	}
	r := runCLIProcess(t, work, "train", "--config", cfg, "--epochs", epochs, "--out", straight)
	if r.code != 0 {
		t.Fatalf("uninterrupted run: status %d\n%s", r.code, r)
	}
	if !regexp.MustCompile(`done: ` + epochs + ` epochs, test accuracy [0-9.]+% \(top-5 [0-9.]+%\)`).MatchString(r.stdout.String()) {
		t.Errorf("no top-1 and top-5 on stdout:\n%s", r)
	}
	a, b := epochLines(t, straight), epochLines(t, cut)
	if len(a) != ck.Epoch+2 || len(b) != len(a) {
		t.Fatalf("epochs recorded: uninterrupted %d, resumed %d, want %d", len(a), len(b), ck.Epoch+2)
	}
	for i := range a {
		if _, ok := a[i]["test_top5"]; !ok || !equalJSON(a[i], b[i]) {
			t.Errorf("epoch %d: uninterrupted %v, interrupted and resumed %v", i+1, a[i], b[i])
		}
	}
	if acc := a[len(a)-1]["test_acc"].(float64); acc < 0.5 {
		t.Errorf("test accuracy %.3f after %d epochs, want ≥ 0.5 (chance 0.09)", acc, len(a))
	}
	tensors := func(dir string) string {
		var c struct {
			Tensors string `json:"tensors"`
		}
		if err := json.Unmarshal([]byte(readFile(t, filepath.Join(dir, "checkpoint.json"))), &c); err != nil {
			t.Fatal(err)
		}
		return readFile(t, filepath.Join(dir, c.Tensors))
	}
	if tensors(cut) != tensors(straight) {
		t.Error("the resumed run's final tensors differ from the uninterrupted run's")
	}
}

func equalJSON(a, b map[string]any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// TestImageNetBadTreeCLI: a missing or malformed tree, and settings that do
// not fit it (--train-limit and --test-limit among them), are refused with an error naming what is wrong, before the
// run directory is created.
func TestImageNetBadTreeCLI(t *testing.T) {
	work := t.TempDir()
	tree := miniImageNet(t, work)
	c0, c1 := imagetree.ClassName(0), imagetree.ClassName(1)
	for _, c := range []struct {
		name  string
		spoil func(dir string) error
		args  []string
		want  string
	}{
		{"no val", func(dir string) error { return os.RemoveAll(filepath.Join(dir, "val")) }, nil, "no val directory"},
		{"empty class", func(dir string) error { return os.MkdirAll(filepath.Join(dir, "train", "n99"), 0o755) }, nil,
			"class n99 holds no JPEG images"},
		{"a text file in a class", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "train", c1, "notes.txt"), []byte("x"), 0o644)
		}, nil, filepath.Join(c1, "notes.txt") + " is not a JPEG image"},
		{"a text file named .JPEG", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "val", c0, "x.JPEG"), []byte("<html>"), 0o644)
		}, nil, "x.JPEG is not a JPEG image: it starts with 3c 68 74"},
		{"classes of train and val differ", func(dir string) error {
			return os.Rename(filepath.Join(dir, "val", c1), filepath.Join(dir, "val", "n7"))
		}, nil, `class directories differ: `},
		{"no tree", func(dir string) error { return os.RemoveAll(dir) }, nil, "no such file or directory"},
		{"resnext50 at 16×16", nil, []string{"--family", "resnext50", "--depth", "0", "--image-size", "16"}, "resnext50 downsamples 32 times and needs at least 32x32"},
		{"classes set to other than the tree's", nil, []string{"--config", "{}"}, "with 1000 classes, but dataset imagenet has"},
		{"--train-limit", nil, []string{"--train-limit", "8"}, "data.train_limit, data.test_limit: for datasets held in memory; imagenet streams its folder tree"},
		{"--test-limit", nil, []string{"--test-limit", "4"}, "data.train_limit, data.test_limit: for datasets held in memory; imagenet streams its folder tree"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "tree")
			if err := os.CopyFS(dir, os.DirFS(tree)); err != nil {
				t.Fatal(err)
			}
			if c.spoil != nil {
				if err := c.spoil(dir); err != nil {
					t.Fatal(err)
				}
			}
			out := filepath.Join(t.TempDir(), "run")
			args := append([]string{"train", "--dataset", "imagenet", "--data-dir", dir, "--image-size", "8", "--out", out}, c.args...)
			if len(c.args) > 0 && c.args[0] == "--config" {
				cfg := filepath.Join(t.TempDir(), "c.yaml")
				if err := os.WriteFile(cfg, []byte("model: {classes: 1000}\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				args[len(args)-1] = cfg
			}
			p := runCLIProcess(t, work, args...)
			if p.code != 1 || !strings.Contains(p.stderr.String(), c.want) {
				t.Errorf("status %d, want 1 and an error containing %q\n%s", p.code, c.want, p)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("the refused run left %s", out)
			}
		})
	}
}
