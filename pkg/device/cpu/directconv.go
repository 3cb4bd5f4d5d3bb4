//go:build amd64

package cpu

import (
	"github.com/collegium/collegium/pkg/device"
	"golang.org/x/sys/cpu"
)

//go:generate go run directconv_gen.go

// Direct convolution: float32 3×3 convolutions at stride 1 or 2 with few
// channels per group skip im2col, whose GEMM has only cpg·9 inner products
// per output (and whose gather, at stride 2, cost more than the product),
// and run assembly kernels on zero-padded input planes instead.
//
// The group's input channels are copied, with their padding, into planes of
// row length R. At stride 1 a channel is one plane, R = W+2·PadW; at stride
// 2 it is four phase planes, plane (a, b) holding the rows a, a+2, … and
// columns b, b+2, … of the padded input, R = ⌈(W+2·PadW)/2⌉. Output (oy, ox)
// is flat position q = oy·R+ox, and tap (ky, kx) reads the channel's planes
// at q plus a fixed offset (the tap table): ky·R+kx at stride 1; at stride 2
// the start of phase plane (ky%2, kx%2) plus (ky/2)·R+kx/2. So the whole
// output plane is a 1-D convolution of the flat input with nine offsets:
// kernels sweep it in tiles of whole vectors with no bounds checks, and the
// R−OutW columns per row that wrap around are computed and dropped (forward)
// or zeroed in dy (filter).
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

// A filter gradient with at most directFilterFewInputs input channels per
// group takes the direct path with up to directFilterMaxOutputs output
// channels per group: its GEMM, dW_g (opg × cpg·9) = Σ dY·colᵀ, is at most
// 27 columns wide, which the 16×16 micro-kernel mostly wastes (ConvNet-CE's
// 1 → 64 layer at 28×28 1.22×, ResNeXt-29's 3 → 64 at 32×32 1.6–1.7× less
// CPU per pass); its forward stays on im2col, which measured as fast or
// faster. Above 64 outputs the dy planes of one image outgrow the L2 cache.
const (
	directFilterFewInputs  = 3
	directFilterMaxOutputs = 64
)

// directMinPixels is the fewest output pixels per image for which a batch
// takes the direct path. Below, its planes are mostly padding and the
// batched path (convbatch.go, with colSmall's im2col) multiplies all images
// at once: ResNeXt-50's 16-channel-per-group 3×3 layers with 4×4 outputs
// took 0.60–0.69× the time there for their filter gradients and 0.62–0.89×
// for their other passes, while filter gradients with 8×8 outputs took
// 1.5–1.7×.
const directMinPixels = 17

// fwdKernel computes, for tiles consecutive tiles of ob output channels ×
// nv vectors, y[o·ldy + q] = Σ_c Σ_t w[(c·ntaps+t)·ob + o] · x[c·ldx + q +
// taps[t]/4] (taps in bytes), with q advancing by nv vectors per tile from
// 0. Each tile also prefetches the next pfn cache lines from pf on, so that
// the memory the next item reads streams in while this one computes.
type fwdKernel func(y *float32, ldy int, x *float32, ldx int, taps *int, ntaps int, w *float32, cin, tiles int, pf *float32, pfn int)

// filterKernel adds to dw[o·lddw + tap], for ob output channels, Σ_q
// dy[o·lddy + q] · x[q + taps[tap]/4] over n vectors of q. It first
// prefetches pfn cache lines from pf on: the next image's input, which the
// filter gradient reads long after the forward pass did.
type filterKernel func(dw *float32, lddw int, dy *float32, lddy int, x *float32, taps *int, n int, pf *float32, pfn int)

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
	stride     int
	rowLen     int    // R: the row length of the planes and of the flat output
	flat       int    // output positions per plane: OutH·R
	lpad       int    // output plane stride: flat rounded up, plus a tile
	phase      int    // length of one (phase) plane
	ps         int    // input channel stride: stride² phase planes
	taps       [9]int // tap table: byte offsets from q
	maxFwd     int    // largest forward tile height
	fwdBlocks  int    // forward: blocks of output channels (see tileBlocks)
	maxFilter  int    // largest filter tile height
	scratchLen int
	back       phaseBack // the stride-2 input gradient's layout
}

