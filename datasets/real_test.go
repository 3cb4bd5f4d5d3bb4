package datasets

import (
	"testing"
)

// TestRealMNISTFromGoModule reads the official MNIST files the way a fresh
// checkout does: no --data-dir, no $COLLEGIUM_DATA, the Go module cache.
func TestRealMNISTFromGoModule(t *testing.T) {
	spec, _ := Lookup("mnist")
	r := Resolver{Builtin: builtinDir}
	loc, err := r.Find(t.Context(), spec)
	if err != nil {
		t.Skipf("MNIST Go module unavailable (needs the go command and module proxy or cache): %v", err)
	}
	info, err := r.Inspect(t.Context(), spec)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range info.Splits {
		for _, c := range s.Checks {
			if c.Status() != "ok" {
				t.Errorf("%s: %s", c.Path, c.Status())
			}
		}
	}
	ds, err := LoadDir(spec, loc.Dir, Test)
	if err != nil {
		t.Fatal(err)
	}
	if info.Splits[0].Count != 60000 || ds.Len() != 10000 || ds.Labels[0] != 7 {
		t.Fatalf("train %d, test %d, first test label %d", info.Splits[0].Count, ds.Len(), ds.Labels[0])
	}
	// Normalised with the training statistics, the test split has mean near 0, std near 1.
	var sum, sq float64
	for _, v := range ds.Images {
		sum += float64(v)
		sq += float64(v) * float64(v)
	}
	n := float64(len(ds.Images))
	mean, variance := sum/n, sq/n-(sum/n)*(sum/n)
	if mean < -0.05 || mean > 0.05 || variance < 0.9 || variance > 1.1 {
		t.Errorf("normalised test images: mean %.3f, variance %.3f", mean, variance)
	}
}

// TestRealFashionMNIST reads Debian's dataset-fashion-mnist when installed.
func TestRealFashionMNIST(t *testing.T) {
	if isDir(FashionMNISTSystemDir) != nil {
		t.Skipf("%s absent (Debian package dataset-fashion-mnist not installed)", FashionMNISTSystemDir)
	}
	spec, _ := Lookup("fashion-mnist")
	ds, err := Resolver{Builtin: builtinDir}.Load(t.Context(), spec, Test)
	if err != nil {
		t.Fatal(err)
	}
	if ds.Len() != 10000 {
		t.Fatalf("%d test images", ds.Len())
	}
}
