//go:build mpi

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/collegium/collegium/internal/imagetree"
	"github.com/collegium/collegium/internal/runlock"
)

// mpirun returns the command mpirun -np n bin args... as CI runs it.
func mpirun(n string, bin string, args ...string) *exec.Cmd {
	a := []string{"--oversubscribe", "-np", n}
	if os.Geteuid() == 0 {
		a = append(a, "--allow-run-as-root")
	}
	return exec.Command("mpirun", append(append(a, bin), args...)...)
}

type epochRecord struct {
	Epoch     int     `json:"epoch"`
	Step      int     `json:"step"`
	TrainLoss float64 `json:"train_loss"`
	TestLoss  float64 `json:"test_loss"`
	TestAcc   float64 `json:"test_acc"`
}

func readRecords(t *testing.T, dir string) []epochRecord {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []epochRecord
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r epochRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// TestTrainOverMPI is the CLI-level check of data-parallel training:
// `mpirun -np 2 collegium train` at global batch B trains as one process at
// batch B (float64, so the rounding of the two reductions is far below the
// tolerance), rank 0 alone writes the run, an interrupt (SIGINT to mpirun)
// in the middle of an epoch leaves a checkpoint that `mpirun -np 2
// collegium train --resume` continues to the uninterrupted run's metrics
// exactly, and a binary built without MPI refuses to run as one of 2 ranks.
func TestTrainOverMPI(t *testing.T) {
	if _, err := exec.LookPath("mpirun"); err != nil {
		t.Fatalf("mpirun not found (install openmpi-bin): %v", err)
	}
	tmp := t.TempDir()
	bin := cliBinary(t, "mpi")
	args := []string{"train", "--members", "2", "--width", "32", "--epochs", "2", "--dtype", "float64", "--batch-size", "100"}
	one, two, cut := filepath.Join(tmp, "one"), filepath.Join(tmp, "two"), filepath.Join(tmp, "cut")
	if out, err := exec.Command(bin, append(args, "--out", one)...).CombinedOutput(); err != nil {
		t.Fatalf("1 process: %v\n%s", err, out)
	}
	out, err := mpirun("2", bin, append(args, "--out", two)...).CombinedOutput()
	if err != nil {
		t.Fatalf("2 ranks: %v\n%s", err, out)
	}
	if n := strings.Count(string(out), "outputs in "+two); n != 1 {
		t.Errorf("%d ranks printed where the outputs went, want rank 0 alone:\n%s", n, out)
	}
	a, b := readRecords(t, one), readRecords(t, two)
	if len(a) != 2 || len(b) != 2 {
		t.Fatalf("epochs: 1 process %d, 2 ranks %d", len(a), len(b))
	}
	for i := range a {
		for _, v := range [][2]float64{{a[i].TrainLoss, b[i].TrainLoss}, {a[i].TestLoss, b[i].TestLoss}, {a[i].TestAcc, b[i].TestAcc}} {
			if d := (v[0] - v[1]) / v[0]; d > 1e-9 || d < -1e-9 || a[i].Step != b[i].Step {
				t.Errorf("epoch %d: 1 process %+v, 2 ranks %+v", i+1, a[i], b[i])
			}
		}
	}

	job := mpirun("2", bin, append(args, "--out", cut)...)
	var log bytes.Buffer
	job.Stdout, job.Stderr = &log, &log
	if err := job.Start(); err != nil {
		t.Fatal(err)
	}
	waitForFile(t, filepath.Join(cut, "train.log"), "epoch=2 ")
	if err := job.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	job.Wait()
	if !strings.Contains(log.String(), "interrupted: checkpoint saved in "+cut) {
		t.Fatalf("no checkpoint after SIGINT to mpirun:\n%s", log.String())
	}
	if out, err := mpirun("2", bin, "train", "--resume", cut).CombinedOutput(); err != nil {
		t.Fatalf("resume on 2 ranks: %v\n%s", err, out)
	}
	if c := readRecords(t, cut); len(c) != 2 || c[0] != b[0] || c[1] != b[1] {
		t.Errorf("interrupted and resumed: %+v\nuninterrupted: %+v", c, b)
	}

	plain := cliBinary(t, "")
	out, err = mpirun("2", plain, append(args, "--out", filepath.Join(tmp, "plain"))...).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "built without MPI") {
		t.Errorf("a binary without MPI under mpirun -np 2: %v\n%s", err, out)
	}
}

