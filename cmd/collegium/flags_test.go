package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFlagsCheckedFirst: bad flag values and stray arguments are errors
// naming the flag before any work starts (none of these commands gets as
// far as measuring or loading anything), never a quiet default.
func TestFlagsCheckedFirst(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir) // train cases below must not leave runs/ here
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.yaml")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	spec := filepath.Join(dir, "sweep.yaml")
	if err := os.WriteFile(spec, []byte("grid:\n  seed: [1, 2]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sweepDir := filepath.Join(dir, "sw")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"ntk", "--samples", "-1"}, "--samples -1: must be 0 (the default) or ≥ 2"},
		{[]string{"ntk", "--samples", "1"}, "--samples 1: must be 0 (the default) or ≥ 2"},
		{[]string{"ntk", "--workers", "-2"}, "--workers -2: must be ≥ 0"},
		{[]string{"ntk", "extra"}, `unknown command "extra"`},
		{[]string{"search", "--samples", "-1"}, "--samples -1: want ≥ 3, or 0 for sequential sampling"},
		{[]string{"search", "--samples", "2"}, "--samples 2: V needs 2 initialisations and its standard error 3"},
		{[]string{"search", "--budget", "-5"}, "--budget -5: must be ≥ 0"},
		{[]string{"search", "--target", "-1"}, "--target -1: must be a finite number ≥ 0"},
		{[]string{"search", "--target", "NaN"}, "--target NaN: must be a finite number ≥ 0"},
		{[]string{"search", "--depth", "-1"}, "--depth -1: must be ≥ 0"},
		{[]string{"search", "--workers", "-1"}, "--workers -1: must be ≥ 0"},
		{[]string{"search", "--max-m", "0"}, "--max-m 0: must be ≥ 1"},
		{[]string{"search", "--max-n", "-3"}, "--max-n -3: must be ≥ 0"},
		{[]string{"search", "--input-count", "1"}, "--input-count 1: must be ≥ 2"},
		{[]string{"search", "--top", "-1"}, "--top -1: must be ≥ 0"},
		{[]string{"search", "--law", "cubic"}, `--law "cubic": want one of`},
		{[]string{"search", "--out", file}, "exists and is not a directory"},
		{[]string{"search", "stray"}, `unknown command "stray"`},
		{[]string{"bench", "--case", "conv:N=1,C=2,H=3", "--plot", filepath.Join(dir, "p.txt")}, "want a .png, .svg or .pdf file"},
		{[]string{"bench", "--case", "conv:N=1,C=2,H=3", "--out", filepath.Join(dir, "no", "r.csv")}, "--out " + filepath.Join(dir, "no", "r.csv") + ": directory " + filepath.Join(dir, "no") + " does not exist"},
		{[]string{"bench", "--case", "conv:N=1,C=2,H=3", "--plot", dir + "/"}, "want a .png"},
		{[]string{"train", "--lr", "NaN"}, `--lr: set optimizer.lr: "NaN" is not a finite number`},
		{[]string{"train", "--device", ""}, "device is empty: want cpu or cuda:N"},
		{[]string{"train", "--dataset", ""}, "data.dataset is empty"},
		{[]string{"train", "--warmup-epochs", "6"}, "warmup_epochs 6 must be shorter than the run's 6 epochs"},
		{[]string{"train", "--config", empty}, "is empty: it must set at least one key"},
		{[]string{"train", "--optimizer", "adam", "--momentum", "0.5"}, "--momentum is for optimizer sgd; adam has beta1 and beta2"},
		{[]string{"train", "--optimizer", "adamw", "--nesterov"}, "optimizer adamw: nesterov is for sgd"},
		{[]string{"train", "--milestones", "2"}, "schedule cosine: milestones [2] are for schedule multistep only"},
		{[]string{"train", "--schedule", "multistep", "--milestones", "3,6"}, "schedule multistep: milestone 6 is not before the last epoch of the run's 6"},
		{[]string{"train", "--sync-bn"}, "sync_bn: model family mlp has no BN layers to synchronise"},
		{[]string{"train", "--sync-bn", "--family", "resnext29", "--depth", "29", "--data-dir", filepath.Join(dir, "nowhere")}, "sync_bn synchronises BN over several ranks"},
		{[]string{"sweep", spec, "--out", sweepDir, "--dry-run"}, "--dry-run writes the sbatch script of --executor slurm"},
		{[]string{"sweep", "--out", sweepDir, "--executor", "slurm", "--point", "1"}, "--point runs one point here (what each Slurm array task does): it goes with --executor local"},
		{[]string{"sweep", spec, "--out", sweepDir, "--point", "1"}, "--point trains the point as frozen in --out when the sweep was planned: give no SPEC"},
		{[]string{"sweep", "--out", sweepDir}, "the sweep spec (SPEC.yaml) is needed"},
		{[]string{"sweep", "--out", sweepDir, "--point", "0"}, "is not a sweep directory"},
	} {
		out, err := runCLI(tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error containing %q\n%s", tc.args, err, tc.want, out)
		}
	}
	for _, left := range []string{defaultRuns, sweepDir} {
		if _, err := os.Stat(filepath.Join(dir, filepath.Base(left))); err == nil {
			t.Errorf("a refused command left %s", left)
		}
	}
	// bench used to measure, write the CSV, and only then refuse the plot.
	csv := filepath.Join(dir, "r.csv")
	if _, err := runCLI("bench", "--case", "conv:N=1,C=2,H=3", "--peak-gflops", "1", "--target", "1ms", "--out", csv, "--plot", filepath.Join(dir, "p.jpg")); err == nil {
		t.Error("bench accepted a .jpg plot")
	}
	if _, err := os.Stat(csv); err == nil {
		t.Error("bench measured and wrote its CSV before refusing --plot")
	}
}

// TestExplicitDataDirNoFallback: ntk with an explicit --data-dir that does
// not hold MNIST is an error, not random inputs with a warning.
func TestExplicitDataDirNoFallback(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nowhere")
	_, err := runCLI("ntk", "--quick", "--no-cache", "--data-dir", missing)
	if err == nil || !strings.Contains(err.Error(), "mnist inputs from --data-dir "+missing) {
		t.Fatalf("ntk --data-dir %s: %v", missing, err)
	}
}
