package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// tinyModel keeps process tests quick: a 2×8 MLP-CE, about 0.3 s an epoch.
var tinyModel = []string{"--members", "2", "--width", "8", "--depth", "1"}

func trainArgs(extra ...string) []string {
	return append(append([]string{"train"}, tinyModel...), extra...)
}

// TestRunDirectoryLockCLI: while a run is alive, a second run with the same
// --out (another model) and a --resume of it fail at once, naming the live
// run's PID; the live run is unharmed, and after it its config.yaml and
// checkpoint.json describe the same model.
func TestRunDirectoryLockCLI(t *testing.T) {
	work := t.TempDir()
	out := filepath.Join(work, "run")
	a := startCLI(t, work, trainArgs("--epochs", "500", "--out", out)...)
	a.waitForStderr(t, `msg="epoch done"`, 2*time.Minute)
	pid := strconv.Itoa(a.cmd.Process.Pid)
	for _, args := range [][]string{
		{"train", "--out", out, "--members", "8", "--width", "8", "--depth", "1", "--epochs", "1"},
		{"train", "--resume", out},
	} {
		b := runCLIProcess(t, work, args...)
		if b.code != 1 || !strings.Contains(b.stderr.String(), out+" is in use by process "+pid) {
			t.Errorf("%v while run %s is alive: status %d, want 1 and an error naming PID %s\n%s", args, pid, b.code, pid, b)
		}
		if strings.Contains(b.stderr.String(), "loading dataset") {
			t.Errorf("%v loaded data before finding the run directory taken", args)
		}
	}
	a.signal(t, syscall.SIGINT)
	if code := a.wait(t, time.Minute); code != 130 {
		t.Fatalf("interrupted run: status %d, want 130\n%s", code, a)
	}
	ck := readCheckpointJSON(t, out)
	cfg := readFile(t, filepath.Join(out, "config.yaml"))
	if ck.Config.Model.Members != 2 || !strings.Contains(cfg, "members: 2\n") {
		t.Errorf("checkpoint.json has %d members, config.yaml:\n%s", ck.Config.Model.Members, cfg)
	}
}

// TestDefaultRunNamesCLI: two runs without --out started in the same second
// get a directory each.
func TestDefaultRunNamesCLI(t *testing.T) {
	work := t.TempDir()
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
	a := startCLI(t, work, trainArgs("--epochs", "1")...)
	b := startCLI(t, work, trainArgs("--epochs", "1")...)
	for _, p := range []*proc{a, b} {
		if code := p.wait(t, 3*time.Minute); code != 0 {
			t.Fatalf("default run: status %d\n%s", code, p)
		}
	}
	runs, err := os.ReadDir(filepath.Join(work, "runs"))
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 {
		t.Fatalf("runs/ holds %d directories, want one per run\n%s\n%s", len(runs), a, b)
	}
	for _, r := range runs {
		if ck := readCheckpointJSON(t, filepath.Join(work, "runs", r.Name())); len(ck.History) != 1 {
			t.Errorf("runs/%s: %d epochs recorded, want 1", r.Name(), len(ck.History))
		}
	}
}

// TestInterruptExitCodesCLI: SIGINT and SIGTERM stop a run after a whole
// step with a checkpoint, and the process exits 130 or 143 (as a shell
// reports a process the signal killed), never 0; the checkpoint resumes.
func TestInterruptExitCodesCLI(t *testing.T) {
	for _, c := range interruptSignals {
		t.Run(c.sig.String(), func(t *testing.T) {
			work := t.TempDir()
			out := filepath.Join(work, "run")
			p := startCLI(t, work, trainArgs("--epochs", "500", "--out", out)...)
			p.waitForStderr(t, "msg=training", 2*time.Minute)
			p.signal(t, c.sig)
			if code := p.wait(t, time.Minute); code != c.code {
				t.Fatalf("status %d after %v, want %d\n%s", code, c.sig, c.code, p)
			}
			if !strings.Contains(p.stdout.String(), "interrupted: checkpoint saved in "+out) {
				t.Errorf("no resume hint on stdout\n%s", p)
			}
			ck := readCheckpointJSON(t, out)
			more := strconv.Itoa(ck.Epoch + 1)
			r := runCLIProcess(t, work, "train", "--resume", out, "--epochs", more)
			if r.code != 0 || len(readCheckpointJSON(t, out).History) != ck.Epoch+1 {
				t.Errorf("resume to %s epochs: status %d\n%s", more, r.code, r)
			}
		})
	}
}

// TestInterruptWhileLoadingDataCLI: a signal while the data is being read
// (here a named pipe that never delivers) ends the run at once as an
// interruption, exit 130, said on stderr and in train.log, not as a
// missing or broken dataset.
func TestInterruptWhileLoadingDataCLI(t *testing.T) {
	work := t.TempDir()
	data, out := filepath.Join(work, "data"), filepath.Join(work, "run")
	fifo := filepath.Join(data, "mnist", "train-images-idx3-ubyte")
	if err := os.MkdirAll(filepath.Dir(fifo), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	p := startCLI(t, work, trainArgs("--data-dir", data, "--out", out)...)
	// Opening a pipe's write end without blocking succeeds only once a
	// reader has it open: then the run is stuck reading its data.
	var w int
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		fd, err := syscall.Open(fifo, syscall.O_WRONLY|syscall.O_NONBLOCK, 0)
		if err == nil {
			w = fd
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the run never opened its data: %v\n%s", err, p)
		}
	}
	defer syscall.Close(w)
	p.signal(t, syscall.SIGINT)
	if code := p.wait(t, 30*time.Second); code != 130 {
		t.Fatalf("status %d, want 130\n%s", code, p)
	}
	const want = "loading data: interrupted by SIGINT"
	if !strings.Contains(p.stderr.String(), want) || !strings.Contains(readFile(t, filepath.Join(out, "train.log")), want) {
		t.Errorf("stderr and train.log should say %q\n%s", want, p)
	}
}

