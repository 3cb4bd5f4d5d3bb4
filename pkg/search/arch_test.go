package search

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/collegium/collegium/pkg/models"
	"github.com/collegium/collegium/pkg/ntk"
)

func TestArchitectureParamsAreExact(t *testing.T) {
	a, err := NewArchitecture("resnext50", "imagenet", 0)
	if err != nil {
		t.Fatal(err)
	}
	// torchvision's ResNeXt-50 32×4d and ResNet-50 (= 1×64d).
	for _, c := range []struct{ m, n, want int }{{32, 4, 25028904}, {1, 64, 25557032}} {
		got, err := a.Params(c.m, c.n)
		if err != nil || got != c.want {
			t.Errorf("resnext50 %dx%dd: %d params (%v), want %d", c.m, c.n, got, err, c.want)
		}
	}
	for _, bad := range [][2]string{{"vgg", "cifar10"}, {"mlp", "svhn"}} {
		if _, err := NewArchitecture(bad[0], bad[1], 0); !errors.Is(err, ErrUnknown) {
			t.Errorf("%v: err %v", bad, err)
		}
	}
}

// TestDoUsesCache runs a tiny MLP search twice on one cache: the second is
// read from disk and identical.
func TestDoUsesCache(t *testing.T) {
	dir := t.TempDir()
	req := Request{
		Family: "mlp", Dataset: "mnist", Baseline: "1x64d", Objective: Primal, Depth: 1, MaxM: 8,
		Scan: ntk.ScanConfig{Samples: 3, Seed: 1, Inputs: 2, InputSeed: 1, Cache: ntk.Cache{Dir: dir}},
	}
	first, err := Do(req)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	second, err := Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("cached search took %v", d)
	}
	if first.Result.Ranked[0] != second.Result.Ranked[0] || first.V1.Fits[0].Params[0] != second.V1.Fits[0].Params[0] {
		t.Errorf("cached search differs: %+v vs %+v", first.Result.Ranked[0], second.Result.Ranked[0])
	}
	base := models.Spec{Family: models.MLP, Members: 1, Width: 64, Depth: 1, Classes: 10, Input: models.Input{Channels: 1, Height: 28, Width: 28}}
	if p, _ := models.ParamCount(base); first.Result.Baseline.Params != p {
		t.Errorf("baseline params %d, want %d", first.Result.Baseline.Params, p)
	}
	out := filepath.Join(dir, "out")
	if err := first.WriteFiles(out, 5); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"search.txt", "search.csv", "search.jsonl", "v1.md", "frontier.svg", "frontier.png"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	v, err := first.V1.WithLaw(ntk.InverseWidth.Name)
	if err != nil || v.Fits[0].Law != ntk.InverseWidth.Name || len(v.Fits) != len(first.V1.Fits) {
		t.Errorf("WithLaw(a/n): first fit %+v of %d, %v", v.Fits[0], len(v.Fits), err)
	}
	if _, err := first.V1.WithLaw("n^2"); !errors.Is(err, ErrUnknown) {
		t.Errorf("unknown law: err %v", err)
	}
	req.Law = ntk.ExpInverse.Name
	forced, err := Do(req)
	if err != nil || forced.V1.Fits[0].Law != ntk.ExpInverse.Name {
		t.Errorf("request with law %s: %v", req.Law, err)
	}
	req.Law = ""
	req.Baseline = "4x1d"
	if _, err := Do(req); err == nil {
		t.Error("baseline width below the measured widths accepted")
	}
}
