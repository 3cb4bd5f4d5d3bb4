package devicetest

import (
	"fmt"
	"testing"

	"github.com/collegium/collegium/pkg/device"
	"gorgonia.org/tensor"
)

// gemmCase is one strided batched product; the stored matrices get padding
// columns (ld > cols), an offset and gaps between batch items unless
// packed, so that kernels ignoring strides are caught.
type gemmCase struct {
	transA, transB bool
	m, n, k, batch int
	alpha, beta    float64
	packed         bool
}

func (c gemmCase) String() string {
	return fmt.Sprintf("tA=%v tB=%v %dx%dx%d b%d α%g β%g packed=%v", c.transA, c.transB, c.m, c.n, c.k, c.batch, c.alpha, c.beta, c.packed)
}

// deterministicMaxMACs bounds the products Deterministic repeats: the
// larger cases are there for a GPU's bigger tiles, and the smaller ones
// already cut products across workers every way a CPU does.
const deterministicMaxMACs = 1 << 22

func gemmCases() []gemmCase {
	var cs []gemmCase
	for _, ta := range []bool{false, true} {
		for _, tb := range []bool{false, true} {
			cs = append(cs,
				gemmCase{ta, tb, 7, 5, 3, 1, 1, 0, true},
				gemmCase{ta, tb, 33, 65, 17, 3, 1.5, 0, false},
				gemmCase{ta, tb, 130, 257, 70, 1, 1, 0, true},
				gemmCase{ta, tb, 1, 9, 40, 4, -0.5, 0.25, false},
				gemmCase{ta, tb, 19, 1, 23, 2, 1, 1, false},
				gemmCase{ta, tb, 12, 12, 12, 37, 1, 0, true},
				// Large enough for a GPU's bigger tiles (pkg/device/cuda picks
				// 64 and 128 for these on 100+ multiprocessors), not multiples.
				gemmCase{ta, tb, 750, 750, 9, 1, 1, 0.5, false},
				gemmCase{ta, tb, 1500, 1500, 9, 1, 1, 0, true},
			)
		}
	}
	return append(cs, gemmCase{false, false, 5, 6, 0, 2, 1, 0.5, false}, gemmCase{false, false, 0, 6, 3, 2, 1, 0, true})
}

// gemmRef computes the product of p on host slices by the definition.
func gemmRef(p device.GemmParams, a, b, c []float64) []float64 {
	out := append([]float64(nil), c...)
	at := func(s []float64, off, ld int, trans bool, r, col int) float64 {
		if trans {
			return s[off+col*ld+r]
		}
		return s[off+r*ld+col]
	}
	for bi := range p.Batch {
		for i := range p.M {
			for j := range p.N {
				var s float64
				for l := range p.K {
					s += at(a, p.OffA+bi*p.StrideA, p.LDA, p.TransA, i, l) * at(b, p.OffB+bi*p.StrideB, p.LDB, p.TransB, l, j)
				}
				ci := p.OffC + bi*p.StrideC + i*p.LDC + j
				out[ci] = p.Alpha * s
				if p.Beta != 0 {
					out[ci] += p.Beta * c[ci]
				}
			}
		}
	}
	return out
}

// layout returns (ld, stride, length) of a batch of rows×cols matrices
// stored with the case's padding.
func (c gemmCase) layout(rows, cols int) (ld, stride, n int) {
	ld, stride = cols, rows*cols
	off := 0
	if !c.packed {
		ld, stride, off = cols+3, rows*(cols+3)+5, 2
	}
	return ld, stride, off + c.batch*stride + 1
}

// gemmInputs lays out case c with random A, B and C: the parameters (C
// poisoned when beta is 0) and the host values of A, B and C.
func (h *harness) gemmInputs(c gemmCase) (p device.GemmParams, a, b, cv []float64) {
	ar, ac := c.m, c.k
	if c.transA {
		ar, ac = ac, ar
	}
	br, bc := c.k, c.n
	if c.transB {
		br, bc = bc, br
	}
	p = device.GemmParams{TransA: c.transA, TransB: c.transB, M: c.m, N: c.n, K: c.k, Alpha: c.alpha, Beta: c.beta, Batch: c.batch}
	var na, nb, nc int
	p.LDA, p.StrideA, na = c.layout(ar, ac)
	p.LDB, p.StrideB, nb = c.layout(br, bc)
	p.LDC, p.StrideC, nc = c.layout(c.m, c.n)
	if !c.packed {
		p.OffA, p.OffB, p.OffC = 2, 2, 2
	}
	a, b, cv = h.normal(na), h.normal(nb), h.normal(nc)
	p.A, p.B = h.buf(a), h.buf(b)
	if c.beta == 0 {
		p.C = h.poisoned(nc)
	} else {
		p.C = h.buf(cv)
	}
	return p, a, b, cv
}

