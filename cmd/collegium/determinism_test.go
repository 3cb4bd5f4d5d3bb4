package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestTrainRunsAreIdentical trains the ConvNet-CE of configs/convnet-mnist.yaml
// for one short epoch in two processes of the same binary, one with
// GOMAXPROCS=1 and one with GOMAXPROCS=2 (so the CPU device splits its work
// differently), and requires identical run files: metrics.jsonl line by line
// byte for byte once the two timing fields (images_per_s, wall_s) are taken
// out, and the checkpoint's tensors byte for byte.
func TestTrainRunsAreIdentical(t *testing.T) {
	dir := t.TempDir()
	bin := cliBinary(t, "")
	var runs [2]string
	for i, procs := range []string{"1", "2"} {
		runs[i] = filepath.Join(dir, "run"+procs)
		cmd := exec.Command(bin, "train", "--config", "../../configs/convnet-mnist.yaml", "--epochs", "1",
			"--train-limit", "640", "--test-limit", "500", "--out", runs[i])
		cmd.Env = append(os.Environ(), "GOMAXPROCS="+procs, "COLLEGIUM_DATA=")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("GOMAXPROCS=%s: %v\n%s", procs, err, out)
		}
	}
	metrics := [2][]byte{}
	for i, r := range runs {
		metrics[i] = withoutTimings(t, filepath.Join(r, "metrics.jsonl"))
	}
	if !bytes.Equal(metrics[0], metrics[1]) {
		t.Errorf("metrics.jsonl differ:\n%s\n%s", metrics[0], metrics[1])
	}
	a, b := checkpointTensors(t, runs[0]), checkpointTensors(t, runs[1])
	if !bytes.Equal(a, b) {
		t.Errorf("checkpoint tensors differ (%d and %d bytes)", len(a), len(b))
	}
}

// withoutTimings returns the lines of a metrics.jsonl with the keys
// "images_per_s" and "wall_s" removed, the rest of each line as written.
func withoutTimings(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	for _, line := range bytes.SplitAfter(b, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(line, &fields); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for _, k := range []string{"images_per_s", "wall_s"} {
			v, ok := fields[k]
			if !ok {
				t.Fatalf("%s: no %s in %s", path, k, line)
			}
			line = bytes.Replace(line, []byte(`,"`+k+`":`+string(v)), nil, 1)
		}
		out = append(out, line...)
	}
	return out
}

// checkpointTensors returns the bytes of the safetensors file that a run's
// checkpoint.json names.
func checkpointTensors(t *testing.T, run string) []byte {
	t.Helper()
	var ck struct {
		Tensors string `json:"tensors"`
	}
	b, err := os.ReadFile(filepath.Join(run, "checkpoint.json"))
	if err == nil {
		err = json.Unmarshal(b, &ck)
	}
	if err != nil {
		t.Fatal(err)
	}
	tensors, err := os.ReadFile(filepath.Join(run, ck.Tensors))
	if err != nil {
		t.Fatal(err)
	}
	return tensors
}