// TestMPIErrorsEndTheJob: an error that one rank meets ends the whole
// 2-rank job at once with a message, instead of leaving the other rank
// waiting in a collective: the run directory held by another process
// (rank 0 alone takes it; the ranks agree before loading data), a JPEG cut
// short in an ImageNet tree (met by the rank whose share holds it, in the
// middle of an epoch: MPI_Abort), and a global batch that the ranks cannot
// share (refused with the flags, before the data is looked for or the run
// directory created).
func TestMPIErrorsEndTheJob(t *testing.T) {
	tmp := t.TempDir()
	bin := cliBinary(t, "mpi")
	tiny := []string{"train", "--members", "2", "--width", "8", "--depth", "1", "--epochs", "1"}
	run := func(t *testing.T, args ...string) (string, error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		cmd := mpirun("2", bin, args...)
		out, err := exec.CommandContext(ctx, cmd.Path, cmd.Args[1:]...).CombinedOutput()
		if ctx.Err() != nil {
			t.Fatalf("mpirun -np 2 %v still running after 90 s (a rank waits for one that failed):\n%s", args, out)
		}
		return string(out), err
	}

	t.Run("run directory in use", func(t *testing.T) {
		held := filepath.Join(tmp, "held")
		if err := os.Mkdir(held, 0o755); err != nil {
			t.Fatal(err)
		}
		lock, err := runlock.Acquire(held)
		if err != nil {
			t.Fatal(err)
		}
		defer lock.Release()
		out, err := run(t, append(tiny, "--out", held)...)
		inUse := held + " is in use by process " + strconv.Itoa(os.Getpid())
		if err == nil || !strings.Contains(out, "collegium: run directory "+inUse) || !strings.Contains(out, "collegium: rank 0 failed (rank 0: run directory "+inUse) {
			t.Errorf("2 ranks on a run directory held by another process: %v\n%s", err, out)
		}
		if strings.Contains(out, "loading dataset") {
			t.Errorf("a rank loaded data after rank 0 failed to take the run directory:\n%s", out)
		}
	})

	t.Run("JPEG cut short", func(t *testing.T) {
		tree := filepath.Join(tmp, "tree")
		images, err := imagetree.Write(tree, imagetree.Tree{Classes: 3, Train: 4, Val: 1, Side: 10})
		if err != nil {
			t.Fatal(err)
		}
		cut := images[5]
		b, err := os.ReadFile(cut)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(cut, b[:len(b)/2], 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := run(t, append(tiny, "--dataset", "imagenet", "--data-dir", tree, "--image-size", "8", "--batch-size", "2", "--out", filepath.Join(tmp, "jpeg"))...)
		if err == nil || !regexp.MustCompile(`collegium: rank [01] of 2: training data: image loader: decode `+regexp.QuoteMeta(cut)+`: unexpected EOF`).MatchString(out) ||
			!strings.Contains(out, "MPI_Abort") {
			t.Errorf("2 ranks, a JPEG cut short: %v\n%s", err, out)
		}
	})

	t.Run("batch not divisible", func(t *testing.T) {
		// Refused with the flags, before the data is looked for: a
		// missing --data-dir would be the error otherwise.
		odd := filepath.Join(tmp, "odd")
		out, err := run(t, append(tiny, "--batch-size", "101", "--data-dir", filepath.Join(tmp, "nowhere"), "--out", odd)...)
		if err == nil || !strings.Contains(out, "batch_size 101 over 2 ranks: global batch not divisible by the number of ranks") {
			t.Errorf("batch 101 over 2 ranks: %v\n%s", err, out)
		}
		if _, err := os.Stat(odd); err == nil {
			t.Errorf("the refused run left %s", odd)
		}
	})
}
