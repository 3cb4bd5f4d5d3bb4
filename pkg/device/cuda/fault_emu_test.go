//go:build cudaemu

package cuda

import (
	"strings"
	"testing"

	"gorgonia.org/tensor"
)

// These tests fault on purpose. On the emulator a write into an
// allocation's guard zone is a fault that leaves the device usable; on a
// GPU a fault that the hardware catches (an illegal address) leaves the
// context unusable for every later test of the process, so they run only
// here.

// overrun enqueues fill_f32 one element past the end of a buffer of 128
// floats, which fills its pool allocation of 512 bytes: a fault (on the
// emulator a write into the guard zone; on a GPU it may go unnoticed).
func overrun(t *testing.T, d *Device) error {
	t.Helper()
	y, err := d.Alloc(tensor.Float32, 128)
	if err != nil {
		t.Fatal(err)
	}
	a := args{}
	a.ptr(y.(*Buffer)).f32(1).i64(129)
	return d.run("fill_f32", [3]int{1, 1, 1}, 128, a)
}

// TestSyncLaunchesNameFaultingKernel: with COLLEGIUM_CUDA_SYNC=1 the launch
// that faults reports it, naming the kernel, its grid and its block.
func TestSyncLaunchesNameFaultingKernel(t *testing.T) {
	t.Setenv(syncEnv, "1")
	d := openTest(t)
	err := overrun(t, d)
	for _, want := range []string{"kernel fill_f32 (grid [1 1 1], block 128) failed", syncEnv} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("faulting launch with %s=1: got %v, want an error containing %q", syncEnv, err, want)
		}
	}
	if err := d.Sync(); err != nil {
		t.Errorf("the fault was reported twice: %v", err)
	}
}

// TestFaultAtWaitNamesLatestKernel: without COLLEGIUM_CUDA_SYNC a fault
// surfaces at the next wait, whose error names the latest launch and says
// how to find the faulting one.
func TestFaultAtWaitNamesLatestKernel(t *testing.T) {
	t.Setenv(syncEnv, "")
	d := openTest(t)
	if err := overrun(t, d); err != nil {
		t.Fatalf("the launch itself reported %v; the fault should surface at the wait", err)
	}
	err := d.Sync()
	for _, want := range []string{"outside an allocation", "the latest kernel enqueued: fill_f32 (grid [1 1 1], block 128)", syncEnv + "=1"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Sync after a fault: got %v, want an error containing %q", err, want)
		}
	}
}
