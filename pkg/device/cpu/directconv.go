//go:build amd64

package cpu

import (
	"github.com/collegium/collegium/pkg/device"
	"golang.org/x/sys/cpu"
)

//go:generate go run directconv_gen.go

// Direct convolution: float32 3×3 stride-1 convolutions with few channels
// per group skip im2col, whose GEMM has only cpg·9 inner products per
// output, and run assembly kernels on zero-padded input planes instead.
//
// The group's input channels are copied into planes of width Wp = W+2·PadW
// with their padding. Output (oy, ox) then reads input oy·Wp+ox + ky·Wp+kx
// of a plane, so the whole output plane, laid out with row stride Wp, is a
// 1-D convolution of the flat input: kernels sweep it in tiles of whole
// vectors with no bounds checks, and the Wp−OutW columns per row that wrap
// around are computed and dropped (forward) or zeroed in dy (filter).
//
// Backward data at stride 1 is a forward convolution (runConv), so it takes
// this path too.

// The kernel sets in use: AVX-512 when present, else AVX2+FMA, else none.
// Tests switch them off.
var (
	useDirectAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL
	useDirectAVX2   = cpu.X86.HasAVX2 && cpu.X86.HasFMA
)

// cacheLine is the float32 count of a cache line.
const cacheLine = 16

// directMaxChannels is the largest channel count per group (in and out)
// that takes the direct path; above it im2col's GEMM is efficient.
const directMaxChannels = 16

// fwdKernel computes, for tiles consecutive tiles of ob output channels ×
// nv vectors, y[o·ldy + q] = Σ_c Σ_tap w[(c·9+tap)·ob + o] · x[c·ldx + q +
// ky·row + kx], with q advancing by nv vectors per tile from 0. Each tile
// also prefetches the next pfn cache lines from pf on, so that the memory
// the next item reads streams in while this one computes.
type fwdKernel func(y *float32, ldy int, x *float32, ldx, row int, w *float32, cin, tiles int, pf *float32, pfn int)

// filterKernel adds to dw[o·lddw + ky·3+kx], for ob output channels, Σ_q
// dy[o·lddy + q] · x[q + ky·row + kx] over n vectors of q.
type filterKernel func(dw *float32, lddw int, dy *float32, lddy int, x *float32, row, n int)

// directKernels is a generated kernel set; slices are indexed by tile height.
type directKernels struct {
	vl      int // float32 lanes per vector
	fwd     []fwdKernel
	fwdVecs []int // forward tile width in vectors
	filter  []filterKernel
}

// directKernelSet returns the kernel set in use, or nil.
func directKernelSet() *directKernels {
	switch {
	case useDirectAVX512:
		return &directAVX512
	case useDirectAVX2:
		return &directAVX2
	}
	return nil
}

// directPlan is the scratch layout of a direct convolution.
type directPlan struct {
	k          *directKernels
	wp         int // padded row length
	flat       int // output positions per plane: OutH·wp
	lpad       int // output plane stride: flat rounded up, plus a tile
	ps         int // padded input plane stride
	maxFwd     int // largest forward tile height
	maxFilter  int // largest filter tile height
	scratchLen int
}

// planDirect reports whether t runs on the direct path and lays it out.
func (t *convTask[T]) planDirect() bool {
	p := &t.p
	var zero T
	k := directKernelSet()
	if _, f32 := any(zero).(float32); !f32 || k == nil || t.mode == convBackwardData ||
		p.KH != 3 || p.KW != 3 || p.StrideH != 1 || p.StrideW != 1 || p.DilH != 1 || p.DilW != 1 ||
		t.cpg > directMaxChannels || t.opg > directMaxChannels {
		return false
	}
	d := &t.dp
	d.k = k
	d.maxFwd, d.maxFilter = len(k.fwd)-1, len(k.filter)-1
	d.wp = p.W + 2*p.PadW
	d.flat = p.OutH() * d.wp
	d.lpad = roundUp(d.flat, k.vl) + k.vl*k.fwdVecs[1]
	d.ps = roundUp(d.lpad+2*d.wp+2, k.vl)
	d.scratchLen = t.cpg*d.ps + max(t.opg, d.maxFwd)*d.lpad + d.maxFwd*t.cpg*9
	return true
}

// blocks is the number of tiles of height at most most covering n channels;
// block b of them starts at channel b·n/blocks.
func blocks(n, most int) int { return (n + most - 1) / most }

// runDirect runs forward item i: image i/Groups, group i%Groups.
func (t *convTask[T]) runDirect(wk, i int) {
	scratch, x, w, y := t.directOperands(wk)
	n, g := i/t.p.Groups, i%t.p.Groups
	next := x[min(i+t.e.pool.workers, t.p.N*t.p.Groups-1)*t.cpg*t.p.H*t.p.W:]
	t.dp.forward(&t.p, t.cpg, t.opg, scratch, x, y, w, next, n, g)
}

