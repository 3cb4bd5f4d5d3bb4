//go:build gpu || cudaemu

package cuda

import (
	"fmt"
	"io/fs"
	"maps"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"

	"github.com/collegium/collegium/kernels"
	"github.com/collegium/collegium/pkg/device"
	"gorgonia.org/tensor"
)

// entryRE finds the kernels that a PTX module defines with the performance
// directives between their parameter list and their body, maxntidRE the
// block-size bound of __launch_bounds__ among those directives, targetRE the
// architecture the module needs (".target sm_80").
var (
	entryRE   = regexp.MustCompile(`\.visible\s+\.entry\s+(\w+)\([^)]*\)([^{]*)\{`)
	maxntidRE = regexp.MustCompile(`\.maxntid\s+(\d+)(?:\s*,\s*(\d+))?(?:\s*,\s*(\d+))?`)
	targetRE  = regexp.MustCompile(`(?m)^\.target\s+sm_(\d+)`)
)

// unboundedThreads is the largest block a kernel without __launch_bounds__
// may be launched with: ptxas may then give it up to 255 registers per
// thread, and a block of 256 such threads still fits the 65536 registers of
// a multiprocessor, so the launch cannot fail for want of registers whatever
// ptxas chooses. Larger blocks need __launch_bounds__ (see
// scripts/build-kernels.sh for the register check).
const unboundedThreads = 256

// ptxEntries lists the kernels of a PTX module with the most threads per
// block each may be launched with: its .maxntid (from __launch_bounds__) or
// unboundedThreads.
func ptxEntries(src []byte) map[string]int {
	entries := map[string]int{}
	for _, m := range entryRE.FindAllSubmatch(src, -1) {
		limit := unboundedThreads
		if b := maxntidRE.FindSubmatch(m[2]); b != nil {
			limit = 1
			for _, dim := range b[1:] {
				if n, err := strconv.Atoi(string(dim)); err == nil {
					limit *= n
				}
			}
		}
		entries[string(m[1])] = limit
	}
	return entries
}

// loadModules loads every embedded PTX module and its kernels.
func (d *Device) loadModules() error {
	files, err := fs.Glob(kernels.PTX, "ptx/*.ptx")
	if err != nil {
		return fmt.Errorf("%s: list embedded PTX: %w", d.Name(), err)
	}
	for _, f := range files {
		src, err := fs.ReadFile(kernels.PTX, f)
		if err != nil {
			return fmt.Errorf("%s: read %s: %w", d.Name(), f, err)
		}
		target, err := ptxTarget(src)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", d.Name(), f, err)
		}
		if target > d.info.capability {
			continue // e.g. the TF32 kernels on a GPU older than compute capability 8.0
		}
		entries := ptxEntries(src)
		if err := d.drv.load(f, src, slices.Sorted(maps.Keys(entries))); err != nil {
			return fmt.Errorf("%s: %w", d.Name(), err)
		}
		maps.Copy(d.kernels, entries)
	}
	return nil
}

// ptxTarget is the compute capability (major·10 + minor) a PTX module needs.
func ptxTarget(src []byte) (int, error) {
	m := targetRE.FindSubmatch(src)
	if m == nil {
		return 0, fmt.Errorf("no .target sm_NN line")
	}
	return strconv.Atoi(string(m[1]))
}

// args holds kernel arguments, each in an 8-byte slot: cu's Launch copies 8
// bytes per argument and the driver reads as many as the parameter's type
// has (little-endian, so a 4-byte int or float sits in the low bytes).
type args []uint64

func (a *args) ptr(b *Buffer) *args { *a = append(*a, uint64(b.ptr)); return a }
func (a *args) ptrOff(b *Buffer, off int) *args {
	*a = append(*a, uint64(b.ptr)+uint64(off)*uint64(b.dt.Size()))
	return a
}
func (a *args) devptr(p devPtr) *args { *a = append(*a, uint64(p)); return a }
func (a *args) i32(v int) *args       { *a = append(*a, uint64(uint32(int32(v)))); return a }
func (a *args) i64(v int) *args       { *a = append(*a, uint64(int64(v))); return a }
func (a *args) f32(v float64) *args   { *a = append(*a, uint64(math.Float32bits(float32(v)))); return a }

// block is the thread count of 1-D launches.
const block = 256

// gridFor is the grid size of a grid-stride launch over n elements.
func gridFor(n int) int {
	g := (n + block - 1) / block
	return max(1, min(g, 65535*8))
}

// launchRecord names a launch in error messages.
type launchRecord struct {
	name    string
	grid    [3]int
	threads int
}

func (l launchRecord) String() string {
	return fmt.Sprintf("%s (grid %v, block %d)", l.name, l.grid, l.threads)
}

