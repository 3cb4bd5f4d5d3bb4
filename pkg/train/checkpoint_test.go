package train

import (
	"context"
	"os"
	"path/filepath"
	"slices"
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
	ours, _, err := readSafetensors(path)
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
