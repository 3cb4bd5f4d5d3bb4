package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/collegium/collegium/internal/runlock"
)

// writeSpec writes a sweep spec into dir and returns its path.
func writeSpec(t *testing.T, dir, text string) string {
	t.Helper()
	path := filepath.Join(dir, "sweep.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// oneLongPoint is a sweep of one point ("run") of the tiny model that
// trains long enough (20 epochs, a few seconds) to be interrupted.
const oneLongPoint = "set:\n  model: {members: 2, width: 8, depth: 1}\n  epochs: 20\n"

// TestSweepSpecChangedCLI: a spec whose points keep their names but whose
// settings change is refused when run again into the same --out, naming
// the point and the setting; an array task (--point, no spec) trains the
// config frozen when the sweep was planned, not the spec as it is now.
func TestSweepSpecChangedCLI(t *testing.T) {
	work := t.TempDir()
	out := filepath.Join(work, "out")
	spec := writeSpec(t, work, "set:\n  model: {members: 2, width: 8, depth: 1}\n  epochs: 1\ngrid:\n  seed: [1, 2]\n")
	if p := runCLIProcess(t, work, "sweep", spec, "--out", out, "--executor", "slurm", "--dry-run"); p.code != 0 {
		t.Fatalf("planning the sweep: status %d\n%s", p.code, p)
	}
	writeSpec(t, work, "set:\n  model: {members: 2, width: 8, depth: 1}\n  epochs: 2\ngrid:\n  seed: [1, 2]\n")
	for _, args := range [][]string{{"--executor", "slurm", "--dry-run"}, {}} {
		p := runCLIProcess(t, work, append([]string{"sweep", spec, "--out", out}, args...)...)
		if p.code != 1 || !strings.Contains(p.stderr.String(), "was planned with another config for point seed1 (epochs 1 → 2)") {
			t.Errorf("sweep %v with a changed spec: status %d, want 1 naming point seed1 and epochs 1 → 2\n%s", args, p.code, p)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "seed1")); err == nil {
		t.Error("the refused sweep trained a point")
	}
	task := runCLIProcess(t, work, "sweep", "--out", out, "--point", "1")
	if task.code != 0 {
		t.Fatalf("array task of point 1: status %d\n%s", task.code, task)
	}
	cfg := readFile(t, filepath.Join(out, "seed2", "config.yaml"))
	if ck := readCheckpointJSON(t, filepath.Join(out, "seed2")); len(ck.History) != 1 || !strings.Contains(cfg, "\nepochs: 1\n") || !strings.Contains(cfg, "\nseed: 2\n") {
		t.Errorf("point seed2 trained %d epochs, want its frozen config's 1; config.yaml:\n%s", len(ck.History), cfg)
	}
}

// TestSweepInterruptCLI: SIGINT or SIGTERM to a local sweep stops its
// running point after a whole step with a checkpoint (one signal passed
// on, not two) and the sweep exits 130 or 143 as `collegium train` does;
// running the sweep again resumes the point and finishes it.
func TestSweepInterruptCLI(t *testing.T) {
	for _, c := range interruptSignals {
		t.Run(c.sig.String(), func(t *testing.T) {
			work := t.TempDir()
			out := filepath.Join(work, "out")
			spec := writeSpec(t, work, oneLongPoint)
			p := startCLI(t, work, "sweep", spec, "--out", out)
			waitForFile(t, filepath.Join(out, "run", "train.log"), `msg="epoch done"`)
			p.signal(t, c.sig)
			if code := p.wait(t, time.Minute); code != c.code {
				t.Fatalf("sweep: status %d after %v, want %d\n%s", code, c.sig, c.code, p)
			}
			if !strings.Contains(p.stderr.String(), "interrupted by "+signalName(c.sig)) {
				t.Errorf("the sweep's error does not name %v\n%s", c.sig, p)
			}
			if log := readFile(t, filepath.Join(out, "logs", "run.log")); !strings.Contains(log, "interrupted: checkpoint saved in") {
				t.Fatalf("the point was not stopped with a checkpoint:\n%s", log)
			}
			ck := readCheckpointJSON(t, filepath.Join(out, "run"))
			again := runCLIProcess(t, work, "sweep", spec, "--out", out)
			if again.code != 0 || !strings.Contains(again.stdout.String(), "1 points: 0 started, 1 resumed") ||
				len(readCheckpointJSON(t, filepath.Join(out, "run")).History) != 20 {
				t.Errorf("sweep again after %d epochs: status %d\n%s", ck.Epoch, again.code, again)
			}
		})
	}
}

// TestSweepSlurmSignalCLI: under Slurm (SLURM_JOB_ID set) an array task's
// training process gets the job step's SIGTERM itself, so `sweep --point`
// passes no signal on (a second one would end it before its checkpoint);
// the point checkpoints and the task exits 143.
func TestSweepSlurmSignalCLI(t *testing.T) {
	work := t.TempDir()
	out := filepath.Join(work, "out")
	spec := writeSpec(t, work, oneLongPoint)
	if p := runCLIProcess(t, work, "sweep", spec, "--out", out, "--executor", "slurm", "--dry-run"); p.code != 0 {
		t.Fatalf("planning the sweep: status %d\n%s", p.code, p)
	}
	t.Setenv("SLURM_JOB_ID", "1")
	p := startCLI(t, work, "sweep", "--out", out, "--point", "0")
	run := filepath.Join(out, "run")
	waitForFile(t, filepath.Join(run, "train.log"), `msg="epoch done"`)
	trainer := runlock.Holder(run)
	if trainer <= 0 || trainer == p.cmd.Process.Pid {
		t.Fatalf("training process of the task: PID %d", trainer)
	}
	// What Slurm does: SIGTERM to every process of the step.
	p.signal(t, syscall.SIGTERM)
	if err := syscall.Kill(trainer, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t, time.Minute); code != 143 {
		t.Fatalf("task: status %d, want 143\n%s", code, p)
	}
	if log := readFile(t, filepath.Join(out, "logs", "run.log")); !strings.Contains(log, "interrupted: checkpoint saved in") {
		t.Fatalf("the point was not stopped with a checkpoint:\n%s", log)
	}
}

// TestSweepLockCLI: a second sweep on a directory whose sweep is running is
// refused at once, naming the first's PID; when the first sweep is killed
// with SIGKILL its training process does not run on (the kernel kills it
// too), and its last checkpoint is there to resume from.
func TestSweepLockCLI(t *testing.T) {
	work := t.TempDir()
	out := filepath.Join(work, "out")
	// 500 epochs: a minute or more, far longer than the training process
	// may outlive its sweep.
	spec := writeSpec(t, work, strings.Replace(oneLongPoint, "epochs: 20", "epochs: 500", 1))
	first := startCLI(t, work, "sweep", spec, "--out", out)
	run := filepath.Join(out, "run")
	waitForFile(t, filepath.Join(run, "train.log"), `msg="epoch done"`)
	second := runCLIProcess(t, work, "sweep", spec, "--out", out)
	inUse := "sweep directory " + out + " is in use by process " + strconv.Itoa(first.cmd.Process.Pid)
	if second.code != 1 || !strings.Contains(second.stderr.String(), inUse) {
		t.Errorf("second sweep on %s: status %d, want 1 and %q\n%s", out, second.code, inUse, second)
	}
	trainer := runlock.Holder(run)
	if trainer <= 0 {
		t.Fatal("no training process holds the point's run directory")
	}
	first.signal(t, syscall.SIGKILL)
	first.wait(t, time.Minute)
	deadline := time.Now().Add(10 * time.Second)
	for alive(trainer) {
		if time.Now().After(deadline) {
			syscall.Kill(trainer, syscall.SIGKILL)
			t.Fatalf("training process %d still runs 10 s after its sweep was killed", trainer)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if ck := readCheckpointJSON(t, run); len(ck.History) == 0 {
		t.Error("the killed point has no checkpoint to resume from")
	}
}

// alive reports whether process pid exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	// The state follows the command name, which is in parentheses.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}