// phaseBack lays out the input gradient of a stride-2 convolution (see
// dataPhases): dy goes into planes of row length rowLen with one zero row
// and column before the data, and each of the four phase planes of the
// padded dx is a stride-1 convolution of them with the filter taps of its
// phase.
type phaseBack struct {
	rowLen, rows int       // dy planes: row length, rows holding outputs
	flat, lpad   int       // phase plane outputs: positions, stride
	plane        int       // dy plane stride
	taps         [4][4]int // per phase (a·2+b): tap offsets in bytes
	ntaps        [4]int
	kidx         [4][4]int // per phase: the taps' filter positions ky·3+kx
	woff         [4]int    // per phase: where its packed weights start in a group's
	blocks       int       // blocks of dx channels (see tileBlocks)
}

// planDirect reports whether t runs on the direct path and lays it out.
func (t *convTask[T]) planDirect() bool {
	p := &t.p
	var zero T
	k := directKernelSet()
	if _, f32 := any(zero).(float32); !f32 || k == nil || (t.mode == convBackwardData && p.StrideH != 2) ||
		p.KH != 3 || p.KW != 3 || p.StrideH != p.StrideW || p.StrideH > 2 || p.DilH != 1 || p.DilW != 1 ||
		t.cpg > directMaxChannels || t.opg > directMaxChannels && !t.wideFilter() ||
		(p.OutH()*p.OutW() < directMinPixels && p.N > 1) {
		return false
	}
	d := &t.dp
	d.k, d.stride = k, p.StrideH
	d.maxFwd, d.maxFilter = len(k.fwd)-1, len(k.filter)-1
	if t.mode == convBackwardData {
		d.planBack(p, t.cpg, t.opg)
		return true
	}
	wp := p.W + 2*p.PadW
	d.rowLen = (wp + d.stride - 1) / d.stride
	d.flat = p.OutH() * d.rowLen
	d.lpad = roundUp(d.flat, k.vl) + k.vl*k.fwdVecs[1]
	reach := 2*d.rowLen + 2 // the farthest tap inside a plane
	if d.stride == 2 {
		reach = d.rowLen + 1
	}
	d.phase = roundUp(d.lpad+reach, k.vl)
	d.fwdBlocks = k.tileBlocks(t.opg, d.flat)
	d.ps = d.stride * d.stride * d.phase
	for ky := range 3 {
		for kx := range 3 {
			off := ky*d.rowLen + kx
			if d.stride == 2 {
				off = (ky%2*2+kx%2)*d.phase + ky/2*d.rowLen + kx/2
			}
			d.taps[ky*3+kx] = 4 * off
		}
	}
	d.scratchLen = t.cpg*d.ps + max(t.opg, d.maxFwd)*d.lpad
	return true
}

// wideFilter reports whether t is a filter gradient of few input channels
// per group that takes the direct path with more than directMaxChannels
// outputs per group.
func (t *convTask[T]) wideFilter() bool {
	return t.mode == convBackwardFilter && t.cpg <= directFilterFewInputs && t.opg <= directFilterMaxOutputs
}

// planBack lays out the stride-2 input gradient (phaseBack). Padded dx row
// r = 2i+a takes filter rows ky = a+2m (m = 0, 1 for a = 0; m = 0 for a = 1)
// from dy row i−m, that is dy plane row i+1−m; columns likewise.
func (d *directPlan) planBack(p *device.ConvParams, cpg, opg int) {
	b := &d.back
	hp, wp := p.H+2*p.PadH, p.W+2*p.PadW
	ih, jw := (hp+1)/2, (wp+1)/2
	b.rowLen = max(jw+1, p.OutW()+2)
	b.rows = ih
	b.flat = ih * b.rowLen
	b.lpad = roundUp(b.flat, d.k.vl) + d.k.vl*d.k.fwdVecs[1]
	b.plane = roundUp(b.lpad+b.rowLen+1, d.k.vl)
	b.blocks = d.k.tileBlocks(cpg, b.flat)
	woff := 0
	for a := range 2 {
		for c := range 2 {
			ph := a*2 + c
			b.ntaps[ph], b.woff[ph] = 0, woff
			for ky := a; ky < 3; ky += 2 {
				for kx := c; kx < 3; kx += 2 {
					m, n := ky/2, kx/2
					b.taps[ph][b.ntaps[ph]] = 4 * ((1-m)*b.rowLen + 1 - n)
					b.kidx[ph][b.ntaps[ph]] = ky*3 + kx
					b.ntaps[ph]++
				}
			}
			woff += cpg * opg * b.ntaps[ph]
		}
	}
	d.scratchLen = opg*b.plane + 4*cpg*b.lpad
}

