//go:build !gpu && !cudaemu

package registry

import (
	"strings"
	"testing"
)

func TestOpenCPU(t *testing.T) {
	d, err := Open("cpu")
	if err != nil {
		t.Fatal(err)
	}
	if d.Name() != "cpu" {
		t.Errorf("name %q, want cpu", d.Name())
	}
	if err := d.Close(); err != nil {
		t.Error(err)
	}
}

func TestOpenCUDAWithoutTag(t *testing.T) {
	_, err := Open("cuda:0")
	if err == nil {
		t.Fatal("cuda:0 opened in a binary built without -tags gpu")
	}
	for _, want := range []string{"no GPU support", "-tags gpu"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestOpenBadNames(t *testing.T) {
	for _, name := range []string{"", "gpu", "cuda", "cuda:", "cuda:x", "cuda:-1", "CPU", "cpu:0"} {
		if d, err := Open(name); err == nil {
			t.Errorf("Open(%q) = %v, want an error", name, d.Name())
		}
	}
}