// directFilter computes the filter gradient of group g's input channels
// [c0, c1), summed over the images in order.
func (t *convTask[T]) directFilter(wk, g, c0, c1 int) {
	scratch, x, w, y := t.directOperands(wk)
	dw := w[g*t.opg*t.cpg*9:][:t.opg*t.cpg*9]
	for o := range t.opg {
		clear(dw[(o*t.cpg+c0)*9 : (o*t.cpg+c1)*9])
	}
	for n := range t.p.N {
		t.dp.filter(&t.p, t.cpg, t.opg, scratch, x, y, w, n, g, c0, c1)
	}
}

// directOperands returns worker wk's scratch and the float32 operands.
func (t *convTask[T]) directOperands(wk int) (scratch, x, w, y []float32) {
	s := grow(t.e.scratch[wk], t.dp.scratchLen)
	t.e.scratch[wk] = s
	scratch, _ = any(s).([]float32)
	x, _ = any(t.x).([]float32)
	w, _ = any(t.w).([]float32)
	y, _ = any(t.y).([]float32)
	return scratch, x, w, y
}

// pad copies input channels [c0, c1) of image n, group g of x into
// zero-padded planes of stride d.ps at the start of s.
func (d *directPlan) pad(p *device.ConvParams, cpg int, s, x []float32, n, g, c0, c1 int) {
	hw := p.H * p.W
	xg := x[(n*p.C+g*cpg)*hw:][:cpg*hw]
	for c := c0; c < c1; c++ {
		plane := s[(c-c0)*d.ps:][:d.ps]
		top := p.PadH * d.wp
		clear(plane[:top])
		for iy := range p.H {
			row := plane[top+iy*d.wp:][:d.wp]
			clear(row[:p.PadW])
			copy(row[p.PadW:p.PadW+p.W], xg[c*hw+iy*p.W:][:p.W])
			clear(row[p.PadW+p.W:])
		}
		clear(plane[top+p.H*d.wp:])
	}
}

// forward computes the opg output planes of image n, group g, prefetching
// the input of the item that follows, next.
func (d *directPlan) forward(p *device.ConvParams, cpg, opg int, s, x, y, w, next []float32, n, g int) {
	d.pad(p, cpg, s, x, n, g, 0, cpg)
	xs := s[:cpg*d.ps]
	out := s[cpg*d.ps:][:d.maxFwd*d.lpad]
	packed := s[cpg*d.ps+d.maxFwd*d.lpad:][:d.maxFwd*cpg*9]
	oh, ow := p.OutH(), p.OutW()
	nb := blocks(opg, d.maxFwd)
	lines := min(len(next), cpg*p.H*p.W) / cacheLine
	tiles := 0
	for b := range nb {
		tw := d.k.fwdVecs[(b+1)*opg/nb-b*opg/nb] * d.k.vl
		tiles += (d.flat + tw - 1) / tw
	}
	pfn, done := (lines+tiles-1)/tiles, 0
	for b := range nb {
		o0, o1 := b*opg/nb, (b+1)*opg/nb
		ob := o1 - o0
		for o := range ob {
			wo := w[(g*opg+o0+o)*cpg*9:][:cpg*9]
			for k, v := range wo {
				packed[k*ob+o] = v
			}
		}
		tw := d.k.fwdVecs[ob] * d.k.vl
		tiles := (d.flat + tw - 1) / tw
		pf := &next[min(done*cacheLine, len(next)-1)]
		d.k.fwd[ob](&out[0], d.lpad, &xs[0], d.ps, d.wp, &packed[0], cpg, tiles, pf, pfn)
		done += pfn * tiles
		for o := range ob {
			yo := y[((n*p.O)+g*opg+o0+o)*oh*ow:][:oh*ow]
			for oy := range oh {
				copy(yo[oy*ow:(oy+1)*ow], out[o*d.lpad+oy*d.wp:][:ow])
			}
		}
	}
}

// filter adds the filter gradient of image n, group g, input channels
// [c0, c1) into dw.
func (d *directPlan) filter(p *device.ConvParams, cpg, opg int, s, x, dy, dw []float32, n, g, c0, c1 int) {
	d.pad(p, cpg, s, x, n, g, c0, c1)
	ds := s[cpg*d.ps:][:opg*d.lpad]
	oh, ow := p.OutH(), p.OutW()
	for o := range opg {
		plane := ds[o*d.lpad:][:d.lpad]
		dyo := dy[(n*p.O+g*opg+o)*oh*ow:][:oh*ow]
		for oy := range oh {
			row := plane[oy*d.wp:][:d.wp]
			copy(row, dyo[oy*ow:(oy+1)*ow])
			clear(row[ow:])
		}
		clear(plane[d.flat:])
	}
	vecs := (d.flat + d.k.vl - 1) / d.k.vl
	nb := blocks(opg, d.maxFilter)
	for b := range nb {
		o0, o1 := b*opg/nb, (b+1)*opg/nb
		for c := c0; c < c1; c++ {
			d.k.filter[o1-o0](&dw[((g*opg+o0)*cpg+c)*9], cpg*9, &ds[o0*d.lpad], d.lpad, &s[(c-c0)*d.ps], d.wp, vecs)
		}
	}
}
