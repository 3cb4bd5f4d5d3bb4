package sweep

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/collegium/collegium/pkg/models"
	"github.com/collegium/collegium/pkg/train"
)

func writeFile(t *testing.T, path, text string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func names(p *Plan) []string {
	var out []string
	for _, pt := range p.Points {
		out = append(out, pt.Name)
	}
	return out
}

// TestExpandGrid: the grid is crossed in order (last key fastest), names
// and groups follow the values, and every point's config is the base with
// the set and grid settings applied.
func TestExpandGrid(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "base.yaml"), "model:\n  family: mlp\n  depth: 1\nepochs: 3\nschedule:\n  kind: multistep\n")
	spec := writeFile(t, filepath.Join(dir, "s.yaml"), `
base: base.yaml
set:
  model:
    members: 2
  optimizer.lr: 0.05
grid:
  model.width: [16, 32]
  schedule.milestones: [[1, 2]]
  seed: [1, 2, 3]
`)
	s, err := LoadSpec(spec)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Expand(s, filepath.Join(dir, "out"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"width16-milestones1_2-seed1", "width16-milestones1_2-seed2", "width16-milestones1_2-seed3",
		"width32-milestones1_2-seed1", "width32-milestones1_2-seed2", "width32-milestones1_2-seed3"}
	if got := names(p); !slices.Equal(got, want) {
		t.Fatalf("names %v\nwant %v", got, want)
	}
	pt := p.Points[4]
	if pt.Group != "width32-milestones1_2" || pt.Seed != 2 || pt.Index != 4 || pt.V != nil {
		t.Errorf("point 4: %+v", pt)
	}
	cfg, err := s.config(pt, p.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Model.Members != 2 || cfg.Model.Width != 32 || cfg.Model.Depth != 1 || cfg.Epochs != 3 || cfg.Optimizer.LR != 0.05 ||
		!slices.Equal(cfg.Schedule.Milestones, []int{1, 2}) || cfg.Seed != 2 || cfg.Out != filepath.Join(p.Dir, pt.Name) {
		t.Errorf("config of %s: %+v", pt.Name, cfg)
	}
	wantParams, _ := models.ParamCount(models.Spec{Family: models.MLP, Members: 2, Width: 32, Depth: 1,
		Input: models.Input{Channels: 1, Height: 28, Width: 28}, Classes: 10})
	if pt.Params != wantParams {
		t.Errorf("params %d, want %d", pt.Params, wantParams)
	}

	if err := p.Save(); err != nil {
		t.Fatal(err)
	}
	saved, err := train.LoadConfig(filepath.Join(p.Dir, configsDir, pt.Name+".yaml"))
	if err != nil || saved.Model.Width != 32 || saved.Out != cfg.Out {
		t.Errorf("saved config: %+v, %v", saved, err)
	}
	again, err := ReadPlan(p.Dir)
	if err != nil || !slices.Equal(names(again), want) {
		t.Fatalf("plan read back: %v, %v", again, err)
	}
	// The same spec may be saved again; another one may not.
	if err := p.Save(); err != nil {
		t.Errorf("saving the same sweep again: %v", err)
	}
	s.Grid[0].Values = []string{"16", "64"}
	other, err := Expand(s, p.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Save(); err == nil || !strings.Contains(err.Error(), "holds another sweep") {
		t.Errorf("saving another sweep into the directory: %v", err)
	}
	// The same points with another setting: refused, naming the first
	// point and the change; the frozen configs stay as they were.
	s.Grid[0].Values = []string{"16", "32"}
	s.Set = append(s.Set, Setting{"epochs", "4"})
	changed, err := Expand(s, p.Dir)
	if err != nil {
		t.Fatal(err)
	}
	err = changed.Save()
	if err == nil || !strings.Contains(err.Error(), "another config for point width16-milestones1_2-seed1 (epochs 3 → 4)") {
		t.Errorf("saving the sweep with another epochs: %v", err)
	}
	if saved, _ := train.LoadConfig(filepath.Join(p.Dir, configsDir, pt.Name+".yaml")); saved.Epochs != 3 {
		t.Errorf("frozen config rewritten: epochs %d", saved.Epochs)
	}
	// A frozen config changed by hand is not trained.
	if _, err := p.FrozenConfig(pt); err != nil {
		t.Errorf("frozen config: %v", err)
	}
	writeFile(t, filepath.Join(p.Dir, configsDir, pt.Name+".yaml"), "epochs: 9\n")
	if _, err := p.FrozenConfig(pt); err == nil || !strings.Contains(err.Error(), "was changed after the sweep was planned") {
		t.Errorf("a frozen config changed by hand: %v", err)
	}
}

// TestExpandSearch takes the baseline and top rows of two search outputs;
// a configuration both objectives chose is trained once.
func TestExpandSearch(t *testing.T) {
	dir := t.TempDir()
	row := func(obj string, rank, m, n, params int, v float64) string {
		return `{"rank":` + itoa(rank) + `,"objective":"` + obj + `","name":"x","m":` + itoa(m) + `,"n":` + itoa(n) +
			`,"params":` + itoa(params) + `,"v":` + ftoa(v) + `,"params_ratio":1,"v_ratio":1,"baseline":"1x64d","baseline_params":` +
			itoa(mlpParams(1, 64)) + `,"baseline_v":0.5}` + "\n"
	}
	writeFile(t, filepath.Join(dir, "primal.jsonl"), row("primal", 1, 4, 16, mlpParams(4, 16), 0.1)+row("primal", 2, 2, 32, mlpParams(2, 32), 0.2))
	writeFile(t, filepath.Join(dir, "dual.jsonl"), row("dual", 1, 4, 16, mlpParams(4, 16), 0.1))
	spec := writeFile(t, filepath.Join(dir, "s.yaml"), `
set: {model.depth: 2}
search:
  - {file: primal.jsonl, top: 2, baseline: true}
  - {file: dual.jsonl, top: 1}
configs:
  - name: control
    set: {model.members: 8, model.width: 8}
grid:
  seed: [7]
`)
	s, err := LoadSpec(spec)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Expand(s, dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"baseline-1x64d-seed7", "primal1+dual-4x16d-seed7", "primal2-2x32d-seed7", "control-seed7"}
	if got := names(p); !slices.Equal(got, want) {
		t.Fatalf("names %v, want %v", got, want)
	}
	if v := p.Points[0].V; v == nil || *v != 0.5 || p.Points[1].Role != "primal1+dual" || *p.Points[2].V != 0.2 ||
		p.Points[3].V != nil || p.Points[3].Params != mlpParams(8, 8) {
		t.Errorf("roles and V: %+v", p.Points)
	}

	// A search of another architecture (depth) is caught by its counts.
	s.Set = []Setting{{"model.depth", "3"}}
	if _, err := Expand(s, dir); err == nil || !strings.Contains(err.Error(), "the search counted") {
		t.Errorf("search rows of depth 2 in a depth-3 sweep: %v", err)
	}
}

func mlpParams(m, n int) int {
	p, err := models.ParamCount(models.Spec{Family: models.MLP, Members: m, Width: n, Depth: 2,
		Input: models.Input{Channels: 1, Height: 28, Width: 28}, Classes: 10})
	if err != nil {
		panic(err)
	}
	return p
}

func itoa(n int) string { return strconv.Itoa(n) }

func ftoa(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func TestSpecErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ text, want string }{
		{"grid:\n  seed: []\n", "seed has no values"},
		{"grid:\n  seed: 1\n", "want a list of values"},
		{"grid:\n  seed: [1]\n  seed: [2]\n", "listed twice"},
		{"gird:\n  seed: [1]\n", `line 1: unknown key "gird"`},
		{"search:\n  - {top: 1}\n", "no file"},
		{"search:\n  - {file: a.jsonl}\ngrid:\n  model.width: [1]\n", "set by the search rows"},
		{"slurm:\n  options: [\"-p x\"]\n", "want one --name=value"},
		{"set: [1]\n", "want a mapping"},
		{"configs:\n  - {name: a/b}\n", "name \"a/b\""},
		{"configs:\n  - {name: \"\"}\n", "name \"\""},
		{"configs:\n  - {name: c, set: {seed: 1}}\ngrid:\n  seed: [1]\n", "which the grid varies"},
		// Strict reading: one document, no key twice however it is spelt,
		// nothing that would break an #SBATCH line.
		{"grid:\n  seed: [1]\n---\ngrid:\n  seed: [2]\n", "document"},
		{"set:\n  epochs: 1\nset:\n  epochs: 2\n", "set"},
		{"set:\n  epochs: 1\n  epochs: 2\n", "epochs is given twice (lines 2 and 3)"},
		{"set:\n  optimizer.lr: 0.1\n  optimizer: {lr: 0.2}\n", "optimizer.lr is given twice (lines 2 and 3)"},
		{"set:\n  seed: 1\ngrid:\n  seed: [2]\n", "set: seed is also varied by the grid"},
		{"search:\n  - {file: a.jsonl}\nset:\n  model.members: 2\n", "set: model.members is set by the search rows"},
		{"slurm:\n  partition: \"gpu\\n#SBATCH --mem=1T\"\n", "slurm: partition"},
		{"slurm:\n  time: \"1:00\\r\"\n", "slurm: time"},
		{"slurm:\n  mpi: \"pmix x\"\n", "slurm: mpi"},
		{"slurm:\n  options: [\"--mem=1G\\n#x\"]\n", "slurm: option"},
		{"slurm:\n  cpus_per_task: 1.5\n", "slurm.cpus_per_task: \"1.5\" is not an integer"},
		{"search:\n  - {file: a.jsonl, top: -1}\n", "top -1 < 0"},
	} {
		_, err := LoadSpec(writeFile(t, filepath.Join(dir, "s.yaml"), c.text))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.text, err, c.want)
		}
	}
	for _, c := range []struct{ text, want string }{
		{"grid:\n  model.widht: [1]\n", "model.widht"},
		{"grid:\n  epochs: [0]\n", "epochs 0"},
		{"grid:\n  seed: [1, \"1\"]\n", "two points are named seed1"},
		{"search:\n  - {file: missing.jsonl}\n", "missing.jsonl"},
	} {
		s, err := LoadSpec(writeFile(t, filepath.Join(dir, "s.yaml"), c.text))
		if err != nil {
			t.Fatalf("%q: %v", c.text, err)
		}
		if _, err := Expand(s, dir); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.text, err, c.want)
		}
	}
	for _, c := range []struct{ rows, want string }{
		{"{\"m\": 0}\n", "bad.jsonl:1: row without m and n"},
		{"{\"m\": 2, \"n\": 8} {\"m\": 3}\n", "bad.jsonl:1: not a `collegium search --format json` row"},
		{"{\"m\": 2, \"n\": 8, \"m\": 3}\n", "bad.jsonl:1: not a `collegium search --format json` row"},
		{"{\"m\": 2, \"n\": 8, \"mm\": 3}\n", "bad.jsonl:1: not a `collegium search --format json` row"},
	} {
		writeFile(t, filepath.Join(dir, "bad.jsonl"), c.rows)
		s, err := LoadSpec(writeFile(t, filepath.Join(dir, "s.yaml"), "search:\n  - {file: bad.jsonl}\n"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Expand(s, dir); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("search rows %q: error %v, want %q", c.rows, err, c.want)
		}
	}
	if _, err := ReadPlan(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadPlan of a directory without a sweep: %v", err)
	}
}

