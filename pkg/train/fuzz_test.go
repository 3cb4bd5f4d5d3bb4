package train

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"testing"
)

func safetensorsBytes(t testing.TB, tensors []hostTensor, meta map[string]string) []byte {
	var b bytes.Buffer
	if err := writeSafetensors(&b, tensors, meta); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// FuzzSafetensors: whatever parseSafetensors accepts holds exactly the
// values its shapes promise and survives a write and a second read
// unchanged, bit for bit.
func FuzzSafetensors(f *testing.F) {
	good := safetensorsBytes(f, []hostTensor{
		{Name: "fc0.weight", Shape: []int{2, 3}, F32: []float32{1, -2, 3, 4, 5, float32(math.Inf(1))}},
		{Name: "fc0.bias", Shape: []int{2}, F64: []float64{0.5, -0.25}},
		{Name: "scalar", Shape: []int{}, F32: []float32{7}},
		{Name: "empty", Shape: []int{0, 4}, F32: []float32{}},
	}, map[string]string{"format": "pt"})
	if _, _, err := parseSafetensors(good); err != nil {
		f.Fatalf("the seed file does not parse: %v", err)
	}
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add(append(bytes.Clone(good), 0))
	hdr := []byte(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`)
	dup := binary.LittleEndian.AppendUint64(nil, uint64(len(hdr)))
	f.Add(append(append(dup, hdr...), 0, 0, 0, 0))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 2048 {
			return // keeps minimising new inputs quick (see FuzzCIFAR)
		}
		tensors, meta, err := parseSafetensors(b)
		if err != nil {
			return
		}
		var list []hostTensor
		for name, ts := range tensors {
			n := 1
			for _, d := range ts.Shape {
				n *= d
			}
			if ts.Name != name || len(ts.F32)+len(ts.F64) != n || (ts.F32 == nil) == (ts.F64 == nil) {
				t.Fatalf("tensor %s: shape %v with %d+%d values", name, ts.Shape, len(ts.F32), len(ts.F64))
			}
			list = append(list, ts)
		}
		again, meta2, err := parseSafetensors(safetensorsBytes(t, list, meta))
		if err != nil {
			t.Fatalf("our own rewrite does not parse: %v", err)
		}
		if len(again) != len(tensors) || len(meta2) != len(meta) {
			t.Fatalf("rewrite has %d tensors and %d metadata keys, want %d and %d", len(again), len(meta2), len(tensors), len(meta))
		}
		for name, a := range tensors {
			b := again[name]
			if !sameBits(a, b) {
				t.Fatalf("tensor %s changed in a rewrite", name)
			}
		}
	})
}

func sameBits(a, b hostTensor) bool {
	if len(a.F32) != len(b.F32) || len(a.F64) != len(b.F64) || len(a.Shape) != len(b.Shape) {
		return false
	}
	for i := range a.Shape {
		if a.Shape[i] != b.Shape[i] {
			return false
		}
	}
	for i := range a.F32 {
		if math.Float32bits(a.F32[i]) != math.Float32bits(b.F32[i]) {
			return false
		}
	}
	for i := range a.F64 {
		if math.Float64bits(a.F64[i]) != math.Float64bits(b.F64[i]) {
			return false
		}
	}
	return true
}

// FuzzCheckpoint: whatever parseCheckpoint accepts keeps its tensors inside
// the run directory, is internally consistent, and reads back the same
// after being written again.
func FuzzCheckpoint(f *testing.F) {
	ck := checkpoint{
		Tensors: "checkpoint-00000020.safetensors", TensorsSHA256: "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
		Config: testConfig("runs/x"), Epoch: 1, Step: 25, EpochSteps: 5, EpochLossSum: 3.5, EpochTrainS: 0.25, WallS: 2,
		History:   []Metrics{{Epoch: 1, Step: 20, TrainLoss: 0.5, TestAcc: 0.9}},
		Overrides: []Override{{Key: "optimizer.lr", Old: "0.1", New: "0.05", FromEpoch: 2, FromStep: 21}},
	}
	ck.Loader.Seed, ck.Loader.BatchSize, ck.Loader.Epoch, ck.Loader.Batch = ck.Config.Seed, ck.Config.BatchSize, 1, 5
	good, err := json.Marshal(ck)
	if err != nil {
		f.Fatal(err)
	}
	if _, err := parseCheckpoint(good); err != nil {
		f.Fatalf("the seed checkpoint does not parse: %v", err)
	}
	f.Add(good)
	f.Add(bytes.Replace(good, []byte(`"checkpoint-00000020`), []byte(`"../other/checkpoint-00000020`), 1))
	f.Add(bytes.Replace(good, []byte(`"epoch":1`), []byte(`"epoch":1.5`), 1))
	f.Add(append(bytes.Clone(good), good...))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 4096 {
			return // keeps minimising new inputs quick (see FuzzCIFAR)
		}
		ck, err := parseCheckpoint(b)
		if err != nil {
			return
		}
		if checkTensorName(ck.Tensors) != nil || ck.Config.Validate() != nil || len(ck.History) != ck.Epoch || ck.EpochSteps > ck.Step {
			t.Fatalf("accepted an inconsistent checkpoint: %+v", ck)
		}
		once, err := json.Marshal(ck)
		if err != nil {
			t.Fatal(err)
		}
		back, err := parseCheckpoint(once)
		if err != nil {
			t.Fatalf("our own encoding does not parse: %v\n%s", err, once)
		}
		twice, _ := json.Marshal(back)
		if !bytes.Equal(once, twice) {
			t.Fatalf("a write and read changed the checkpoint:\n%s\n%s", once, twice)
		}
	})
}
