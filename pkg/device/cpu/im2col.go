package cpu

import (
	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/device/cpu/gemm"
)

// im2col writes the column matrix of one group of one image: x holds the
// group's C/Groups channels (H×W each) and col the (cpg·KH·KW)×(OutH·OutW)
// matrix, rows ld elements apart, whose row (c, kh, kw) lists, for every
// output pixel, the input it multiplies with tap (kh, kw) of channel c (0 in
// the padding).
func im2col[T gemm.Float](p *device.ConvParams, cpg int, x, col []T, ld int) {
	colRows(p, cpg, x, col, ld, false)
}

// col2im adds the column matrix col (rows ld apart) of one group of one
// image back into the group's input gradient dx: the adjoint of im2col.
func col2im[T gemm.Float](p *device.ConvParams, cpg int, col []T, ld int, dx []T) {
	colRows(p, cpg, dx, col, ld, true)
}

// colStride is the row stride of a column matrix of pix columns: pix
// rounded up to a whole number of 64-byte lines, plus one line when that is a
// multiple of 1 KiB. Rows a multiple of 4 KiB apart (32×32 outputs in
// float32) all fall in one L1 set, so the GEMM reading a column panel down
// them would evict its own lines; measured 84 → 109 GFLOP/s on a 64×1024×576
// product on one Xeon core.
func colStride(pix int) int {
	ld := (pix + 15) &^ 15
	if ld%256 == 0 {
		ld += 16
	}
	return ld
}

// colRows walks the rows of the column matrix col of image x: it gathers x
// into col, or when add scatters col back, adding into x.
func colRows[T gemm.Float](p *device.ConvParams, cpg int, x, col []T, ld int, add bool) {
	oh, ow := p.OutH(), p.OutW()
	if p.KH*p.KW > 1 && p.KH*p.KW*oh*ow <= smallTaps && p.H*p.W < smallPlane {
		colSmall(p, cpg, x, col, ld, add)
		return
	}
	if p.StrideH == 1 && p.StrideW == 1 && ow == p.W {
		colPlanes(p, cpg, x, col, ld, 0, oh, add)
		return
	}
	if !add && p.StrideW == 2 && p.DilW == 1 && p.W >= phaseMinWidth && p.W <= phaseMaxWidth {
		colPhases(p, cpg, x, col, ld)
		return
	}
	if p.KH == 1 && p.KW == 1 && p.PadH == 0 && p.PadW == 0 {
		colPoints(p, cpg, x, col, ld, add)
		return
	}
	colTaps(p, cpg, x, col, ld, add)
}

// Bounds of colSmall: the entries of its tap table (taps × output pixels)
// and the plane it copies, both kept on the stack.
const (
	smallTaps  = 256
	smallPlane = 256
)

// colSmall is colRows for tiny images (4×4 and 2×2 outputs of a 3×3
// kernel): the loops of colPlanes and colTaps make several calls per row of
// col, each for a handful of elements, which at 2×2 outputs took 87 % of a
// grouped 3×3 pass. It works out once a table of where each (tap, output
// pixel) reads in the plane, the padding pointing at a slot after it, and
// walks every row through it on a copy of the plane: gathering, with the
// slot 0, or when add scattering, adding row by row in col's order, the
// slot collecting what falls in the padding.
func colSmall[T gemm.Float](p *device.ConvParams, cpg int, x, col []T, ld int, add bool) {
	oh, ow, plane := p.OutH(), p.OutW(), p.H*p.W
	pix, taps := oh*ow, p.KH*p.KW
	var tab [smallTaps]int32
	for kh := range p.KH {
		for kw := range p.KW {
			t := (kh*p.KW + kw) * pix
			for oy := range oh {
				iy := oy*p.StrideH + kh*p.DilH - p.PadH
				for ox := range ow {
					ix := ox*p.StrideW + kw*p.DilW - p.PadW
					src := int32(plane)
					if iy >= 0 && iy < p.H && ix >= 0 && ix < p.W {
						src = int32(iy*p.W + ix)
					}
					tab[t+oy*ow+ox] = src
				}
			}
		}
	}
	var z [smallPlane]T
	for c := range cpg {
		xc := x[c*plane : (c+1)*plane]
		copy(z[:plane], xc)
		z[plane] = 0
		for t := range taps {
			row := col[(c*taps+t)*ld:][:pix]
			idx := tab[t*pix : (t+1)*pix]
			if add {
				for q, src := range idx {
					z[src] += row[q]
				}
				continue
			}
			for q, src := range idx {
				row[q] = z[src]
			}
		}
		if add {
			copy(xc, z[:plane])
		}
	}
}

