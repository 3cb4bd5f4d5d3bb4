package cpu

import (
	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/device/cpu/gemm"
)

// workspace holds the per-dtype state of a Device: reusable task values and
// per-worker scratch, so that steady-state kernel calls allocate nothing.
type workspace[T gemm.Float] struct {
	pool    *pool
	scratch [][]T // per worker, grown on demand and kept
	accum   [][]T // per worker accumulators (conv backward filter)
	flipped []T   // flipped filter of a backward-data convolution
	packed  []T   // filter of a direct convolution, laid out for its kernels
	// gathered holds the blocks of a batched convolution pass that its row
	// blocks share (gatherSharedBlocks).
	gathered []T
	span     spanTask[T]
	gemm     gemmTask[T]
	conv     convTask[T]
	bn       bnTask[T]
	maxPool  maxPoolTask[T]
}

func newWorkspace[T gemm.Float](p *pool) *workspace[T] {
	return &workspace[T]{pool: p, scratch: make([][]T, p.workers), accum: make([][]T, p.workers)}
}

// grow returns s resized to n elements, reallocating only when too small.
func grow[T gemm.Float](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// spanArgs are the operands of a span function: up to four buffers in the
// order its kernel binds them, scalars and a layout. Each span function
// documents what each buffer holds and which one it writes.
type spanArgs[T gemm.Float] struct {
	buf [4][]T
	s   [spanScalars]float64
	l   device.ChannelLayout
}

// bind sets buf to the elements of bufs, in order.
func (a *spanArgs[T]) bind(bufs []device.Buffer) {
	for i, b := range bufs {
		a.buf[i] = elems[T](b)
	}
}

// spanScalars is the number of scalar parameters a span function can take.
const spanScalars = 8

// spanTask runs f over [lo, hi) chunks of n items.
type spanTask[T gemm.Float] struct {
	f        func(a *spanArgs[T], lo, hi int)
	a        spanArgs[T]
	n, chunk int
}

func (t *spanTask[T]) run(_, i int) {
	lo := i * t.chunk
	t.f(&t.a, lo, min(lo+t.chunk, t.n))
}

// spans runs f on e.span.a over n items in chunks of at least chunk items.
func (e *workspace[T]) spans(f func(a *spanArgs[T], lo, hi int), n, chunk int) {
	if n == 0 {
		return
	}
	chunk = max(chunk, 1)
	e.span.f, e.span.n, e.span.chunk = f, n, chunk
	e.pool.run(&e.span, (n+chunk-1)/chunk)
	e.span.f = nil
	e.span.a = spanArgs[T]{}
}
