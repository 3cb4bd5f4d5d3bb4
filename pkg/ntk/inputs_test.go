package ntk

import (
	"context"
	"encoding/json"
	"slices"
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
// dataset's image size get its images, and the source changes the cache key
// while random inputs keep the key they had before sources existed.
func TestMeasurementUsesDataOfItsSize(t *testing.T) {
	cfg := ScanConfig{Samples: 2, Inputs: 3, InputSeed: 1, Data: tinyDataset(10)}
	fit := measurement("net", 4, cfg)
	other := measurement("net", 9, cfg)
	if fit.Inputs.Data == nil || fit.Inputs.Source != "mnist/test" {
		t.Errorf("input size 4: inputs %+v, want the dataset", fit.Inputs)
	}
	if other.Inputs.Data != nil || other.Inputs.Source != "" {
		t.Errorf("input size 9: inputs %+v, want random", other.Inputs)
	}
	random := measurement("net", 4, ScanConfig{Samples: 2, Inputs: 3, InputSeed: 1})
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
		Samples int    `json:"samples"`
		Seed    uint64 `json:"seed"`
	}{Network: "net", Samples: 2}
	old.Inputs.Count, old.Inputs.Size, old.Inputs.Seed = 3, 4, 1
	b1, _ := json.Marshal(random)
	b2, _ := json.Marshal(old)
	if string(b1) != string(b2) {
		t.Errorf("random-input key changed: %s, was %s", b1, b2)
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
	if ds, err := LoadInputData(ctx, RandomSource, string(models.MLP), "mnist", ""); ds != nil || err != nil {
		t.Errorf("random: %v, %v", ds, err)
	}
	if _, err := LoadInputData(ctx, MNISTSource, string(models.ResNeXt29), "cifar10", ""); err == nil {
		t.Error("mnist inputs for resnext29 accepted")
	}
	if _, err := LoadInputData(ctx, "imagenet", string(models.MLP), "mnist", ""); err == nil {
		t.Error("unknown source accepted")
	}
	if ds, err := LoadInputData(ctx, "", string(models.ResNeXt50), "imagenet", ""); ds != nil || err != nil {
		t.Errorf("automatic inputs for resnext50: %v, %v", ds, err)
	}
}
