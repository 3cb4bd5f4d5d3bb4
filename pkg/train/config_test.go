package train

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/collegium/collegium/pkg/models"
)

// TestConfigRoundTrip saves a config as YAML and JSON and reads it back.
func TestConfigRoundTrip(t *testing.T) {
	c := Default()
	c.Model.Input = models.Input{Channels: 1, Height: 28, Width: 28}
	c.Model.Classes = 10
	c.Schedule = Schedule{Kind: ScheduleMultiStep, Milestones: []int{3, 6}, Gamma: 0.2, WarmupEpochs: 0.5}
	c.Seed = 1<<63 + 5
	c.Data.Flip = true
	for _, name := range []string{"config.yaml", "config.json"} {
		path := filepath.Join(t.TempDir(), name)
		if err := c.Save(path); err != nil {
			t.Fatal(err)
		}
		got, err := LoadConfig(path)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, c) {
			t.Errorf("%s: read back\n%+v\nwant\n%+v", name, got, c)
		}
	}
}

// TestConfigPrecedence checks default < file < Set (the flags).
func TestConfigPrecedence(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	file := "epochs: 7\noptimizer:\n  lr: 0.05\nmodel:\n  members: 8\n"
	if err := os.WriteFile(path, []byte(file), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Epochs != 7 || c.Optimizer.LR != 0.05 || c.Model.Members != 8 || c.Model.Width != Default().Model.Width || c.Optimizer.Momentum != 0.9 {
		t.Fatalf("file over defaults: %+v", c)
	}
	for k, v := range map[string]string{"optimizer.lr": "0.2", "model.family": "convnet", "schedule.milestones": "[2,4]", "out": "runs/a: b"} {
		if err := c.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if c.Optimizer.LR != 0.2 || c.Model.Family != models.ConvNet || !reflect.DeepEqual(c.Schedule.Milestones, []int{2, 4}) || c.Out != "runs/a: b" || c.Epochs != 7 {
		t.Fatalf("flags over file: %+v", c)
	}
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("epochz: 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(bad); err == nil || !strings.Contains(err.Error(), "epochz") {
		t.Errorf("unknown key: %v", err)
	}
	c := Default()
	if err := c.Set("optimizer.lr", "fast"); err == nil {
		t.Error("non-numeric lr accepted")
	}
	if err := c.Set("optimiser.lr", "0.1"); err == nil {
		t.Error("unknown key accepted")
	}
	c = Default()
	c.BatchSize = 0
	if err := c.Validate(); err == nil {
		t.Error("batch size 0 accepted")
	}
}

// TestExampleConfigs loads every file in configs/ and checks its settings.
func TestExampleConfigs(t *testing.T) {
	paths, err := filepath.Glob("../../configs/*.yaml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no example configs: %v", err)
	}
	for _, p := range paths {
		c, err := LoadConfig(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	c, err := LoadConfig("../../configs/mlp-mnist.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, Default()) {
		t.Errorf("configs/mlp-mnist.yaml is not the default:\n%+v\n%+v", c, Default())
	}
}
