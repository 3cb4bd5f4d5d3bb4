package cpu

import (
	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/device/cpu/gemm"
)

// The batched path: where an image's output has few pixels (the late stages
// of a ResNeXt, the stride-2 layers of a ConvNet-CE on MNIST), one product
// per image is too narrow to run well (a 2×2 output fills an eighth of the
// 16-column micro-tile; an 8×8 one repacks a 1×1 layer's whole filter for 64
// columns). It gathers the columns of nb images side by side into one
// matrix, runs one product per block of images, and scatters the result
// back, so the filter is packed once per block and the product is about
// batchCols columns wide. For the filter gradient the images of a block form
// one longer sum (K = nb·pixels).

// batchCols is the product width the batched path aims at (tests set it to
// 0 to run every image on its own); batchMaxElems bounds the gathered
// column matrix of one block (2 MiB of float32, the L2 of the machines
// measured).
var batchCols = 256

const batchMaxElems = 1 << 19

// batchImages is the number of images per block: 1 (no batching) when an
// image has at least batchCols output pixels. It depends on the shape only:
// the filter gradient sums each block's images in one product, so a count
// that followed the workers would change its rounding.
func batchImages(p device.ConvParams, kc, pix int) int {
	if pix >= batchCols || p.N == 1 {
		return 1
	}
	return max(1, min(p.N, (batchCols+pix-1)/pix, batchMaxElems/(kc*pix)))
}

// batchItems sets the row blocks of a batched forward or backward-data
// pass and returns its item count: (group, image block, row block) triples,
// row blocks only where groups × blocks alone give fewer than filterTarget
// items, each of at least 64 rows.
func (t *convTask[T]) batchItems() int {
	rows := t.opg
	if t.mode == convBackwardData {
		rows = t.cpg
		if !t.direct {
			rows = 1 // col2im needs every row of an image's columns
		}
	}
	t.rowBlocks = min(max(1, (filterTarget+t.p.Groups*t.blocks-1)/(t.p.Groups*t.blocks)), max(1, rows/64))
	t.rowBlock = (rows + t.rowBlocks - 1) / t.rowBlocks
	t.rowBlocks = (rows + t.rowBlock - 1) / t.rowBlock
	return t.p.Groups * t.blocks * t.rowBlocks
}

// batched runs item i of a batched forward or backward-data pass.
func (t *convTask[T]) batched(wk, i int) {
	rb := i % t.rowBlocks
	i /= t.rowBlocks
	g, blk := i%t.p.Groups, i/t.p.Groups
	n0 := blk * t.nb
	nn := min(t.nb, t.p.N-n0)
	cols := nn * t.pix
	ld := colStride(cols)
	wg := t.w[g*t.opg*t.kc:][:t.opg*t.kc]
	if t.mode == convForward {
		r0, r1 := rb*t.rowBlock, min((rb+1)*t.rowBlock, t.opg)
		s := grow(t.e.scratch[wk], t.kc*ld+(r1-r0)*cols)
		t.e.scratch[wk] = s
		col, out := t.blockSource(s[:t.kc*ld], g, blk), s[t.kc*ld:]
		gemm.Gemm(false, false, r1-r0, cols, t.kc, 1, wg[r0*t.kc:], t.kc, col, ld, 0, out, cols)
		scatterRows(t.y, t.p.O, t.pix, out, cols, n0, nn, g*t.opg+r0, r1-r0)
		return
	}
	// Backward data: col = W_gᵀ·dY over the block, then back to the images.
	s := grow(t.e.scratch[wk], t.opg*cols+t.kc*ld)
	t.e.scratch[wk] = s
	dyb, col := t.blockSource(s[:t.opg*cols], g, blk), s[t.opg*cols:]
	if t.direct {
		r0, r1 := rb*t.rowBlock, min((rb+1)*t.rowBlock, t.cpg)
		gemm.Gemm(true, false, r1-r0, cols, t.opg, 1, wg[r0:], t.kc, dyb, cols, 0, col, cols)
		scatterRows(t.x, t.p.C, t.pix, col, cols, n0, nn, g*t.cpg+r0, r1-r0)
		return
	}
	gemm.Gemm(true, false, t.kc, cols, t.opg, 1, wg, t.kc, dyb, cols, 0, col, ld)
	hw := t.p.H * t.p.W
	for j := range nn {
		col2im(&t.p, t.cpg, col[j*t.pix:], ld, t.x[((n0+j)*t.p.C+g*t.cpg)*hw:])
	}
}

// The gathered matrix of a block (forward: its columns, kc rows; backward
// data and filter: its dY_g, opg rows) is the same for every row block of
// that block, and dY_g for every part of a filter gradient. Where there are
// several (t.shared), a first pass (t.gathering) gathers every (group,
// block) once into e.gathered and the row blocks or parts read it there;
// otherwise each item gathers its own into worker scratch, where the
// product finds it still in cache.

// gatherRowCount is the number of rows of a block's gathered matrix.
func (t *convTask[T]) gatherRowCount() int {
	if t.mode == convForward {
		return t.kc
	}
	return t.opg
}

// gatheredSize is the number of elements the gathered matrix of one
// (group, block) takes in e.gathered: its rows at the widest block's
// stride.
func (t *convTask[T]) gatheredSize() int {
	return t.gatherRowCount() * colStride(t.nb*t.pix)
}

