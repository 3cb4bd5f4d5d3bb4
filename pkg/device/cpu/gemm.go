package cpu

import (
	"fmt"

	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/device/cpu/gemm"
	"gorgonia.org/tensor"
)

// Gemm computes the strided batched product of p. A batch large enough to
// keep every worker busy is split into contiguous runs of items, each one
// call of gemm.GemmStrided (which interleaves small products and shares
// their workspace), and into no more runs than it has gemmMinTaskFlops; a
// smaller batch is split into blocks of rows and columns of C so that even a
// single large product keeps every worker busy, each block one call of
// gemm.Gemm.
func (d *Device) Gemm(p device.GemmParams) error {
	if err := p.Validate(); err != nil {
		return fmt.Errorf("cpu: %w", err)
	}
	dt, err := operands("gemm", p.A, p.B, p.C)
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if dt == tensor.Float32 {
		runGemm(d.f32, p)
	} else {
		runGemm(d.f64, p)
	}
	return nil
}

// Block sizes for splitting one product: multiples of the micro-kernel tile
// sizes, large enough that packing costs stay small.
const (
	gemmMinRows = 64
	gemmMinCols = 128
	gemmTasks   = 4 // tasks per worker wanted for load balance

	// gemmMinTaskFlops is the least work worth a task of a batched product
	// (about 10 µs). With workers that park at once, a width-16
	// block-diagonal pass of 4 MFLOP ran ~30% slower split over both
	// workers than on one (2-vCPU Zen 5, threshold 8 MFLOP); with workers
	// that poll before parking (workers.go) the same pass split in two ran
	// 1.7× faster on the 2-core Xeon, and 2 MFLOP cost the width-64 pass 4%.
	gemmMinTaskFlops = 1 << 21
)

// gemmTask is a strided batched product split into runs of `items` batch
// items or, when items is 0, into rowBlocks × colBlocks blocks per item.
type gemmTask[T gemm.Float] struct {
	p                    device.GemmParams
	a, b, c              []T
	alpha, beta          T
	items                int
	rowBlock, colBlock   int
	rowBlocks, colBlocks int
}

func runGemm[T gemm.Float](e *workspace[T], p device.GemmParams) {
	if p.Batch == 0 || p.M == 0 || p.N == 0 {
		return
	}
	t := &e.gemm
	*t = gemmTask[T]{p: p, a: elems[T](p.A), b: elems[T](p.B), c: elems[T](p.C), alpha: T(p.Alpha), beta: T(p.Beta)}
	want := gemmTasks * e.pool.workers
	if p.Batch >= want {
		want = max(1, min(want, 2*p.M*p.N*p.K*p.Batch/gemmMinTaskFlops))
		t.items = (p.Batch + want - 1) / want
		e.pool.run(t, (p.Batch+t.items-1)/t.items)
		*t = gemmTask[T]{}
		return
	}
	t.rowBlocks, t.colBlocks = 1, 1
	if e.pool.workers > 1 {
		split := (want + p.Batch - 1) / p.Batch
		t.colBlocks = min(split, max(p.N/gemmMinCols, 1))
		t.rowBlocks = min((split+t.colBlocks-1)/t.colBlocks, max(p.M/gemmMinRows, 1))
	}
	t.colBlock = roundUp((p.N+t.colBlocks-1)/t.colBlocks, 16)
	t.rowBlock = roundUp((p.M+t.rowBlocks-1)/t.rowBlocks, 8)
	t.colBlocks = (p.N + t.colBlock - 1) / t.colBlock
	t.rowBlocks = (p.M + t.rowBlock - 1) / t.rowBlock
	e.pool.run(t, p.Batch*t.rowBlocks*t.colBlocks)
	*t = gemmTask[T]{}
}

func roundUp(n, m int) int { return (n + m - 1) / m * m }

func (t *gemmTask[T]) run(_, i int) {
	p := &t.p
	if t.items > 0 {
		b0 := i * t.items
		gemm.GemmStrided(p.TransA, p.TransB, p.M, p.N, p.K, t.alpha,
			t.a[p.OffA+b0*p.StrideA:], p.LDA, p.StrideA, t.b[p.OffB+b0*p.StrideB:], p.LDB, p.StrideB,
			t.beta, t.c[p.OffC+b0*p.StrideC:], p.LDC, p.StrideC, min(t.items, p.Batch-b0))
		return
	}
	cb := i % t.colBlocks
	i /= t.colBlocks
	rb := i % t.rowBlocks
	bi := i / t.rowBlocks
	i0, j0 := rb*t.rowBlock, cb*t.colBlock
	m, n := min(t.rowBlock, p.M-i0), min(t.colBlock, p.N-j0)
	offA := p.OffA + bi*p.StrideA
	if p.TransA {
		offA += i0
	} else {
		offA += i0 * p.LDA
	}
	offB := p.OffB + bi*p.StrideB
	if p.TransB {
		offB += j0 * p.LDB
	} else {
		offB += j0
	}
	offC := p.OffC + bi*p.StrideC + i0*p.LDC + j0
	if p.K == 0 {
		gemm.ScaleC(m, n, t.beta, t.c[offC:], p.LDC)
		return
	}
	gemm.Gemm(p.TransA, p.TransB, m, n, p.K, t.alpha, t.a[offA:], p.LDA, t.b[offB:], p.LDB, t.beta, t.c[offC:], p.LDC)
}
