package cpu

import (
	"fmt"

	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/device/cpu/gemm"
	"gorgonia.org/tensor"
)

// Conv2dForward computes y = conv(x, w) as one task per (image, group):
// im2col into per-worker scratch, then Y_g = W_g·col.
func (d *Device) Conv2dForward(p device.ConvParams, x, w, y device.Buffer) error {
	return d.conv(convForward, "conv2d forward", p, x, w, y)
}

// Conv2dBackwardData computes dx from dy and w: per (image, group),
// col = W_gᵀ·dY_g, then col2im into dx.
func (d *Device) Conv2dBackwardData(p device.ConvParams, dy, w, dx device.Buffer) error {
	return d.conv(convBackwardData, "conv2d backward data", p, dx, w, dy)
}

// Conv2dBackwardFilter computes dw from x and dy: dW_g = Σ_n dY_g·colᵀ.
func (d *Device) Conv2dBackwardFilter(p device.ConvParams, x, dy, dw device.Buffer) error {
	return d.conv(convBackwardFilter, "conv2d backward filter", p, x, dw, dy)
}

type convMode int

const (
	convForward convMode = iota
	convBackwardData
	convBackwardFilter
)

// conv validates a convolution whose input-side tensor is x, filter-side w
// and output-side y (gradients included), then runs mode.
func (d *Device) conv(mode convMode, op string, p device.ConvParams, x, w, y device.Buffer) error {
	if err := p.Validate(); err != nil {
		return fmt.Errorf("cpu: %s: %w", op, err)
	}
	dt, err := operands(op, x, w, y)
	if err != nil {
		return err
	}
	if err := length(op, "input", x, p.N*p.C*p.H*p.W); err != nil {
		return err
	}
	if err := length(op, "filter", w, p.O*(p.C/p.Groups)*p.KH*p.KW); err != nil {
		return err
	}
	if err := length(op, "output", y, p.N*p.O*p.OutH()*p.OutW()); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if dt == tensor.Float32 {
		runConv(d.f32, mode, p, x, w, y)
	} else {
		runConv(d.f64, mode, p, x, w, y)
	}
	return nil
}

// convTask holds one convolution call; items are (image, group) pairs, or
// for the filter gradient (group, part) pairs (see filterParts).
type convTask[T gemm.Float] struct {
	e        *workspace[T]
	mode     convMode
	p        device.ConvParams
	x, w, y  []T
	cpg, opg int // channels per group in and out
	kc, pix  int // im2col rows (cpg·KH·KW) and output pixels
	ld       int // row stride of the column matrix
	direct   bool
	// parts: the filter gradient's items per group; part i of a group owns
	// its input channels [i·cpp, min((i+1)·cpp, cpg)).
	parts, cpp int
	// blockRows: output rows per block of a blocked forward pass (0: whole).
	blockRows int
	// transposed: the filter gradient is accumulated as dWᵀ = col·dYᵀ, which
	// transposes (packs) the smaller dY rather than col when opg ≤
	// transposeMaxRows(): 1.6–2.4× faster on one Xeon core for a
	// 64×576×1024 product.
	transposed bool
	dconv      bool // runs on the direct path, laid out by dp
	dp         directPlan
	wino       bool // runs as a Winograd convolution, laid out by wp
	wp         winoPlan
	// nb images per block of the batched path (convbatch.go), 1 when each
	// image's products are wide enough alone; blocks = ⌈N/nb⌉.
	nb, blocks int
	// rowBlocks cut the rows of the batched products (forward: output
	// channels; 1×1 backward data: input channels) into parts of rowBlock.
	rowBlocks, rowBlock int
	// gathering: the pass that gathers every block once is running;
	// shared: it has run, and e.gathered holds every block (convbatch.go).
	gathering, shared bool
}