// launch enqueues kernel name on the stream with the given grid and block
// shape; the device is entered. A block larger than the kernel may run
// (ptxEntries) is refused before it reaches the driver. With
// COLLEGIUM_CUDA_SYNC=1 it waits for the kernel, so that a fault is reported
// here, naming the kernel and its grid, instead of at a later wait.
func (d *Device) launch(name string, grid [3]int, threads, shared int, a args) error {
	rec := launchRecord{name: name, grid: grid, threads: threads}
	limit, ok := d.kernels[name]
	if !ok {
		return fmt.Errorf("%s: launch %s: no such kernel loaded for compute capability %d.%d", d.Name(), name, d.info.capability/10, d.info.capability%10)
	}
	if threads > limit {
		return fmt.Errorf("%s: launch %s with %d threads per block: it may run at most %d (give it __launch_bounds__(%d) in kernels/*.cu)", d.Name(), name, threads, limit, threads)
	}
	if err := d.drv.launch(name, grid, threads, shared, a); err != nil {
		return fmt.Errorf("%s: launch %v: %w", d.Name(), rec, err)
	}
	d.lastLaunch = rec
	if d.syncLaunches {
		if err := d.drv.synchronize(); err != nil {
			return fmt.Errorf("%s: kernel %v failed (%s=1 waits after every launch): %w", d.Name(), rec, syncEnv, err)
		}
	}
	return nil
}

// synchronizeLocked waits for the stream. A fault found there came from a
// kernel enqueued since the last wait: the error names the latest, and how
// to find the one that failed.
func (d *Device) synchronizeLocked(what string) error {
	if err := d.drv.synchronize(); err != nil {
		return fmt.Errorf("%s: %s: %w%s", d.Name(), what, err, d.faultHint())
	}
	return nil
}

// faultHint names the latest launch for an error found at a wait.
func (d *Device) faultHint() string {
	if d.lastLaunch.name == "" || d.syncLaunches {
		return ""
	}
	return fmt.Sprintf(" (the latest kernel enqueued: %v; %s=1 waits after every launch and names the kernel that fails)", d.lastLaunch, syncEnv)
}

// syncEnv names the environment variable that, set to 1, makes the device
// wait after every kernel launch (slow; for finding a faulting kernel, and
// the GPU check's first conformance pass).
const syncEnv = "COLLEGIUM_CUDA_SYNC"

// syncLaunchesFromEnv reads syncEnv: unset, empty or 0 is off, 1 is on.
func syncLaunchesFromEnv() (bool, error) {
	switch v := os.Getenv(syncEnv); v {
	case "", "0":
		return false, nil
	case "1":
		return true, nil
	default:
		return false, fmt.Errorf("%s=%q: want 1 (wait after every kernel launch) or 0", syncEnv, v)
	}
}

// run enters the device and launches one kernel.
func (d *Device) run(name string, grid [3]int, threads int, a args) error {
	leave, err := d.enter()
	if err != nil {
		return err
	}
	defer leave()
	return d.launch(name, grid, threads, 0, a)
}

// elementwise launches a grid-stride kernel over n elements.
func (d *Device) elementwise(name string, n int, a args) error {
	if n == 0 {
		return nil
	}
	return d.run(name, [3]int{gridFor(n), 1, 1}, block, a)
}

// operands checks that every buffer is a live buffer of this device and that
// all share one dtype; float64 has no kernels (ErrNoKernel).
func (d *Device) operands(op string, bs ...device.Buffer) ([]*Buffer, error) {
	out := make([]*Buffer, len(bs))
	for i, b := range bs {
		cb, err := d.buffer(fmt.Sprintf("%s operand %d", op, i), b)
		if err != nil {
			return nil, err
		}
		if cb.dt != bs[0].Dtype() {
			return nil, fmt.Errorf("%s: %s: operand %d has dtype %v, operand 0 has %v", d.Name(), op, i, cb.dt, bs[0].Dtype())
		}
		out[i] = cb
	}
	if len(out) > 0 && out[0].dt != tensor.Float32 {
		return nil, fmt.Errorf("%s: %s: dtype %v: %w", d.Name(), op, out[0].dt, device.NoKernel(op, d.Name()))
	}
	return out, nil
}

// lengths checks that each buffer has the matching element count.
func (d *Device) lengths(op string, bs []*Buffer, want ...int) error {
	for i, b := range bs {
		if b.n != want[i] {
			return fmt.Errorf("%s: %s: operand %d has %d elements, want %d", d.Name(), op, i, b.n, want[i])
		}
	}
	return nil
}

// with returns a after fill has appended the arguments.
func (a args) with(fill func(*args)) args {
	fill(&a)
	return a
}
