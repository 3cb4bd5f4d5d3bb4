package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// finalRecord is the last line of a run's metrics.jsonl.
func finalRecord(t *testing.T, dir string) map[string]float64 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	var m map[string]float64
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestSweepCLI runs a 4-point sweep (2 learning rates × 2 seeds) 2 at a
// time, interrupts it with SIGINT, runs it again (the interrupted points
// resume, the finished ones are skipped) and checks that a resumed point
// ends where an uninterrupted `collegium train` of its config ends, that a
// third run skips everything, that the report's means and sds are those of
// the runs' final metrics, and that --executor slurm --dry-run writes the
// array of the pending points.
func TestSweepCLI(t *testing.T) {
	tmp := t.TempDir()
	bin := cliBinary(t, "")
	spec := filepath.Join(tmp, "sweep.yaml")
	text := "set:\n  model: {members: 2, width: 16, depth: 1}\n  epochs: 3\n  batch_size: 256\ngrid:\n  optimizer.lr: [0.05, 0.1]\n  seed: [1, 2]\n"
	if err := os.WriteFile(spec, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(tmp, "out")
	names := []string{"lr0.05-seed1", "lr0.05-seed2", "lr0.1-seed1", "lr0.1-seed2"}

	dry, err := exec.Command(bin, "sweep", spec, "--out", out, "--executor", "slurm", "--dry-run").CombinedOutput()
	if err != nil {
		t.Fatalf("dry run (MNIST comes from the Go module cache: go mod download): %v\n%s", err, dry)
	}
	script, err := os.ReadFile(filepath.Join(out, "sweep.sbatch"))
	if err != nil || !bytes.Contains(script, []byte("#SBATCH --array=0,1,2,3\n")) || !bytes.Contains(script, []byte(" sweep --out '"+out+"' --point \"$SLURM_ARRAY_TASK_ID\"\n")) {
		t.Fatalf("sbatch script (%v):\n%s", err, script)
	}

	first := exec.Command(bin, "sweep", spec, "--out", out, "--parallel", "2")
	var log bytes.Buffer
	first.Stdout, first.Stderr = &log, &log
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	waitForFile(t, filepath.Join(out, names[0], "train.log"), "epoch done")
	if err := first.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := first.Wait(); first.ProcessState.ExitCode() != 130 || !strings.Contains(log.String(), "interrupted by SIGINT") {
		t.Fatalf("interrupted sweep: %v, want exit status 130\n%s", err, log.String())
	}

	second, err := exec.Command(bin, "sweep", spec, "--out", out, "--parallel", "2").CombinedOutput()
	if err != nil {
		t.Fatalf("second sweep: %v\n%s", err, second)
	}
	resumed := regexp.MustCompile(`msg=resumed .*point=(\S+)`).FindAllStringSubmatch(string(second), -1)
	if len(resumed) == 0 || !strings.Contains(string(second), "4 points: ") {
		t.Fatalf("second sweep resumed nothing:\n%s", second)
	}
	// A resumed point ends as an uninterrupted run of its config.
	name := resumed[0][1]
	straight := filepath.Join(tmp, "straight")
	if o, err := exec.Command(bin, "train", "--config", filepath.Join(out, "configs", name+".yaml"), "--out", straight).CombinedOutput(); err != nil {
		t.Fatalf("straight run of %s: %v\n%s", name, err, o)
	}
	a, b := finalRecord(t, filepath.Join(out, name)), finalRecord(t, straight)
	for _, k := range []string{"step", "train_loss", "test_loss", "test_acc"} {
		if a[k] != b[k] {
			t.Errorf("%s resumed by the sweep: %s %v, uninterrupted %v", name, k, a[k], b[k])
		}
	}

	third, err := exec.Command(bin, "sweep", spec, "--out", out).CombinedOutput()
	if err != nil || !strings.Contains(string(third), "4 points: 0 started, 0 resumed, 4 skipped") {
		t.Errorf("third sweep: %v\n%s", err, third)
	}

	rep, err := exec.Command(bin, "report", out).CombinedOutput()
	if err != nil {
		t.Fatalf("report: %v\n%s", err, rep)
	}
	for _, f := range []string{"report.md", "report.csv", "report-curves.svg", "report-curves.png"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("report file %s: %v", f, err)
		}
	}
	rows := readCSV(t, filepath.Join(out, "report.csv"))
	if len(rows) != 3 || rows[1]["configuration"] != "lr0.05" || rows[2]["configuration"] != "lr0.1" {
		t.Fatalf("report.csv rows: %v", rows)
	}
	for i, group := range []string{"lr0.05", "lr0.1"} {
		x, y := finalRecord(t, filepath.Join(out, group+"-seed1")), finalRecord(t, filepath.Join(out, group+"-seed2"))
		mean := (x["test_acc"] + y["test_acc"]) / 2
		sd := math.Abs(x["test_acc"]-y["test_acc"]) / math.Sqrt2
		row := rows[i+1]
		if got := parse(t, row["test_acc_mean"]); math.Abs(got-mean) > 1e-12 {
			t.Errorf("%s: test_acc_mean %v, want %v", group, got, mean)
		}
		if got := parse(t, row["test_acc_sd"]); math.Abs(got-sd) > 1e-12 {
			t.Errorf("%s: test_acc_sd %v, want %v", group, got, sd)
		}
		if row["seeds_finished"] != "2" || row["settings"] != "optimizer.lr="+strings.TrimPrefix(group, "lr") {
			t.Errorf("%s: row %v", group, row)
		}
	}
	if !strings.Contains(string(rep), "| lr0.1-seed2 | 2 | 3 |") {
		t.Errorf("report lacks the per-run row of lr0.1-seed2:\n%s", rep)
	}
	done, err := exec.Command(bin, "sweep", spec, "--out", out, "--executor", "slurm", "--dry-run").CombinedOutput()
	if err != nil || !strings.Contains(string(done), "all 4 points") {
		t.Errorf("slurm dry run of a finished sweep: %v\n%s", err, done)
	}
	other := strings.Replace(text, "[1, 2]", "[1, 3]", 1)
	if err := os.WriteFile(spec, []byte(other), 0o644); err != nil {
		t.Fatal(err)
	}
	if o, err := exec.Command(bin, "sweep", spec, "--out", out).CombinedOutput(); err == nil || !strings.Contains(string(o), "holds another sweep") {
		t.Errorf("another spec into the same directory: %v\n%s", err, o)
	}
}

func readCSV(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(bufio.NewReader(f)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out := []map[string]string{nil}
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, k := range recs[0] {
			m[k] = r[i]
		}
		out = append(out, m)
	}
	return out
}

func parse(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// waitForFile waits until the file at path contains s.
func waitForFile(t *testing.T, path, s string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(path); err == nil && bytes.Contains(b, []byte(s)) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s never contained %q", path, s)
}
