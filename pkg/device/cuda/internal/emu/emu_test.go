//go:build cudaemu

package emu

import (
	"io/fs"
	"math"
	"regexp"
	"strings"
	"testing"
	"unsafe"

	"github.com/collegium/collegium/kernels"
)

// entryRE matches a PTX kernel entry and its parameter list.
var entryRE = regexp.MustCompile(`\.visible\s+\.entry\s+(\w+)\(([^)]*)\)`)

// TestTableMatchesPTX: every kernel of the embedded PTX (what a GPU would
// run) is in the emulator's table with the PTX's parameter count, so that
// the emulator runs the same kernels with the same signatures.
func TestTableMatchesPTX(t *testing.T) {
	files, err := fs.Glob(kernels.PTX, "ptx/*.ptx")
	if err != nil || len(files) == 0 {
		t.Fatalf("embedded PTX: %v (%d files)", err, len(files))
	}
	seen := 0
	for _, f := range files {
		src, err := fs.ReadFile(kernels.PTX, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range entryRE.FindAllStringSubmatch(string(src), -1) {
			seen++
			name, params := m[1], strings.Count(m[2], ".param")
			n, ok := Arity(name)
			if !ok {
				t.Errorf("%s: kernel %s is not in kernels.cc's table", f, name)
				continue
			}
			if n != params {
				t.Errorf("%s: kernel %s has %d parameters in the PTX, %d in the emulator", f, name, params, n)
			}
		}
	}
	if seen < 30 {
		t.Errorf("found %d kernel entries in the PTX, expected at least 30", seen)
	}
}

// fill launches fill_f32(y, v, n) with one 256-thread block per 256 elements.
func fill(y uintptr, v float32, n int) error {
	return Launch("fill_f32", [3]int{(n + 255) / 256, 1, 1}, 256, 0,
		[]uint64{uint64(y), uint64(math.Float32bits(v)), uint64(n)})
}

func TestLaunchRunsKernel(t *testing.T) {
	const n = 1000
	y, err := Alloc(4 * n)
	if err != nil {
		t.Fatal(err)
	}
	defer Free(y)
	got := make([]float32, n)
	Download(unsafe.Pointer(&got[0]), y, 4*n)
	if !math.IsNaN(float64(got[0])) || !math.IsNaN(float64(got[n-1])) {
		t.Errorf("fresh memory is %v…%v, want NaN poison", got[0], got[n-1])
	}
	if err := fill(y, 2.5, n); err != nil {
		t.Fatal(err)
	}
	Download(unsafe.Pointer(&got[0]), y, 4*n)
	for i, v := range got {
		if v != 2.5 {
			t.Fatalf("y[%d] = %v after fill 2.5", i, v)
		}
	}
}

// TestGuardsCatchOverrun: a kernel writing past the end of an allocation
// fails its launch with a message naming the kernel.
func TestGuardsCatchOverrun(t *testing.T) {
	y, err := Alloc(4 * 100)
	if err != nil {
		t.Fatal(err)
	}
	defer Free(y)
	err = fill(y, 1, 101)
	if err == nil || !strings.Contains(err.Error(), "fill_f32") || !strings.Contains(err.Error(), "outside an allocation of 400 bytes") {
		t.Fatalf("fill of 101 floats into 100: got %v, want a guard-zone error naming fill_f32", err)
	}
	if err := fill(y, 1, 100); err != nil {
		t.Errorf("guards were not repaired after the overrun: %v", err)
	}
}

func TestLaunchErrors(t *testing.T) {
	y, err := Alloc(64)
	if err != nil {
		t.Fatal(err)
	}
	defer Free(y)
	slots := []uint64{uint64(y), 0, 16}
	for _, c := range []struct {
		name    string
		kernel  string
		grid    [3]int
		threads int
		slots   []uint64
		want    string
	}{
		{"unknown kernel", "no_such_kernel", [3]int{1, 1, 1}, 32, slots, "no kernel named"},
		{"too few arguments", "fill_f32", [3]int{1, 1, 1}, 32, slots[:2], "takes 3 arguments"},
		{"too many threads", "fill_f32", [3]int{1, 1, 1}, 2048, slots, "2048 threads"},
		{"grid y too large", "fill_f32", [3]int{1, 70000, 1}, 32, slots, "CUDA's limits"},
		{"empty grid", "fill_f32", [3]int{0, 1, 1}, 32, slots, "CUDA's limits"},
	} {
		err := Launch(c.kernel, c.grid, c.threads, 0, c.slots)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
	if err := Free(y + 4); err == nil {
		t.Error("Free of an address inside an allocation succeeded")
	}
}
