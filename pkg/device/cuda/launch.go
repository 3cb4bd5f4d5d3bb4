//go:build gpu || cudaemu

package cuda

import (
	"fmt"
	"io/fs"
	"math"
	"regexp"
	"strconv"

	"github.com/collegium/collegium/kernels"
	"github.com/collegium/collegium/pkg/device"
	"gorgonia.org/tensor"
)

// entryRE finds the kernel names that a PTX module defines, targetRE the
// architecture it needs (".target sm_80").
var (
	entryRE  = regexp.MustCompile(`\.visible\s+\.entry\s+(\w+)\(`)
	targetRE = regexp.MustCompile(`(?m)^\.target\s+sm_(\d+)`)
)

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
		var entries []string
		for _, m := range entryRE.FindAllSubmatch(src, -1) {
			entries = append(entries, string(m[1]))
		}
		if err := d.drv.load(f, src, entries); err != nil {
			return fmt.Errorf("%s: %w", d.Name(), err)
		}
		for _, e := range entries {
			d.kernels[e] = true
		}
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

// launch enqueues kernel name on the stream with the given grid and block
// shape; the device is entered.
func (d *Device) launch(name string, grid [3]int, threads, shared int, a args) error {
	if err := d.drv.launch(name, grid, threads, shared, a); err != nil {
		return fmt.Errorf("%s: launch %s (grid %v, block %d): %w", d.Name(), name, grid, threads, err)
	}
	return nil
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