// gatheredAt is where the gathered matrix of group g, image block blk
// starts in e.gathered.
func (t *convTask[T]) gatheredAt(g, blk int) int {
	return (blk*t.p.Groups + g) * t.gatheredSize()
}

// gatherSharedBlocks runs the gathering pass: every (group, block) into
// e.gathered, one item each (gatherShared).
func (t *convTask[T]) gatherSharedBlocks() {
	t.e.gathered = grow(t.e.gathered, t.p.Groups*t.blocks*t.gatheredSize())
	t.gathering = true
	t.e.pool.run(t, t.p.Groups*t.blocks)
	t.gathering = false
	t.shared = true
}

// gatherShared runs item i of the gathering pass.
func (t *convTask[T]) gatherShared(i int) {
	g, blk := i%t.p.Groups, i/t.p.Groups
	t.gatherBlock(t.e.gathered[t.gatheredAt(g, blk):], g, blk)
}

// gatherBlock writes the gathered matrix of group g, image block blk into
// dst.
func (t *convTask[T]) gatherBlock(dst []T, g, blk int) {
	n0 := blk * t.nb
	nn := min(t.nb, t.p.N-n0)
	cols := nn * t.pix
	if t.mode == convForward {
		t.gatherCols(dst, colStride(cols), g, n0, nn, 0, t.cpg)
		return
	}
	gatherRows(dst, cols, t.y, t.p.O, t.pix, n0, nn, g*t.opg, t.opg)
}

// blockSource returns the gathered matrix of group g, image block blk:
// from e.gathered when it is shared, else gathered into scratch.
func (t *convTask[T]) blockSource(scratch []T, g, blk int) []T {
	if t.shared {
		return t.e.gathered[t.gatheredAt(g, blk):]
	}
	t.gatherBlock(scratch, g, blk)
	return scratch
}

// batchedFilter sums the filter gradient of group g's input channels
// [c0, c1) block by block of images: each block's dY_g and columns are
// gathered side by side and multiplied as one product.
func (t *convTask[T]) batchedFilter(wk, g, c0, c1 int) {
	taps := t.p.KH * t.p.KW
	kb := (c1 - c0) * taps
	dw := t.w[g*t.opg*t.kc+c0*taps:]
	maxCols := t.nb * t.pix
	ld := colStride(maxCols)
	need := t.opg*maxCols + kb*ld
	if t.transposed {
		need += kb * t.opg
	}
	s := grow(t.e.scratch[wk], need)
	t.e.scratch[wk] = s
	dyb, col, acc := s[:t.opg*maxCols], s[t.opg*maxCols:][:kb*ld], s[t.opg*maxCols+kb*ld:]
	for blk := range t.blocks {
		n0 := blk * t.nb
		nn := min(t.nb, t.p.N-n0)
		cols := nn * t.pix
		dy := t.blockSource(dyb, g, blk)
		t.gatherCols(col, ld, g, n0, nn, c0, c1)
		beta := T(min(blk, 1))
		if t.transposed {
			gemm.Gemm(false, true, kb, t.opg, cols, 1, col, ld, dy, cols, beta, acc, t.opg)
		} else {
			gemm.Gemm(false, true, t.opg, kb, cols, 1, dy, cols, col, ld, beta, dw, t.kc)
		}
	}
	if t.transposed {
		gemm.Transpose(dw, t.kc, acc, t.opg, kb, t.opg)
	}
}

// gatherCols writes the column matrices of input channels [c0, c1) of
// group g for images n0..n0+nn−1 side by side into col (row stride ld):
// image j's columns start at column j·pix.
func (t *convTask[T]) gatherCols(col []T, ld, g, n0, nn, c0, c1 int) {
	if t.direct {
		gatherRows(col, ld, t.x, t.p.C, t.pix, n0, nn, g*t.cpg+c0, c1-c0)
		return
	}
	hw := t.p.H * t.p.W
	for j := range nn {
		im2col(&t.p, c1-c0, t.x[((n0+j)*t.p.C+g*t.cpg+c0)*hw:], col[j*t.pix:], ld)
	}
}

// gatherRows copies channels [c0, c0+rows) of images n0..n0+nn−1 of the
// tensor src (channels × pix per image) into dst (row stride ld), image j
// at columns [j·pix, (j+1)·pix).
func gatherRows[T gemm.Float](dst []T, ld int, src []T, channels, pix, n0, nn, c0, rows int) {
	for j := range nn {
		img := src[((n0+j)*channels+c0)*pix:]
		for r := range rows {
			copy(dst[r*ld+j*pix:][:pix], img[r*pix:][:pix])
		}
	}
}

// scatterRows is the inverse of gatherRows: it copies rows of src (row
// stride ld) back to channels [c0, c0+rows) of the images in dst.
func scatterRows[T gemm.Float](dst []T, channels, pix int, src []T, ld, n0, nn, c0, rows int) {
	for j := range nn {
		img := dst[((n0+j)*channels+c0)*pix:]
		for r := range rows {
			copy(img[r*pix:][:pix], src[r*ld+j*pix:][:pix])
		}
	}
}
