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
	// Settings that would be ignored, or never apply, are refused.
	for _, tc := range []struct {
		set  [][2]string
		want string
	}{
		{[][2]string{{"schedule.milestones", "[2]"}}, "schedule cosine: milestones [2] are for schedule multistep only"},
		{[][2]string{{"schedule.kind", "constant"}, {"schedule.milestones", "[2]"}}, "schedule constant: milestones [2] are for schedule multistep only"},
		{[][2]string{{"schedule.kind", "multistep"}, {"schedule.milestones", "[2, 6]"}}, "milestone 6 is not before the last epoch of the run's 6"},
		{[][2]string{{"schedule.kind", "multistep"}, {"schedule.milestones", "[2, 9]"}}, "milestone 9 is not before the last epoch"},
		{[][2]string{{"optimizer.kind", "adam"}, {"optimizer.nesterov", "true"}}, "optimizer adam: nesterov is for sgd"},
		{[][2]string{{"sync_bn", "true"}}, "sync_bn: model family mlp has no BN layers"},
		{[][2]string{{"model.family", "convnet"}, {"sync_bn", "true"}}, "sync_bn: model family convnet has no BN layers"},
	} {
		c := Default()
		for _, kv := range tc.set {
			if err := c.Set(kv[0], kv[1]); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error containing %q", tc.set, err, tc.want)
		}
	}
	// The last epoch a milestone can lower the rate for is the run's last.
	c = Default()
	c.Schedule.Kind, c.Schedule.Milestones = ScheduleMultiStep, []int{2, 5}
	if err := c.Validate(); err != nil {
		t.Errorf("milestones [2 5] of a 6-epoch run: %v", err)
	}
	if lr := c.Schedule.LR(1, 5*10, 10, 6); lr != c.Schedule.Gamma*c.Schedule.Gamma {
		t.Errorf("lr in the last epoch after milestone 5: %v", lr)
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

// TestConfigStrict: config files and flag values that say something other
// than what a lenient decoder would make of them are errors naming the
// problem.
func TestConfigStrict(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ name, body, want string }{
		{"empty.yaml", "", "is empty"},
		{"comments.yaml", "# nothing\n", "is empty"},
		{"empty.json", " \n", "is empty"},
		{"float-epochs.yaml", "epochs: 1.5\n", `epochs: "1.5" is not an integer`},
		{"float-epochs.json", `{"epochs": 1.5}`, "cannot unmarshal number 1.5"},
		{"two-docs.yaml", "epochs: 2\n---\nepochs: 3\n", "a second YAML document"},
		{"two-docs.json", `{"epochs": 2}` + "\n" + `{"epochs": 3}`, "more data after the JSON value"},
		{"trailing.json", `{"epochs": 2} garbage`, "more data after the JSON value"},
		{"dup.yaml", "epochs: 2\nepochs: 3\n", `line 2: key "epochs" appears twice (lines 1 and 2)`},
		{"dup.json", `{"optimizer": {"lr": 0.1, "lr": 0.2}}`, `key "lr" appears twice`},
		{"case.json", `{"Epochs": 2}`, `did you mean "epochs"`},
		{"pad.yaml", "data:\n  pad: 1000\n", "data.pad 1000: at most 14 for 28×28 images"},
		{"minlr.yaml", "schedule:\n  min_lr: 0.5\n", "min_lr 0.5 is above the base lr 0.1"},
		{"warmup.yaml", "epochs: 2\nschedule:\n  warmup_epochs: 2\n", "warmup_epochs 2 must be shorter than the run's 2 epochs"},
		{"nan.yaml", "optimizer:\n  lr: .nan\n", "lr NaN must be a positive number"},
		{"inf-wd.yaml", "optimizer:\n  weight_decay: .inf\n", "weight_decay +Inf must be a finite number"},
		{"device.yaml", "device: \"\"\n", "device is empty"},
	} {
		path := filepath.Join(dir, c.name)
		if err := os.WriteFile(path, []byte(c.body), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := LoadConfig(path)
		if err == nil {
			err = cfg.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error containing %q", c.name, err, c.want)
		}
	}
	for _, c := range []struct{ key, value, want string }{
		{"optimizer.lr", "NaN", `"NaN" is not a finite number`},
		{"optimizer.lr", "-Inf", `"-Inf" is not a finite number`},
		{"epochs", "1.5", `"1.5" is not an integer`},
		{"epochs", "", `"" is not an integer`},
		{"device", "", "device is empty"},
		{"data.dataset", "", "data.dataset is empty"},
	} {
		cfg := Default()
		err := cfg.Set(c.key, c.value)
		if err == nil {
			err = cfg.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("set %s = %q: %v, want an error containing %q", c.key, c.value, err, c.want)
		}
	}
	cfg := Default()
	if err := cfg.Set("data.dir", ""); err != nil || cfg.Data.Dir != "" {
		t.Errorf("an empty data.dir (no directory) is refused: %v", err)
	}
}
