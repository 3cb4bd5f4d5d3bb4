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

// fill enqueues fill_f32(y, v, n) on s with one 256-thread block per 256
// elements.
func fill(s *Stream, y uintptr, v float32, n int) error {
	return s.Launch("fill_f32", [3]int{(n + 255) / 256, 1, 1}, 256, 0,
		[]uint64{uint64(y), uint64(math.Float32bits(v)), uint64(n)})
}

// alloc returns n float32 of emulated device memory, freed with the test.
func alloc(t *testing.T, n int) uintptr {
	t.Helper()
	y, err := Alloc(4 * int64(n))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := Free(y); err != nil {
			t.Errorf("free: %v", err)
		}
	})
	return y
}

// newStream returns a non-blocking stream destroyed with the test.
func newStream(t *testing.T) *Stream {
	s := NewStream()
	t.Cleanup(func() {
		if err := s.Destroy(); err != nil {
			t.Errorf("destroy stream: %v", err)
		}
	})
	return s
}

// get downloads n float32 at p through s and waits for them.
func get(t *testing.T, s *Stream, p uintptr, n int) []float32 {
	t.Helper()
	v := make([]float32, n)
	s.Download(unsafe.Pointer(&v[0]), p, 4*int64(n))
	if err := s.Synchronize(); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestLaunchRunsKernel(t *testing.T) {
	const n = 1000
	s, y := newStream(t), alloc(t, n)
	if got := get(t, s, y, n); !math.IsNaN(float64(got[0])) || !math.IsNaN(float64(got[n-1])) {
		t.Errorf("fresh memory is %v…%v, want NaN poison", got[0], got[n-1])
	}
	if err := fill(s, y, 2.5, n); err != nil {
		t.Fatal(err)
	}
	for i, v := range get(t, s, y, n) {
		if v != 2.5 {
			t.Fatalf("y[%d] = %v after fill 2.5", i, v)
		}
	}
}

// TestStreamRunsAtWait: a stream's kernels and copies run, in order, when
// the host waits for the stream, not when they are enqueued.
func TestStreamRunsAtWait(t *testing.T) {
	const n = 300
	s, y := newStream(t), alloc(t, n)
	host := make([]float32, n)
	if err := fill(s, y, 1, n); err != nil {
		t.Fatal(err)
	}
	s.Download(unsafe.Pointer(&host[0]), y, 4*n)
	if err := fill(s, y, 2, n); err != nil {
		t.Fatal(err)
	}
	if host[0] != 0 || host[n-1] != 0 {
		t.Fatalf("host memory is %v…%v before the wait, want untouched zeros", host[0], host[n-1])
	}
	if err := s.Synchronize(); err != nil {
		t.Fatal(err)
	}
	if host[0] != 1 || host[n-1] != 1 {
		t.Errorf("download between fill 1 and fill 2 gave %v…%v, want 1", host[0], host[n-1])
	}
	if got := get(t, s, y, n); got[0] != 2 || got[n-1] != 2 {
		t.Errorf("after fill 2: %v…%v", got[0], got[n-1])
	}
}

// TestLegacyStreamNotOrdered: a memset on the legacy default stream
// (cuMemsetD32) has not happened when a non-blocking stream's later work
// runs; it happens at the context's synchronisation.
func TestLegacyStreamNotOrdered(t *testing.T) {
	const n = 64
	s, y := newStream(t), alloc(t, n)
	if err := fill(s, y, 3, n); err != nil {
		t.Fatal(err)
	}
	if err := s.Synchronize(); err != nil {
		t.Fatal(err)
	}
	Legacy.MemsetD32(y, 0, n)
	if got := get(t, s, y, n); got[0] != 3 {
		t.Errorf("a non-blocking stream after a legacy-stream memset reads %v, want the 3 the memset has not yet overwritten", got[0])
	}
	if err := CtxSynchronize(); err != nil {
		t.Fatal(err)
	}
	if got := get(t, s, y, n); got[0] != 0 || got[n-1] != 0 {
		t.Errorf("after the context's synchronisation: %v…%v, want the memset's 0", got[0], got[n-1])
	}
	s.MemsetD32(y, math.Float32bits(5), n)
	if got := get(t, s, y, n); got[0] != 5 || got[n-1] != 5 {
		t.Errorf("a memset on the stream is not in its order: %v…%v, want 5", got[0], got[n-1])
	}
}

// TestGuardsCatchOverrun: a kernel writing past the end of an allocation
// fails at the next wait with a message naming the kernel; the stream's
// later work is dropped.
func TestGuardsCatchOverrun(t *testing.T) {
	s, y := newStream(t), alloc(t, 100)
	if err := fill(s, y, 1, 101); err != nil {
		t.Fatalf("the launch itself is well formed, yet: %v", err)
	}
	if err := fill(s, y, 7, 100); err != nil {
		t.Fatal(err)
	}
	err := s.Synchronize()
	if err == nil || !strings.Contains(err.Error(), "fill_f32") || !strings.Contains(err.Error(), "outside an allocation of 400 bytes") {
		t.Fatalf("fill of 101 floats into 100: got %v, want a guard-zone error naming fill_f32", err)
	}
	if got := get(t, s, y, 100); got[0] == 7 {
		t.Error("work enqueued after the faulting kernel ran")
	}
	if err := fill(s, y, 1, 100); err != nil {
		t.Fatal(err)
	}
	if err := s.Synchronize(); err != nil {
		t.Errorf("guards were not repaired after the overrun: %v", err)
	}
}

func TestLaunchErrors(t *testing.T) {
	s, y := newStream(t), alloc(t, 16)
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
		err := s.Launch(c.kernel, c.grid, c.threads, 0, c.slots)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q when it is enqueued", c.name, err, c.want)
		}
	}
	if err := Free(y + 4); err == nil {
		t.Error("Free of an address inside an allocation succeeded")
	}
}