// packBack lays the filter out for the phase convolutions: for group g,
// phase ph and block of input channels [c0, c1), the weights start at
// g·cpg·opg·9 + woff[ph] + c0·opg·ntaps[ph], element (o·ntaps + t)·(c1−c0)
// + c = w[g·opg+o][c0+c][kidx[ph][t]].
func (d *directPlan) packBack(p *device.ConvParams, cpg, opg int, w, packed []float32) {
	b := &d.back
	nb := d.back.blocks
	for g := range p.Groups {
		for ph := range 4 {
			nt := b.ntaps[ph]
			for blk := range nb {
				c0, c1 := blk*cpg/nb, (blk+1)*cpg/nb
				cb := c1 - c0
				dst := packed[g*cpg*opg*9+b.woff[ph]+c0*opg*nt:][:cb*opg*nt]
				for o := range opg {
					for t := range nt {
						for c := range cb {
							dst[(o*nt+t)*cb+c] = w[((g*opg+o)*cpg+c0+c)*9+b.kidx[ph][t]]
						}
					}
				}
			}
		}
	}
}

// dataPhases computes the input gradient of image n, group g of a stride-2
// convolution: dy into zero-bordered planes, the four phase planes of the
// padded dx as stride-1 convolutions of them, then each dx row interleaved
// from its two phases.
func (d *directPlan) dataPhases(p *device.ConvParams, cpg, opg int, s, dx, dy, packed []float32, n, g int) {
	b := &d.back
	oh, ow := p.OutH(), p.OutW()
	dys := s[:opg*b.plane]
	clear(dys)
	for o := range opg {
		copyRows(dys[o*b.plane+b.rowLen+1:], dy[(n*p.O+g*opg+o)*oh*ow:], ow, ow, oh, b.rowLen, ow)
	}
	out := s[opg*b.plane:][:4*cpg*b.lpad]
	nb := b.blocks
	for ph := range 4 {
		nt := b.ntaps[ph]
		for blk := range nb {
			c0, c1 := blk*cpg/nb, (blk+1)*cpg/nb
			cb := c1 - c0
			tw := d.k.fwdVecs[cb] * d.k.vl
			w := &packed[g*cpg*opg*9+b.woff[ph]+c0*opg*nt]
			d.k.fwd[cb](&out[(ph*cpg+c0)*b.lpad], b.lpad, &dys[0], b.plane, &b.taps[ph][0], nt, w, opg, (b.flat+tw-1)/tw, &dys[0], 0)
		}
	}
	hw := p.H * p.W
	be := p.PadW & 1
	je, jo := p.PadW>>1, (p.PadW+1)>>1
	for c := range cpg {
		dxc := dx[(n*p.C+g*cpg+c)*hw:][:hw]
		for a := range 2 {
			iy := (a ^ p.PadH) & 1 // the first dx row r = iy+PadH with r%2 = a
			if iy >= p.H {
				continue
			}
			row := ((iy + p.PadH) >> 1) * b.rowLen
			evens := out[((a*2+be)*cpg+c)*b.lpad+row+je:]
			odds := out[((a*2+1-be)*cpg+c)*b.lpad+row+jo:]
			interleaveRows(dxc[iy*p.W:], evens, odds, p.W, (p.H-iy+1)/2, 2*p.W, b.rowLen)
		}
	}
}

