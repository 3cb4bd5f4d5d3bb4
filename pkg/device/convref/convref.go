// Package convref is the reference definition of the grouped 2-D
// cross-correlation of device.ConvParams and of its two gradients, computed
// element by element in float64 from its definition. It is the one
// convolution reference of the repository: the conformance suite
// (pkg/device/devicetest), the CPU device's own tests and the layer
// benchmarks' verification (pkg/bench) all check against it.
package convref

import "github.com/collegium/collegium/pkg/device"

// Float is the element type of the host tensors a reference reads.
type Float interface{ ~float32 | ~float64 }

// sum accumulates the terms of one element: their float64 sum and the sum of
// their absolute values (the scale of its rounding error).
type sum struct{ val, abs float64 }

func (s *sum) add(a, b float64) {
	t := a * b
	s.val += t
	s.abs += max(t, -t)
}

// geometry holds the index arithmetic of p's NCHW tensors.
type geometry struct {
	p        device.ConvParams
	oh, ow   int
	cpg, opg int
}

func newGeometry(p device.ConvParams) geometry {
	return geometry{p: p, oh: p.OutH(), ow: p.OutW(), cpg: p.C / p.Groups, opg: p.O / p.Groups}
}

func (g geometry) xAt(n, c, h, w int) int { return ((n*g.p.C+c)*g.p.H+h)*g.p.W + w }
func (g geometry) yAt(n, o, h, w int) int { return ((n*g.p.O+o)*g.oh+h)*g.ow + w }
func (g geometry) wAt(o, ci, kh, kw int) int {
	return ((o*g.cpg+ci)*g.p.KH+kh)*g.p.KW + kw
}

// Forward is element idx of y = conv(x, w) and the sum of the absolute
// values of its terms.
func Forward[T Float](p device.ConvParams, x, w []T, idx int) (val, abs float64) {
	g := newGeometry(p)
	n, o, oy, ox := idx/(p.O*g.oh*g.ow), idx/(g.oh*g.ow)%p.O, idx/g.ow%g.oh, idx%g.ow
	c0 := o / g.opg * g.cpg
	var s sum
	for ci := range g.cpg {
		for kh := range p.KH {
			iy := oy*p.StrideH - p.PadH + kh*p.DilH
			if iy < 0 || iy >= p.H {
				continue
			}
			for kw := range p.KW {
				ix := ox*p.StrideW - p.PadW + kw*p.DilW
				if ix >= 0 && ix < p.W {
					s.add(float64(x[g.xAt(n, c0+ci, iy, ix)]), float64(w[g.wAt(o, ci, kh, kw)]))
				}
			}
		}
	}
	return s.val, s.abs
}

// BackwardData is element idx of the input gradient dx for the output
// gradient dy, and the sum of the absolute values of its terms.
func BackwardData[T Float](p device.ConvParams, dy, w []T, idx int) (val, abs float64) {
	g := newGeometry(p)
	n, c, h, x := idx/(p.C*p.H*p.W), idx/(p.H*p.W)%p.C, idx/p.W%p.H, idx%p.W
	grp, ci := c/g.cpg, c%g.cpg
	var s sum
	for og := range g.opg {
		o := grp*g.opg + og
		for kh := range p.KH {
			th := h + p.PadH - kh*p.DilH
			if th < 0 || th%p.StrideH != 0 || th/p.StrideH >= g.oh {
				continue
			}
			for kw := range p.KW {
				tw := x + p.PadW - kw*p.DilW
				if tw < 0 || tw%p.StrideW != 0 || tw/p.StrideW >= g.ow {
					continue
				}
				s.add(float64(dy[g.yAt(n, o, th/p.StrideH, tw/p.StrideW)]), float64(w[g.wAt(o, ci, kh, kw)]))
			}
		}
	}
	return s.val, s.abs
}

// BackwardFilter is element idx of the filter gradient dw for the output
// gradient dy, and the sum of the absolute values of its terms.
func BackwardFilter[T Float](p device.ConvParams, x, dy []T, idx int) (val, abs float64) {
	g := newGeometry(p)
	o, ci, kh, kw := idx/(g.cpg*p.KH*p.KW), idx/(p.KH*p.KW)%g.cpg, idx/p.KW%p.KH, idx%p.KW
	c := o/g.opg*g.cpg + ci
	var s sum
	for n := range p.N {
		for oy := range g.oh {
			iy := oy*p.StrideH - p.PadH + kh*p.DilH
			if iy < 0 || iy >= p.H {
				continue
			}
			for ox := range g.ow {
				if ix := ox*p.StrideW - p.PadW + kw*p.DilW; ix >= 0 && ix < p.W {
					s.add(float64(x[g.xAt(n, c, iy, ix)]), float64(dy[g.yAt(n, o, oy, ox)]))
				}
			}
		}
	}
	return s.val, s.abs
}

// All computes every element of y = conv(x, w) and of the gradients dx and
// dw for the output gradient dy.
func All[T Float](p device.ConvParams, x, w, dy []T) (y, dx, dw []float64) {
	y = make([]float64, p.N*p.O*p.OutH()*p.OutW())
	dx = make([]float64, len(x))
	dw = make([]float64, len(w))
	for i := range y {
		y[i], _ = Forward(p, x, w, i)
	}
	for i := range dx {
		dx[i], _ = BackwardData(p, dy, w, i)
	}
	for i := range dw {
		dw[i], _ = BackwardFilter(p, x, dy, i)
	}
	return y, dx, dw
}