func TestStat(t *testing.T) {
	s := stat([]float64{1, 2, 3, 4})
	if s.Mean != 2.5 || math.Abs(s.SD-math.Sqrt(5.0/3)) > 1e-15 {
		t.Errorf("stat(1..4) = %+v", s)
	}
	if s := stat([]float64{7}); s.Mean != 7 || s.SD != 0 {
		t.Errorf("stat(7) = %+v", s)
	}
}

// TestWriteSbatch checks the array job: the pending points as array
// indices, the throttle, the sbatch options and the task's command.
func TestWriteSbatch(t *testing.T) {
	dir := t.TempDir()
	p := &Plan{Dir: dir, Slurm: Slurm{Partition: "gpu", Time: "1:00:00", CPUsPerTask: 4, Parallel: 2, Options: []string{"--mem=8G"}}}
	path, err := p.WriteSbatch("/opt/it's/collegium", []int{1, 3})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"#!/bin/bash\n", "#SBATCH --array=1,3%2\n", "#SBATCH --cpus-per-task=4\n", "#SBATCH --partition=gpu\n",
		"#SBATCH --time=1:00:00\n", "#SBATCH --ntasks=1\n", "#SBATCH --mem=8G\n", "#SBATCH --output=" + filepath.Join(dir, "slurm", "%A_%a.out") + "\n",
		`exec '/opt/it'\''s/collegium' sweep --out '` + dir + `' --point "$SLURM_ARRAY_TASK_ID"` + "\n",
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("sbatch script lacks %q:\n%s", want, b)
		}
	}
	if got := (Slurm{NTasks: 2}).TrainCommand("/c"); !slices.Equal(got, []string{"srun", "--mpi=pmix", "--ntasks=2", "/c", "train"}) {
		t.Errorf("train command over 2 ranks: %v", got)
	}
	if got := (Slurm{}).TrainCommand("/c"); !slices.Equal(got, []string{"/c", "train"}) {
		t.Errorf("train command of one task: %v", got)
	}
	if _, err := p.WriteSbatch("x", nil); err == nil {
		t.Error("an array of no points was written")
	}
	nl := &Plan{Dir: filepath.Join(dir, "a\nb")}
	if _, err := nl.WriteSbatch("x", []int{0}); err == nil || !strings.Contains(err.Error(), "would break its #SBATCH --output line") {
		t.Errorf("a sweep directory with a newline: %v", err)
	}
}