// colTaps is the general loop of colRows. For each row (c, kh, kw) of col it
// works out once the output rows and columns whose input lies inside the
// image, clears the others (gather) and walks the inside ones without
// per-element bounds tests or per-row calls: at 8×8 to 16×16 outputs those
// cost a quarter of a stride-2 3×3 input gradient. The scatter adds in the
// order of the rows and columns of col, as the per-element loop did.
func colTaps[T gemm.Float](p *device.ConvParams, cpg int, x, col []T, ld int, add bool) {
	oh, ow, sw := p.OutH(), p.OutW(), p.StrideW
	r := 0
	for c := range cpg {
		xc := x[c*p.H*p.W : (c+1)*p.H*p.W]
		for kh := range p.KH {
			dy := kh*p.DilH - p.PadH
			oy0, oy1 := tapRange(oh, p.H, dy, p.StrideH)
			for kw := range p.KW {
				row := col[r*ld : r*ld+oh*ow]
				r++
				dx := kw*p.DilW - p.PadW
				ox0, ox1 := tapRange(ow, p.W, dx, sw)
				if !add && (ox0 > 0 || ox1 < ow) {
					clear(row)
				} else if !add {
					clear(row[:oy0*ow])
					clear(row[oy1*ow:])
				}
				if ox1 == ox0 {
					continue
				}
				for oy := oy0; oy < oy1; oy++ {
					in := row[oy*ow+ox0 : oy*ow+ox1]
					xr := xc[(oy*p.StrideH+dy)*p.W+ox0*sw+dx:][:(len(in)-1)*sw+1]
					if add {
						for i, v := range in {
							xr[i*sw] += v
						}
						continue
					}
					for i := range in {
						in[i] = xr[i*sw]
					}
				}
			}
		}
	}
}

// tapRange returns the range [lo, hi) of output positions o < n whose input
// position o·s + d lies inside [0, size).
func tapRange(n, size, d, s int) (lo, hi int) {
	if d < 0 {
		lo = (s - 1 - d) / s
	}
	if size > d {
		hi = min(n, (size-1-d)/s+1)
	}
	return min(lo, hi), hi
}

// colPoints is colRows for a 1×1 kernel without padding (the strided
// projections of a ResNeXt): every column reads one input element, always
// inside the image, so each output row is a strided walk without the bounds
// tests and calls of the general loop, which at 2×2 to 8×8 outputs cost as
// much as the product.
func colPoints[T gemm.Float](p *device.ConvParams, cpg int, x, col []T, ld int, add bool) {
	oh, ow, sw, plane := p.OutH(), p.OutW(), p.StrideW, p.H*p.W
	for c := range cpg {
		xc := x[c*plane : (c+1)*plane]
		row := col[c*ld : c*ld+oh*ow]
		for oy := range oh {
			xr := xc[oy*p.StrideH*p.W:][:(ow-1)*sw+1]
			out := row[oy*ow : (oy+1)*ow]
			if add {
				for ox, v := range out {
					xr[ox*sw] += v
				}
				continue
			}
			for ox := range out {
				out[ox] = xr[ox*sw]
			}
		}
	}
}

// colPlanes is colRows for stride 1 and output width = input width, over
// output rows [by0, by1) (col then has (by1−by0)·OutW columns, rows ld
// apart): a row of col is the channel plane shifted by one flat offset, so
// it moves as one contiguous run, after which the columns that wrapped around
// a plane row are zeroed (gather) or zeroed before the run is added
// (scatter).
func colPlanes[T gemm.Float](p *device.ConvParams, cpg int, x, col []T, ld, by0, by1 int, add bool) {
	oh, ow, plane := p.OutH(), p.OutW(), p.H*p.W
	a := by0 * ow
	r := 0
	for c := range cpg {
		xc := x[c*plane : (c+1)*plane]
		for kh := range p.KH {
			dy := kh*p.DilH - p.PadH
			oy0 := max(by0, -dy)
			oy1 := max(oy0, min(by1, oh, p.H-dy))
			for kw := range p.KW {
				row := col[r*ld : r*ld+(by1-by0)*ow]
				r++
				dx := kw*p.DilW - p.PadW
				shift := dy*p.W + dx
				slo, shi := max(oy0*ow, -shift), min(oy1*ow, plane-shift)
				if shi <= slo {
					if !add {
						clear(row)
					}
					continue
				}
				if add {
					wrapColumns(row, oy0-by0, oy1-by0, ow, dx)
					addTo(xc[slo+shift:shi+shift], row[slo-a:shi-a])
					continue
				}
				clear(row[:slo-a])
				copy(row[slo-a:shi-a], xc[slo+shift:shi+shift])
				clear(row[shi-a:])
				wrapColumns(row, oy0-by0, oy1-by0, ow, dx)
			}
		}
	}
}