// runConv runs mode on the buffers. A stride-1 input gradient runs as the
// forward pass of the transposed convolution (flipped filter), which reaches
// the direct 3×3 kernels and needs no col2im; a 1×1 one is a plain product
// with the filter transposed and skips the flip, a transpose of the whole
// filter on every call.
func runConv[T gemm.Float](e *workspace[T], mode convMode, p device.ConvParams, x, w, y device.Buffer) {
	if mode == convBackwardData && p.StrideH == 1 && p.StrideW == 1 && (p.KH > 1 || p.KW > 1) &&
		p.PadH <= p.DilH*(p.KH-1) && p.PadW <= p.DilW*(p.KW-1) {
		e.flipped = grow(e.flipped, w.Len())
		flipFilter(p, elems[T](w), e.flipped)
		runConvSlices(e, convForward, transposedConv(p), elems[T](y), e.flipped, elems[T](x))
		return
	}
	runConvSlices(e, mode, p, elems[T](x), elems[T](w), elems[T](y))
}

// transposedConv is the stride-1 convolution whose forward pass computes the
// input gradient of p: it maps dy (N, O, OutH, OutW) to dx (N, C, H, W)
// with the flipped filter and padding dil·(k−1) − pad.
func transposedConv(p device.ConvParams) device.ConvParams {
	q := p
	q.C, q.H, q.W, q.O = p.O, p.OutH(), p.OutW(), p.C
	q.PadH, q.PadW = p.DilH*(p.KH-1)-p.PadH, p.DilW*(p.KW-1)-p.PadW
	return q
}

// flipFilter writes the filter of transposedConv(p): w' (C, O/Groups, KH,
// KW) with w'[g·cpg+i, o, kh, kw] = w[g·opg+o, i, KH−1−kh, KW−1−kw].
func flipFilter[T gemm.Float](p device.ConvParams, w, flipped []T) {
	cpg, opg, taps := p.C/p.Groups, p.O/p.Groups, p.KH*p.KW
	for g := range p.Groups {
		for o := range opg {
			for i := range cpg {
				src := w[((g*opg+o)*cpg+i)*taps:][:taps]
				dst := flipped[((g*cpg+i)*opg+o)*taps:][:taps]
				for k, v := range src {
					dst[taps-1-k] = v
				}
			}
		}
	}
}

// runConvSlices runs mode on the typed operands: x is the input side (x or
// dx), w the filter side (w or dw), y the output side (y or dy).
func runConvSlices[T gemm.Float](e *workspace[T], mode convMode, p device.ConvParams, x, w, y []T) {
	t := &e.conv
	*t = convTask[T]{e: e, mode: mode, p: p, x: x, w: w, y: y}
	t.cpg, t.opg = p.C/p.Groups, p.O/p.Groups
	t.kc, t.pix = t.cpg*p.KH*p.KW, p.OutH()*p.OutW()
	t.direct = p.KH == 1 && p.KW == 1 && p.StrideH == 1 && p.StrideW == 1 && p.PadH == 0 && p.PadW == 0
	t.ld = t.pix
	if !t.direct {
		t.ld = colStride(t.pix)
	}
	items := p.N * p.Groups
	t.dconv = t.planDirect()
	if mode == convBackwardData && !t.dconv {
		// Only the direct path's items (dataPhases) set every element of
		// dx; the other paths need it zeroed first.
		clear(t.x)
	}
	t.wino = !t.dconv && t.planWinograd()
	t.nb = 1
	if !t.dconv && !t.wino {
		t.nb = batchImages(p, t.kc, t.pix)
	}
	t.blocks = (p.N + t.nb - 1) / t.nb
	if t.nb > 1 && mode != convBackwardFilter {
		items = t.batchItems()
		if t.rowBlocks > 1 {
			t.gatherSharedBlocks()
		}
	}
	if mode == convBackwardFilter {
		t.parts, t.cpp = filterParts(p, t.kc)
		items = p.Groups * t.parts
		if t.nb > 1 && t.parts > 1 {
			t.gatherSharedBlocks()
		}
	}
	if mode == convForward {
		t.blockRows = colBlockRows(&p, t.direct, t.kc)
	}
	if t.dconv && mode != convBackwardFilter {
		e.packed = grow(e.packed, len(w))
		t.packDirect()
	}
	if t.wino {
		e.packed = grow(e.packed, 16*p.O*t.cpg)
		items = t.prepareWinograd()
	}
	t.transposed = mode == convBackwardFilter && !t.dconv && t.opg <= t.transposeMaxRows()
	e.pool.run(t, items)
	*t = convTask[T]{}
}