// tileBlocks is the number of blocks, each run by the forward kernel of
// its height, that n output channels of planes of flat positions are cut
// into: of the cuts into equal blocks no higher than the tallest kernel, the
// one with the fewest vector FMAs plus loads (weights and inputs), whole
// tiles counted (the fewest blocks among equals). A 7×8 plane (56
// positions, 4 vectors) in 16 channels is 2 tiles of 3 vectors for each
// block of 8 (140 per tap and channel), but one tile for blocks of 5, 5
// and 6 (104). The cut changes only which outputs share a tile, not how any
// output is summed.
func (k *directKernels) tileBlocks(n, flat int) int {
	vecs := (flat + k.vl - 1) / k.vl
	best, bestCost := 0, 0
	for nb := blocks(n, len(k.fwd)-1); nb <= n; nb++ {
		cost := 0
		for b := range nb {
			h := (b+1)*n/nb - b*n/nb
			nv := k.fwdVecs[h]
			cost += (h*nv + h + nv) * ((vecs + nv - 1) / nv)
		}
		if best == 0 || cost < bestCost {
			best, bestCost = nb, cost
		}
	}
	return best
}

// blocks is the number of tiles of height at most most covering n channels;
// block b of them starts at channel b·n/blocks.
func blocks(n, most int) int { return (n + most - 1) / most }

