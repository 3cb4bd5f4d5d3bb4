package ntk

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/collegium/collegium/datasets"
	"github.com/collegium/collegium/pkg/models"
)

// tinyDataset is a 2×2 single-channel dataset whose image i holds the values
// i, i+0.25, i+0.5, i+0.75.
func tinyDataset(images int) *datasets.Dataset {
	ds := &datasets.Dataset{Name: "mnist", Split: datasets.Test, Channels: 1, Height: 2, Width: 2, Classes: 10}
	for i := range images {
		ds.Images = append(ds.Images, float32(i), float32(i)+0.25, float32(i)+0.5, float32(i)+0.75)
		ds.Labels = append(ds.Labels, i%10)
	}
	return ds
}

func TestDataInputsAreASeededSubset(t *testing.T) {
	ds := tinyDataset(50)
	a, err := DataInputs(ds, 5, 3)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := DataInputs(ds, 5, 3)
	c, _ := DataInputs(ds, 5, 4)
	seen := map[float64]bool{}
	for i := range a {
		if !slices.Equal(a[i], b[i]) {
			t.Fatalf("input %d differs for the same seed", i)
		}
		img := int(a[i][0])
		if want := []float64{float64(img), float64(img) + 0.25, float64(img) + 0.5, float64(img) + 0.75}; !slices.Equal(a[i], want) {
			t.Errorf("input %d = %v, not an image of the dataset", i, a[i])
		}
		if seen[a[i][0]] {
			t.Errorf("image %d drawn twice", img)
		}
		seen[a[i][0]] = true
	}
	if slices.Equal(a[0], c[0]) && slices.Equal(a[1], c[1]) {
		t.Error("another seed chose the same images")
	}
	if _, err := DataInputs(ds, 51, 1); err == nil {
		t.Error("more inputs than images accepted")
	}
}

// TestMeasurementUsesDataOfItsSize: only networks whose input has the
// dataset's image size get its images, and the source changes the cache
// key; float64 and eval-mode measurements of random inputs keep the key
// fields they had before sources, precisions and BN modes existed.
func TestMeasurementUsesDataOfItsSize(t *testing.T) {
	cfg := ScanConfig{Inputs: 3, InputSeed: 1, Data: tinyDataset(10)}
	fit := measurement("net", 4, cfg)
	other := measurement("net", 9, cfg)
	if fit.Inputs.Data == nil || fit.Inputs.Source != "mnist/test" {
		t.Errorf("input size 4: inputs %+v, want the dataset", fit.Inputs)
	}
	if other.Inputs.Data != nil || other.Inputs.Source != "" {
		t.Errorf("input size 9: inputs %+v, want random", other.Inputs)
	}
	random := measurement("net", 4, ScanConfig{Inputs: 3, InputSeed: 1, Precision: Float64})
	c := Cache{Dir: t.TempDir()}
	p1, _ := c.path(fit)
	p2, _ := c.path(random)
	if p1 == p2 {
		t.Error("dataset and random inputs share a cache key")
	}
	old := struct {
		Network any    `json:"network"`
		Output  Output `json:"output"`
		Inputs  struct {
			Count int    `json:"count"`
			Size  int    `json:"size"`
			Seed  uint64 `json:"seed"`
		} `json:"inputs"`
		Seed uint64 `json:"seed"`
	}{Network: "net"}
	old.Inputs.Count, old.Inputs.Size, old.Inputs.Seed = 3, 4, 1
	b1, _ := json.Marshal(random)
	b2, _ := json.Marshal(old)
	if string(b1) != string(b2) {
		t.Errorf("random-input key changed: %s, was %s", b1, b2)
	}
	for _, other := range []ScanConfig{{Inputs: 3, InputSeed: 1, Precision: Float32}, {Inputs: 3, InputSeed: 1, BatchStats: true}} {
		if p, _ := c.path(measurement("net", 4, other)); p == p2 {
			t.Errorf("%+v shares the float64 eval-mode key", other)
		}
	}
	vals, err := fit.Inputs.Values()
	if err != nil || len(vals) != 3 || len(vals[0]) != 4 {
		t.Errorf("dataset inputs: %v, %v", vals, err)
	}
	if got := cfg.InputsLabel(9); got != "3 random N(0, 1) inputs" {
		t.Errorf("label %q", got)
	}
}