func testGemm(t *testing.T, h *harness) {
	for _, c := range gemmCases() {
		if h.noRefs && c.m*c.n*c.k*c.batch > deterministicMaxMACs {
			continue
		}
		p, a, b, cv := h.gemmInputs(c)
		h.must(c.String(), h.dev.Gemm(p))
		got := h.get(p.C)
		if h.noRefs {
			continue
		}
		if err := compare(outputOf(p, got), outputOf(p, gemmRef(p, a, b, cv)), h.tolerance()); err != nil {
			t.Errorf("%v: %v", c, err)
		}
	}
	testBlockDiag(h)
}

// tf32Tolerance is the relative error allowed for TF32 products: inputs
// keep 10 mantissa bits.
const tf32Tolerance = 5e-3

// testGemmTF32 runs on devices with TF32 tensor cores (device.TF32Switch):
// with TF32 on, every GEMM case that has terms, up to 4 M multiply-adds (the
// larger ones only pick bigger float32 tiles), is within tf32Tolerance of
// the float64 reference and differs from the float32 result (so the
// tensor-core kernel ran); with TF32 off again the float32 result comes back
// bit for bit.
func testGemmTF32(t *testing.T, h *harness) {
	sw, ok := h.dev.(device.TF32Switch)
	if !ok || h.dt != tensor.Float32 {
		t.Skipf("%s has no TF32 for %v", h.dev.Name(), h.dt)
	}
	if err := sw.SetTF32(true); err != nil {
		t.Skipf("%s: %v", h.dev.Name(), err)
	}
	defer func() { h.must("SetTF32(false)", sw.SetTF32(false)) }()
	for _, c := range gemmCases() {
		if c.m*c.n*c.k == 0 || c.m*c.n*c.k*c.batch > 1<<22 {
			continue
		}
		p, a, b, cv := h.gemmInputs(c)
		run := func(tf32 bool) []float64 {
			h.must("SetTF32", sw.SetTF32(tf32))
			if c.beta != 0 {
				h.must("upload C", h.dev.Upload(p.C, h.host(cv)))
			}
			h.must(c.String(), h.dev.Gemm(p))
			return outputOf(p, h.get(p.C))
		}
		fp32, tf32, again := run(false), run(true), run(false)
		if err := compare(tf32, outputOf(p, gemmRef(p, a, b, cv)), tf32Tolerance); err != nil {
			t.Errorf("%v with TF32: %v", c, err)
		}
		if compare(tf32, fp32, 1e-6) == nil {
			t.Errorf("%v: the TF32 result is within 1e-6 of float32's: the tensor-core kernel did not run", c)
		}
		if compare(again, fp32, 0) != nil {
			t.Errorf("%v: the float32 result changed after switching TF32 off", c)
		}
	}
}

// outputOf gathers the elements of c that the product p writes (C's padding
// is not output).
func outputOf(p device.GemmParams, c []float64) []float64 {
	var out []float64
	for bi := range p.Batch {
		for i := range p.M {
			for j := range p.N {
				out = append(out, c[p.OffC+bi*p.StrideC+i*p.LDC+j])
			}
		}
	}
	return out
}

// testBlockDiag checks the three products of a block-diagonal (collegial)
// linear layer: y = x·W per member (x is batch × members·width), dx = dy·Wᵀ,
// dW = xᵀ·dy. The shapes include the 16-wide members of MLP-CE layers and
// member counts on both sides of every worker count's split threshold.
func testBlockDiag(h *harness) {
	for _, s := range [][3]int{{13, 5, 6}, {32, 4, 16}, {40, 6, 16}, {24, 10, 16}, {33, 3, 40}} {
		h.blockDiag(s[0], s[1], s[2])
	}
}

// blockDiag checks the three products of one block-diagonal layer.
func (h *harness) blockDiag(batch, members, width int) {
	x, w, dy := h.normal(batch*members*width), h.normal(members*width*width), h.normal(batch*members*width)
	X, W, DY := h.buf(x), h.buf(w), h.buf(dy)
	row := members * width
	for _, c := range []struct {
		name           string
		transA, transB bool
		m, k           int
		a, b           device.Buffer
		lda, ldb, sa   int
		sb             int
		av, bv         []float64
		ldc, sc, n     int
	}{
		{"forward", false, false, batch, width, X, W, row, width, width, width * width, x, w, row, width, batch * row},
		{"backward data", false, true, batch, width, DY, W, row, width, width, width * width, dy, w, row, width, batch * row},
		{"backward filter", true, false, width, batch, X, DY, row, row, width, width, x, dy, width, width * width, members * width * width},
	} {
		p := device.GemmParams{TransA: c.transA, TransB: c.transB, M: c.m, N: width, K: c.k, Alpha: 1,
			A: c.a, B: c.b, LDA: c.lda, LDB: c.ldb, StrideA: c.sa, StrideB: c.sb, LDC: c.ldc, StrideC: c.sc, Batch: members}
		p.C = h.poisoned(c.n)
		var ref []float64
		if !h.noRefs {
			ref = gemmRef(p, c.av, c.bv, make([]float64, c.n))
		}
		h.must("block-diagonal "+c.name, h.dev.Gemm(p))
		h.check("block-diagonal "+c.name, p.C, ref)
	}
}
