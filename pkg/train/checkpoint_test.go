package train

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nlpodyssey/safetensors"
)

// TestCheckpointSafetensors reads a run's checkpoint back with an
// independent safetensors reader and checks names, dtypes, shapes and
// values against our own reader.
func TestCheckpointSafetensors(t *testing.T) {
	c := testConfig(t.TempDir())
	c.Epochs = 1
	c.Dtype = "float64"
	runOK(t, context.Background(), c, testOptions())
	ck, err := readCheckpoint(c.Out)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(c.Out, ck.Tensors)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := safetensors.Deserialize(raw)
	if err != nil {
		t.Fatalf("nlpodyssey/safetensors cannot read %s: %v", path, err)
	}
	ours, _, err := parseSafetensors(raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"fc0.weight", "fc1.bias", "readout.weight", "optimizer.fc0.weight.momentum_buffer"} {
		if !slices.Contains(st.Names(), name) {
			t.Errorf("checkpoint lacks %s (has %v)", name, st.Names())
		}
	}
	if st.Len() != len(ours) {
		t.Errorf("%d tensors, our reader saw %d", st.Len(), len(ours))
	}
	for _, v := range st.Tensors() {
		o := ours[v.Name]
		tv := v.TensorView
		if tv.DType().String() != "F64" || !slices.Equal(tv.Shape(), toU64(o.Shape)) || len(tv.Data()) != 8*len(o.F64) {
			t.Errorf("%s: %v %v %d bytes; ours %v, %d values", v.Name, tv.DType(), tv.Shape(), len(tv.Data()), o.Shape, len(o.F64))
		}
	}
	if ck.Epoch != 1 || ck.Step != 20 || ck.Loader.Epoch != 1 || ck.Loader.Batch != 0 {
		t.Errorf("checkpoint position: epoch %d step %d loader %+v", ck.Epoch, ck.Step, ck.Loader)
	}
	all, err := CheckpointTensors(c.Out)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(ours) {
		t.Errorf("CheckpointTensors: %d tensors, want %d", len(all), len(ours))
	}
	for name, o := range ours {
		if !slices.Equal(all[name], o.F64) {
			t.Errorf("CheckpointTensors: %s differs from the file", name)
		}
	}
	if _, err := CheckpointTensors(t.TempDir()); err == nil {
		t.Error("a directory without a checkpoint accepted")
	}
}

func toU64(s []int) []uint64 {
	out := make([]uint64, len(s))
	for i, v := range s {
		out[i] = uint64(v)
	}
	return out
}

// editCheckpointJSON rewrites dir's checkpoint.json through edit.
func editCheckpointJSON(t *testing.T, dir string, edit func(map[string]any)) {
	t.Helper()
	path := filepath.Join(dir, checkpointJSON)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	if b, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCheckpointRefusedOnLoad: a resume refuses a tensor file that is not
// the one checkpoint.json hashed (one flipped bit), tensors holding NaN
// (even correctly hashed), tensor paths outside the run directory and
// links; a checkpoint without a hash (an older Collegium's) loads with a
// warning.
func TestCheckpointRefusedOnLoad(t *testing.T) {
	c := testConfig(t.TempDir())
	c.Epochs = 1
	runOK(t, context.Background(), c, testOptions())
	pristine := t.TempDir()
	if err := os.CopyFS(pristine, os.DirFS(c.Out)); err != nil {
		t.Fatal(err)
	}
	ck, err := readCheckpoint(pristine)
	if err != nil {
		t.Fatal(err)
	}
	// The tensors are sorted by name: the file ends with the last value of
	// readout.weight, a float32.
	setLastValue := func(dir string, bits uint32, rehash bool) {
		path := filepath.Join(dir, ck.Tensors)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		binary.LittleEndian.PutUint32(b[len(b)-4:], bits)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if rehash {
			sum := sha256.Sum256(b)
			editCheckpointJSON(t, dir, func(m map[string]any) { m["tensors_sha256"] = hex.EncodeToString(sum[:]) })
		}
	}
	for _, tc := range []struct {
		name  string
		spoil func(dir string)
		want  string
	}{
		{"flipped bit", func(dir string) {
			path := filepath.Join(dir, ck.Tensors)
			b, _ := os.ReadFile(path)
			setLastValue(dir, binary.LittleEndian.Uint32(b[len(b)-4:])^1, false)
		}, "the file was changed or corrupted"},
		{"NaN, rehashed", func(dir string) { setLastValue(dir, 0x7fc00000, true) }, "tensor readout.weight holds NaN or Inf"},
		{"Inf, rehashed", func(dir string) { setLastValue(dir, 0x7f800000, true) }, "tensor readout.weight holds NaN or Inf"},
		{"outside the run", func(dir string) {
			editCheckpointJSON(t, dir, func(m map[string]any) { m["tensors"] = filepath.Join("..", filepath.Base(pristine), ck.Tensors) })
		}, "want the name of a .safetensors file in the run directory itself"},
		{"absolute path", func(dir string) {
			editCheckpointJSON(t, dir, func(m map[string]any) { m["tensors"] = filepath.Join(pristine, ck.Tensors) })
		}, "in the run directory itself"},
		{"symlink", func(dir string) {
			path := filepath.Join(dir, ck.Tensors)
			os.Remove(path)
			if err := os.Symlink(filepath.Join(pristine, ck.Tensors), path); err != nil {
				t.Fatal(err)
			}
		}, "is not a regular file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.CopyFS(dir, os.DirFS(pristine)); err != nil {
				t.Fatal(err)
			}
			tc.spoil(dir)
			rc := c
			rc.Out, rc.Epochs = dir, 2
			o := testOptions()
			o.Resume = true
			_, err := Run(context.Background(), rc, o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("resume: %v, want an error containing %q", err, tc.want)
			}
		})
	}
	t.Run("no hash", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.CopyFS(dir, os.DirFS(pristine)); err != nil {
			t.Fatal(err)
		}
		editCheckpointJSON(t, dir, func(m map[string]any) { delete(m, "tensors_sha256") })
		rc := c
		rc.Out, rc.Epochs = dir, 2
		o := testOptions()
		o.Resume = true
		var log strings.Builder
		o.Stderr = &log
		res := runOK(t, context.Background(), rc, o)
		if len(res.History) != 2 || !strings.Contains(log.String(), "has no tensors_sha256") {
			t.Errorf("%d epochs; log:\n%s", len(res.History), log.String())
		}
		if ck, err := readCheckpoint(dir); err != nil || len(ck.TensorsSHA256) != 64 {
			t.Errorf("the next checkpoint has no hash: %+v, %v", ck.TensorsSHA256, err)
		}
	})
}