// transposeMaxRows is the most output channels per group for which the
// filter gradient is accumulated transposed: kc, the rows of col; on the
// batched path the rows of one part's col, which is all that the
// untransposed product packs per part, while the transposed one packs the
// whole dY_g for every part (ResNeXt-50's 2048→1024 1×1 at 2×2 took 0.6×
// the time untransposed, its 1024→512 and 1024→1024 at 4×4 0.81–0.96×; on
// the per-image path the same rule cost up to 1.7×).
func (t *convTask[T]) transposeMaxRows() int {
	if t.nb > 1 {
		return t.cpp * t.p.KH * t.p.KW
	}
	return t.kc
}

// filterTarget is how many items a filter gradient is cut into at least,
// where the shape allows, so that up to that many workers share it.
// filterMinCols is the fewest columns of dW_g (input channels × taps) a
// part gets, to keep its products efficient.
const (
	filterTarget  = 16
	filterMinCols = 64
)

// filterParts cuts each group's filter gradient dW_g (opg × kc) into parts
// of whole input channels: the columns of dW_g, and the rows of the column
// matrix, that belong to them. Each part sums over all images in order, and
// the cut depends on the shape alone, never on the worker count, so the
// sums, and so the gradients, come out bit for bit the same on any number of
// workers. It returns the number of parts and the channels per part.
func filterParts(p device.ConvParams, kc int) (parts, cpp int) {
	cpg := p.C / p.Groups
	parts = min((filterTarget+p.Groups-1)/p.Groups, max(1, kc/filterMinCols), cpg)
	cpp = (cpg + parts - 1) / parts
	return (cpg + cpp - 1) / cpp, cpp
}

// col returns worker wk's column matrix of input channels [c0, c1) of image
// n, group g ((c1−c0)·KH·KW rows; filled from x unless fill is false), or
// those channels of the input itself for direct convolutions.
func (t *convTask[T]) col(wk, n, g, c0, c1 int, fill bool) []T {
	hw := t.p.H * t.p.W
	xg := t.x[(n*t.p.C+g*t.cpg+c0)*hw:][:(c1-c0)*hw]
	if t.direct {
		return xg
	}
	s := grow(t.e.scratch[wk], (c1-c0)*t.p.KH*t.p.KW*t.ld)
	t.e.scratch[wk] = s
	if fill {
		im2col(&t.p, c1-c0, xg, s, t.ld)
	}
	return s
}

func (t *convTask[T]) run(wk, i int) {
	if t.gathering {
		t.gatherShared(i)
		return
	}
	if t.wino {
		t.runWinograd(wk, i)
		return
	}
	if t.mode == convBackwardFilter {
		t.filter(wk, i/t.parts, i%t.parts)
		return
	}
	if t.nb > 1 {
		t.batched(wk, i)
		return
	}
	if t.dconv {
		t.runDirect(wk, i)
		return
	}
	n, g := i/t.p.Groups, i%t.p.Groups
	yg := t.y[(n*t.p.O+g*t.opg)*t.pix:][:t.opg*t.pix]
	wg := t.w[g*t.opg*t.kc:][:t.opg*t.kc]
	switch t.mode {
	case convForward:
		if t.blockRows > 0 {
			t.forwardBlocks(wk, n, g, wg, yg)
			return
		}
		gemm.Gemm(false, false, t.opg, t.pix, t.kc, 1, wg, t.kc, t.col(wk, n, g, 0, t.cpg, true), t.ld, 0, yg, t.pix)
	case convBackwardData:
		col := t.col(wk, n, g, 0, t.cpg, false)
		gemm.Gemm(true, false, t.kc, t.pix, t.opg, 1, wg, t.kc, yg, t.pix, 0, col, t.ld)
		if !t.direct {
			col2im(&t.p, t.cpg, col, t.ld, t.x[(n*t.p.C+g*t.cpg)*t.p.H*t.p.W:])
		}
	}
}