// TestFatalErrorInTrainLogCLI: the error that ends a run is in its
// train.log, not only on the terminal.
func TestFatalErrorInTrainLogCLI(t *testing.T) {
	work := t.TempDir()
	data, out := filepath.Join(work, "data"), filepath.Join(work, "run")
	if err := os.MkdirAll(filepath.Join(data, "mnist"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "mnist", "train-images-idx3-ubyte"), []byte{0, 0, 8}, 0o644); err != nil {
		t.Fatal(err)
	}
	p := runCLIProcess(t, work, trainArgs("--data-dir", data, "--out", out)...)
	log := readFile(t, filepath.Join(out, "train.log"))
	if p.code != 1 || !strings.Contains(log, "run failed") || !strings.Contains(log, "malformed IDX file") {
		t.Errorf("status %d; train.log:\n%s\n%s", p.code, log, p)
	}
}

// TestRefusedRunLeavesNoDirectoryCLI: a run refused for a bad flag, config,
// dataset or device creates no run directory.
func TestRefusedRunLeavesNoDirectoryCLI(t *testing.T) {
	work := t.TempDir()
	for _, args := range [][]string{
		{"train", "--tf32"},
		{"train", "--device", "cuda:0"},
		{"train", "--device", "tpu"},
		{"train", "--lr", "NaN"},
		{"train", "--epochs", "0"},
		{"train", "--dataset", "imagenet"},
		{"train", "--dataset", "cifar10", "--data-dir", filepath.Join(work, "nowhere")},
		{"train", "--data-dir", filepath.Join(work, "nowhere"), "--out", filepath.Join(work, "run")},
	} {
		p := runCLIProcess(t, work, args...)
		if p.code != 1 {
			t.Errorf("%v: status %d, want 1\n%s", args, p.code, p)
		}
		for _, d := range []string{"runs", "run"} {
			if _, err := os.Stat(filepath.Join(work, d)); err == nil {
				t.Fatalf("%v was refused but left %s/\n%s", args, d, p)
			}
		}
	}
}

// savedCheckpoint is the part of checkpoint.json the process tests read.
type savedCheckpoint struct {
	Epoch  int `json:"epoch"`
	Config struct {
		Model struct {
			Members int `json:"members"`
		} `json:"model"`
		Optimizer struct {
			LR float64 `json:"lr"`
		} `json:"optimizer"`
	} `json:"config"`
	History   []json.RawMessage `json:"history"`
	Overrides []struct {
		Key       string `json:"key"`
		Old       string `json:"old"`
		New       string `json:"new"`
		FromEpoch int    `json:"from_epoch"`
	} `json:"overrides"`
}

func readCheckpointJSON(t *testing.T, dir string) savedCheckpoint {
	t.Helper()
	var ck savedCheckpoint
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(dir, "checkpoint.json"))), &ck); err != nil {
		t.Fatal(err)
	}
	return ck
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestResumeOverridesCLI: --resume refuses flags that change the model or
// the data before loading anything, leaving the run as it was; a resume
// that fails later (it diverges) leaves config.yaml and checkpoint.json as
// they were; allowed changes are recorded from the epoch they apply.
func TestResumeOverridesCLI(t *testing.T) {
	work := t.TempDir()
	out := filepath.Join(work, "run")
	if p := runCLIProcess(t, work, trainArgs("--epochs", "1", "--out", out)...); p.code != 0 {
		t.Fatalf("status %d\n%s", p.code, p)
	}
	files := func() string {
		return readFile(t, filepath.Join(out, "config.yaml")) + readFile(t, filepath.Join(out, "checkpoint.json"))
	}
	before := files()
	for _, flags := range [][]string{
		{"--members", "4"}, {"--aggregation", "sqrt"}, {"--parameterization", "ntk"}, {"--dataset", "fashion-mnist"},
		{"--seed", "2"}, {"--batch-size", "64"}, {"--dtype", "float64"}, {"--optimizer", "adam"},
	} {
		p := runCLIProcess(t, work, append([]string{"train", "--resume", out}, flags...)...)
		if p.code != 1 || !strings.Contains(p.stderr.String(), "cannot change when a run is resumed") || strings.Contains(p.stderr.String(), "loading dataset") {
			t.Errorf("resume %v: status %d\n%s", flags, p.code, p)
		}
	}
	p := runCLIProcess(t, work, "train", "--resume", out, "--epochs", "2", "--lr", "1e12", "--momentum", "0")
	if p.code != 1 || !strings.Contains(p.stderr.String(), "loss is not finite") {
		t.Fatalf("diverging resume: status %d\n%s", p.code, p)
	}
	if files() != before {
		t.Fatal("refused or failed resumes changed config.yaml or checkpoint.json")
	}
	if p := runCLIProcess(t, work, "train", "--resume", out, "--epochs", "2", "--lr", "0.05"); p.code != 0 {
		t.Fatalf("status %d\n%s", p.code, p)
	}
	ck := readCheckpointJSON(t, out)
	if len(ck.Overrides) != 2 || ck.Overrides[1].Key != "optimizer.lr" || ck.Overrides[1].New != "0.05" || ck.Overrides[1].FromEpoch != 2 ||
		!strings.Contains(readFile(t, filepath.Join(out, "config.yaml")), "#   optimizer.lr 0.1 → 0.05 from epoch 2") {
		t.Errorf("overrides %+v\nconfig.yaml:\n%s", ck.Overrides, readFile(t, filepath.Join(out, "config.yaml")))
	}
}