// runDirect runs item i, image i/Groups, group i%Groups, of a forward or
// (stride-2) backward-data pass.
func (t *convTask[T]) runDirect(wk, i int) {
	scratch, x, _, y := t.directOperands(wk)
	n, g := i/t.p.Groups, i%t.p.Groups
	packed, _ := any(t.e.packed).([]float32)
	if t.mode == convBackwardData {
		t.dp.dataPhases(&t.p, t.cpg, t.opg, scratch, x, y, packed, n, g)
		return
	}
	next := x[min(i+t.e.pool.workers, t.p.N*t.p.Groups-1)*t.cpg*t.p.H*t.p.W:]
	t.dp.forward(&t.p, t.cpg, t.opg, scratch, x, y, packed, next, n, g)
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

// packDirect lays the filter out for the forward kernels in t.e.packed.
func (t *convTask[T]) packDirect() {
	w, _ := any(t.w).([]float32)
	packed, _ := any(t.e.packed).([]float32)
	if t.mode == convBackwardData {
		t.dp.packBack(&t.p, t.cpg, t.opg, w, packed)
		return
	}
	t.dp.packWeights(&t.p, t.cpg, t.opg, w, packed)
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
// zero-padded planes (phase planes at stride 2), d.ps apart from the start
// of s.
func (d *directPlan) pad(p *device.ConvParams, cpg int, s, x []float32, n, g, c0, c1 int) {
	hw := p.H * p.W
	xg := x[(n*p.C+g*cpg)*hw:][:cpg*hw]
	for c := c0; c < c1; c++ {
		planes := s[(c-c0)*d.ps:][:d.ps]
		xc := xg[c*hw:][:hw]
		if d.stride == 2 {
			d.padPhases(p, planes, xc)
			continue
		}
		top := p.PadH * d.rowLen
		clear(planes[:top])
		for iy := range p.H {
			row := planes[top+iy*d.rowLen:][:d.rowLen]
			clear(row[:p.PadW])
			copy(row[p.PadW:p.PadW+p.W], xc[iy*p.W:][:p.W])
			clear(row[p.PadW+p.W:])
		}
		clear(planes[top+p.H*d.rowLen:])
	}
}

// padPhases writes the four phase planes of one channel xc: padded input
// element (r, pc) goes to plane (r%2, pc%2) at row r/2, column pc/2. A row's
// even input columns land in plane column phase PadW%2, its odd ones in the
// other; the input rows of one row phase go in one deinterleaveRows call.
func (d *directPlan) padPhases(p *device.ConvParams, planes, xc []float32) {
	clear(planes)
	b0 := p.PadW & 1
	j0, j1 := p.PadW>>1, (p.PadW+1)>>1
	for a := range 2 {
		iy := (a ^ p.PadH) & 1 // the first input row r = iy+PadH with r%2 = a
		if iy >= p.H {
			continue
		}
		base := a*2*d.phase + ((iy+p.PadH)>>1)*d.rowLen
		deinterleaveRows(planes[base+b0*d.phase+j0:], planes[base+(1-b0)*d.phase+j1:], xc[iy*p.W:], p.W,
			(p.H-iy+1)/2, 2*p.W, d.rowLen)
	}
}

// packWeights lays the filter w out for the forward kernels: for each
// group g and block of output channels [o0, o1) of it, the block's weights
// start at (g·opg+o0)·cpg·9, tap-major: element (c·9+tap)·(o1−o0) + o.
func (d *directPlan) packWeights(p *device.ConvParams, cpg, opg int, w, packed []float32) {
	nb := d.fwdBlocks
	for g := range p.Groups {
		for b := range nb {
			o0, o1 := b*opg/nb, (b+1)*opg/nb
			ob := o1 - o0
			dst := packed[(g*opg+o0)*cpg*9:][:ob*cpg*9]
			for o := range ob {
				for k, v := range w[(g*opg+o0+o)*cpg*9:][:cpg*9] {
					dst[k*ob+o] = v
				}
			}
		}
	}
}

// forward computes the opg output planes of image n, group g from the
// weights packWeights laid out, prefetching the input of the item that
// follows, next.
func (d *directPlan) forward(p *device.ConvParams, cpg, opg int, s, x, y, packed, next []float32, n, g int) {
	d.pad(p, cpg, s, x, n, g, 0, cpg)
	xs := s[:cpg*d.ps]
	out := s[cpg*d.ps:][:d.maxFwd*d.lpad]
	oh, ow := p.OutH(), p.OutW()
	nb := d.fwdBlocks
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
		tw := d.k.fwdVecs[ob] * d.k.vl
		tiles := (d.flat + tw - 1) / tw
		pf := &next[min(done*cacheLine, len(next)-1)]
		d.k.fwd[ob](&out[0], d.lpad, &xs[0], d.ps, &d.taps[0], len(d.taps), &packed[(g*opg+o0)*cpg*9], cpg, tiles, pf, pfn)
		done += pfn * tiles
		for o := range ob {
			copyRows(y[((n*p.O)+g*opg+o0+o)*oh*ow:], out[o*d.lpad:], ow, ow, oh, ow, d.rowLen)
		}
	}
}

// filter adds the filter gradient of image n, group g, input channels
// [c0, c1) into dw, prefetching the same channels of image n+1.
func (d *directPlan) filter(p *device.ConvParams, cpg, opg int, s, x, dy, dw []float32, n, g, c0, c1 int) {
	d.pad(p, cpg, s, x, n, g, c0, c1)
	hw := p.H * p.W
	var next []float32
	if n+1 < p.N {
		next = x[((n+1)*p.C+g*cpg+c0)*hw:][:(c1-c0)*hw]
	} else {
		next = x[:1]
	}
	ds := s[cpg*d.ps:][:opg*d.lpad]
	oh, ow := p.OutH(), p.OutW()
	vecs := (d.flat + d.k.vl - 1) / d.k.vl
	for o := range opg {
		plane := ds[o*d.lpad:][:vecs*d.k.vl]
		copyRows(plane, dy[(n*p.O+g*opg+o)*oh*ow:], ow, d.rowLen, oh, d.rowLen, ow)
		clear(plane[d.flat:])
	}
	nb := blocks(opg, d.maxFilter)
	calls := nb * (c1 - c0)
	pfn := (len(next)/cacheLine + calls - 1) / calls
	done := 0
	for b := range nb {
		o0, o1 := b*opg/nb, (b+1)*opg/nb
		for c := c0; c < c1; c++ {
			pf := &next[min(done*cacheLine, len(next)-1)]
			d.k.filter[o1-o0](&dw[((g*opg+o0)*cpg+c)*9], cpg*9, &ds[o0*d.lpad], d.lpad, &s[(c-c0)*d.ps], &d.taps[0], vecs, pf, pfn)
			done += pfn
		}
	}
}