func TestLoadInputDataRejectsMismatch(t *testing.T) {
	ctx := context.Background()
	mnist := models.Input{Channels: 1, Height: 28, Width: 28}
	cifar := models.Input{Channels: 3, Height: 32, Width: 32}
	if ds, err := LoadInputData(ctx, RandomSource, mnist, "", nil); ds != nil || err != nil {
		t.Errorf("random: %v, %v", ds, err)
	}
	for _, src := range []string{MNISTSource, FashionMNISTSource} {
		if _, err := LoadInputData(ctx, src, cifar, "", nil); err == nil {
			t.Errorf("%s inputs for a 3×32×32 network accepted", src)
		}
	}
	if _, err := LoadInputData(ctx, "imagenet", mnist, "", nil); err == nil {
		t.Error("unknown source accepted")
	}
	if ds, err := LoadInputData(ctx, AutoSource, models.Input{Channels: 3, Height: 64, Width: 64}, "", nil); ds != nil || err != nil {
		t.Errorf("automatic inputs for a 3×64×64 network: %v, %v", ds, err)
	}
	if _, err := LoadInputData(ctx, "", mnist, "", nil); err == nil || !strings.Contains(err.Error(), "no inputs named") {
		t.Errorf("unnamed inputs: %v, want the caller told to name them", err)
	}
}

// TestLoadInputDataFromDirectory: a directory of CIFAR-10 batches serves a
// 3×32×32 network and names itself in the key; a directory of images
// serves any square RGB network at its size; mismatched shapes are refused.
func TestLoadInputDataFromDirectory(t *testing.T) {
	ctx := context.Background()
	cifar := t.TempDir()
	rec := make([]byte, 20*3073)
	for i := range rec {
		rec[i] = byte(i * 7)
	}
	for r := range 20 {
		rec[r*3073] = byte(r % 10)
	}
	if err := os.WriteFile(filepath.Join(cifar, "test_batch.bin"), rec, 0o644); err != nil {
		t.Fatal(err)
	}
	in32 := models.Input{Channels: 3, Height: 32, Width: 32}
	if _, err := LoadInputData(ctx, cifar, in32, "", nil); err == nil || !strings.Contains(err.Error(), "not the official file") {
		t.Errorf("a 20-record test_batch.bin read as CIFAR-10's: %v", err)
	}
	// The same file under a spec that describes it (20 records, its MD5).
	sum := md5.Sum(rec)
	tiny := func(name string) (datasets.Spec, error) {
		spec, err := datasets.Lookup(name)
		spec.Test = slices.Clone(spec.Test)
		spec.Test[0].Records, spec.Test[0].MD5 = 20, hex.EncodeToString(sum[:])
		return spec, err
	}
	ds, err := loadInputDir(cifar, in32, tiny)
	if err != nil || ds.Len() != 20 || ds.ImageSize() != 3072 {
		t.Fatalf("cifar directory: %v, %v", ds, err)
	}
	m := measurement("net", 3072, ScanConfig{Inputs: 4, InputSeed: 1, Data: ds})
	if m.Inputs.Source != "cifar10/test" {
		t.Errorf("cifar source %q", m.Inputs.Source)
	}
	if _, err := LoadInputData(ctx, cifar, models.Input{Channels: 3, Height: 64, Width: 64}, "", nil); err == nil {
		t.Error("cifar inputs for a 64×64 network accepted")
	}
	imgs := t.TempDir()
	img := image.NewRGBA(image.Rect(0, 0, 80, 70))
	f, err := os.Create(filepath.Join(imgs, "x.png"))
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	f.Close()
	ds, err = LoadInputData(ctx, imgs, models.Input{Channels: 3, Height: 64, Width: 64}, "", nil)
	if err != nil || ds.ImageSize() != 3*64*64 || !strings.HasPrefix(ds.Name, "images:/") {
		t.Fatalf("image directory: %+v, %v", ds, err)
	}
	if _, err := LoadInputData(ctx, imgs, models.Input{Channels: 1, Height: 28, Width: 28}, "", nil); err == nil {
		t.Error("image inputs for a grey 28×28 network accepted")
	}
	if _, err := LoadInputData(ctx, filepath.Join(imgs, "missing"), in32, "", nil); err == nil {
		t.Error("missing directory accepted")
	}
}
