package cpu

import (
	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/device/cpu/gemm"
)

// im2col writes the column matrix of one group of one image: x holds the
// group's C/Groups channels (H×W each) and col the (cpg·KH·KW)×(OutH·OutW)
// matrix whose row (c, kh, kw) lists, for every output pixel, the input it
// multiplies with tap (kh, kw) of channel c (0 in the padding).
func im2col[T gemm.Float](p *device.ConvParams, cpg int, x, col []T) {
	oh, ow := p.OutH(), p.OutW()
	r := 0
	for c := range cpg {
		xc := x[c*p.H*p.W : (c+1)*p.H*p.W]
		for kh := range p.KH {
			for kw := range p.KW {
				row := col[r*oh*ow : (r+1)*oh*ow]
				r++
				dx := kw*p.DilW - p.PadW
				for oy := range oh {
					out := row[oy*ow : (oy+1)*ow]
					iy := oy*p.StrideH + kh*p.DilH - p.PadH
					if iy < 0 || iy >= p.H {
						clear(out)
						continue
					}
					xr := xc[iy*p.W : (iy+1)*p.W]
					if p.StrideW == 1 {
						copyShifted(out, xr, dx)
						continue
					}
					for ox := range out {
						ix := ox*p.StrideW + dx
						if ix >= 0 && ix < p.W {
							out[ox] = xr[ix]
						} else {
							out[ox] = 0
						}
					}
				}
			}
		}
	}
}

// copyShifted sets out[i] = xr[i+dx], or 0 where i+dx falls outside xr.
func copyShifted[T gemm.Float](out, xr []T, dx int) {
	lo := max(0, -dx)
	hi := min(len(out), len(xr)-dx)
	if hi <= lo {
		clear(out)
		return
	}
	clear(out[:lo])
	copy(out[lo:hi], xr[lo+dx:hi+dx])
	clear(out[hi:])
}

// col2im adds the column matrix col of one group of one image back into the
// group's input gradient dx: the adjoint of im2col.
func col2im[T gemm.Float](p *device.ConvParams, cpg int, col, dx []T) {
	oh, ow := p.OutH(), p.OutW()
	r := 0
	for c := range cpg {
		xc := dx[c*p.H*p.W : (c+1)*p.H*p.W]
		for kh := range p.KH {
			for kw := range p.KW {
				row := col[r*oh*ow : (r+1)*oh*ow]
				r++
				dxo := kw*p.DilW - p.PadW
				for oy := range oh {
					iy := oy*p.StrideH + kh*p.DilH - p.PadH
					if iy < 0 || iy >= p.H {
						continue
					}
					xr := xc[iy*p.W : (iy+1)*p.W]
					in := row[oy*ow : (oy+1)*ow]
					if p.StrideW == 1 {
						lo := max(0, -dxo)
						hi := min(ow, p.W-dxo)
						if hi > lo {
							addTo(xr[lo+dxo:hi+dxo], in[lo:hi])
						}
						continue
					}
					for ox, v := range in {
						ix := ox*p.StrideW + dxo
						if ix >= 0 && ix < p.W {
							xr[ix] += v
						}
					}
				}
			}
		}
	}
}

// addTo computes dst += src elementwise.
func addTo[T gemm.Float](dst, src []T) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] += src[i]
	}
}