// filter computes part `part` of group g's filter gradient: the columns of
// dW_g that belong to its input channels, summed over the images in order.
// Transposed (t.transposed) it accumulates their dW_gᵀ = Σ col·dY_gᵀ in
// worker scratch, then transposes it into dw.
func (t *convTask[T]) filter(wk, g, part int) {
	c0 := part * t.cpp
	c1 := min(c0+t.cpp, t.cpg)
	if t.dconv {
		t.directFilter(wk, g, c0, c1)
		return
	}
	if t.nb > 1 {
		t.batchedFilter(wk, g, c0, c1)
		return
	}
	taps := t.p.KH * t.p.KW
	kb := (c1 - c0) * taps
	dw := t.w[g*t.opg*t.kc+c0*taps:]
	var acc []T
	if t.transposed {
		acc = grow(t.e.accum[wk], kb*t.opg)
		t.e.accum[wk] = acc
	}
	for n := range t.p.N {
		dyg := t.y[(n*t.p.O+g*t.opg)*t.pix:][:t.opg*t.pix]
		beta := T(min(n, 1))
		col := t.col(wk, n, g, c0, c1, true)
		if t.transposed {
			gemm.Gemm(false, true, kb, t.opg, t.pix, 1, col, t.ld, dyg, t.pix, beta, acc, t.opg)
		} else {
			gemm.Gemm(false, true, t.opg, kb, t.pix, 1, dyg, t.pix, col, t.ld, beta, dw, t.kc)
		}
	}
	if t.transposed {
		gemm.Transpose(dw, t.kc, acc, t.opg, kb, t.opg)
	}
}

// forwardBlocks computes Y_g = W_g·col block by block of t.blockRows output
// rows, so that each block's column matrix is still in L2 when the product
// reads it.
func (t *convTask[T]) forwardBlocks(wk, n, g int, wg, yg []T) {
	ow, oh := t.p.OutW(), t.p.OutH()
	ld := colStride(t.blockRows * ow)
	s := grow(t.e.scratch[wk], t.kc*ld)
	t.e.scratch[wk] = s
	xg := t.x[(n*t.p.C+g*t.cpg)*t.p.H*t.p.W:][:t.cpg*t.p.H*t.p.W]
	for by := 0; by < oh; by += t.blockRows {
		ey := min(oh, by+t.blockRows)
		colPlanes(&t.p, t.cpg, xg, s, ld, by, ey, false)
		gemm.Gemm(false, false, t.opg, (ey-by)*ow, t.kc, 1, wg, t.kc, s, ld, 0, yg[by*ow:], t.pix)
	}
}

// colBlockRows is the number of output rows per block of a blocked forward
// pass, 0 when the pass is not blocked: blocks keep the column matrix under
// colBlockElems elements where the whole one would exceed it.
func colBlockRows(p *device.ConvParams, direct bool, kc int) int {
	ow := p.OutW()
	if direct || p.StrideH != 1 || p.StrideW != 1 || ow != p.W || kc*p.OutH()*ow <= colBlockElems {
		return 0
	}
	return max(1, colBlockElems/(kc*ow))
}

// colBlockElems bounds a blocked column matrix: 256 Ki elements, 1 MiB of
// float32, half the L2 of the 2-core Xeon it was measured on (forward
// minimum time g3 41 → 35 ms, g1 45 → 43 ms; 512 KiB blocks made a 2304-row
// column matrix slower). Tests lower it to exercise ragged blocks.
var colBlockElems = 1 << 18