// wrapColumns zeroes, in output rows [oy0, oy1) of row, the columns whose
// input column ox+dx lies outside [0, ow).
func wrapColumns[T gemm.Float](row []T, oy0, oy1, ow, dx int) {
	if dx == 0 {
		return
	}
	lo, hi := 0, min(-dx, ow)
	if dx > 0 {
		lo, hi = max(ow-dx, 0), ow
	}
	for oy := oy0; oy < oy1; oy++ {
		clear(row[oy*ow+lo : oy*ow+hi])
	}
}

// shifted sets out[i] = xr[i+dx] (0 where i+dx falls outside xr), or when
// add adds out[i] into xr[i+dx].
func shifted[T gemm.Float](out, xr []T, dx int, add bool) {
	lo := min(max(0, -dx), len(out))
	hi := min(len(out), len(xr)-dx)
	if hi <= lo {
		if !add {
			clear(out)
		}
		return
	}
	if add {
		addTo(xr[lo+dx:hi+dx], out[lo:hi])
		return
	}
	clear(out[:lo])
	copy(out[lo:hi], xr[lo+dx:hi+dx])
	clear(out[hi:])
}

// colPhases gathers rows of at least phaseMinWidth and at most
// phaseMaxWidth (split on the stack): below, its per-row calls cost more
// than the element-wise gather (measured on one Zen 4 core: at width 7 the
// passes of a stride-2 3×3 convolution ran 0.8× as fast, at 28 and 32 the
// forward 1.2–1.5× as fast; scattering by phases never paid).
const (
	phaseMinWidth = 24
	phaseMaxWidth = 1024
)

// colPhases is the gather of colRows for column stride 2: each input row
// that an output row reads is split once into its even and odd columns, and
// every tap (kh, kw) of that row is then a shifted copy of one of the two:
// tap column ox·2 + kw − PadW is element ox + (kw−PadW)>>1 of phase
// (kw−PadW)&1.
func colPhases[T gemm.Float](p *device.ConvParams, cpg int, x, col []T, ld int) {
	oh, ow := p.OutH(), p.OutW()
	var buf [phaseMaxWidth + 1]T
	half := (p.W + 1) / 2
	even, odd := buf[:half], buf[half:2*half]
	r := 0
	for c := range cpg {
		xc := x[c*p.H*p.W : (c+1)*p.H*p.W]
		for kh := range p.KH {
			rows := col[r*ld:]
			r += p.KW
			for oy := range oh {
				iy := oy*p.StrideH + kh*p.DilH - p.PadH
				if iy < 0 || iy >= p.H {
					for kw := range p.KW {
						clear(rows[kw*ld+oy*ow:][:ow])
					}
					continue
				}
				splitPhases(even, odd, xc[iy*p.W:][:p.W])
				for kw := range p.KW {
					dx := kw - p.PadW
					src := even
					if dx&1 == 1 {
						src = odd
					}
					shifted(rows[kw*ld+oy*ow:][:ow], src, dx>>1, false)
				}
			}
		}
	}
}

// splitPhases sets even[i] = xr[2i] and odd[i] = xr[2i+1]; with an odd
// length the last element goes to even and odd's last is 0.
func splitPhases[T gemm.Float](even, odd, xr []T) {
	n := len(xr) / 2
	if e32, ok := any(even).([]float32); ok {
		deinterleave(e32, any(odd).([]float32), any(xr).([]float32), n)
	} else {
		for i := range n {
			even[i], odd[i] = xr[2*i], xr[2*i+1]
		}
	}
	if len(xr)%2 == 1 {
		even[n], odd[n] = xr[2*n], 0
	}
}

// addTo computes dst += src elementwise.
func addTo[T gemm.Float](dst, src []T) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] += src[i]
	}
}
