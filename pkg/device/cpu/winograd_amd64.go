//go:build amd64

package cpu

import (
	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/device/cpu/gemm"
)

// Winograd convolution: float32 3×3 stride-1 convolutions with padding 1
// and at least winoMinChannels channels per group in and out (ResNeXt's
// grouped 3×3 layers; their input gradients run as the same kind of
// convolution, see runConv) run as F(2×2, 3×3) (Lavin & Gray, 2016): each
// 2×2 output tile is Aᵀ·[(G·g·Gᵀ) ⊙ (Bᵀ·d·B)]·A over its 4×4 input tile d,
// so the sixteen elementwise products, summed over input channels, are
// sixteen matrix products with 2.25 times fewer multiply-adds than the
// convolution's.
//
// Per block of images and group: the input transforms V_ξ (cpg × tiles,
// one matrix per ξ = 4i+j, tiles of all the block's images side by side),
// sixteen products M_ξ = U_ξ·V_ξ with the filter transforms U_ξ (opg ×
// cpg, computed once per call), and the output transforms. The transforms
// run sixteen tiles per AVX-512 vector step over a tile row; a channel's
// input rows are first padded and split into even and odd columns, so
// tile t reads E[t], O[t], E[t+1], O[t+1] of four rows. Output rows pass
// through a scratch row pair, where the vector steps past the row's end
// land. The sum over channels is each product's, so results do not depend
// on the worker count.

// useWinograd lets tests compare the Winograd path with im2col's.
var useWinograd = true

// winoMinChannels is the fewest channels per group (in and out) worth the
// transforms: the products must be deep enough to carry them.
const winoMinChannels = 32

// winoPlan is the layout of a Winograd convolution.
type winoPlan struct {
	th, tw  int // tile rows and columns per image
	t1      int // tiles per image
	nb      int // images per block
	blocks  int
	ldt     int // row stride of V and M: the block's tiles plus a vector of slack
	lp      int // length of one phase of a padded row (E or O)
	prows   int // padded rows per channel: 2·th + 2
	vecs    int // vector steps per tile row
	scratch int // per worker: phase rows, V, M, output rows
}

// planWinograd reports whether t runs as a Winograd convolution and lays it
// out.
func (t *convTask[T]) planWinograd() bool {
	p := &t.p
	var zero T
	if _, f32 := any(zero).(float32); !f32 || !useWinograd || !useVecAVX512 || t.mode == convBackwardData ||
		p.KH != 3 || p.KW != 3 || p.StrideH != 1 || p.StrideW != 1 || p.DilH != 1 || p.DilW != 1 ||
		p.PadH != 1 || p.PadW != 1 || t.cpg < winoMinChannels || t.opg < winoMinChannels || p.OutW() < winoMinWidth {
		return false
	}
	w := &t.wp
	w.th, w.tw = (p.OutH()+1)/2, (p.OutW()+1)/2
	w.t1 = w.th * w.tw
	w.nb = max(1, min(p.N, (winoBlockTiles+w.t1-1)/w.t1))
	w.blocks = (p.N + w.nb - 1) / w.nb
	w.ldt = roundUp(w.nb*w.t1, 16) + 16
	w.vecs = (w.tw + 15) / 16
	w.lp = 16*w.vecs + 16
	w.prows = 2*w.th + 2
	w.scratch = w.prows*2*w.lp + 16*(t.cpg+t.opg)*w.ldt + 2*2*w.lp
	return true
}

// winoMinWidth is the narrowest output worth it: the transforms fill a
// vector with the tiles of one tile row, so a row of 4 tiles (8 columns)
// wastes three quarters of them (measured on one Zen 4 core: 0.93× at 8×8
// with 256 channels per group, 1.36× at 16×16, 1.82× at 32×32).
const winoMinWidth = 16

// winoBlockTiles is the product width a block of images aims at.
const winoBlockTiles = 256

// winoFilters writes U_ξ = (G·g·Gᵀ)[ξ] for every filter g of w into u:
// group g's U_ξ, an opg × cpg matrix, starts at (g·16 + ξ)·opg·cpg.
func winoFilters(p *device.ConvParams, cpg, opg int, w, u []float32) {
	for g := range p.Groups {
		for o := range opg {
			for c := range cpg {
				f := w[((g*opg+o)*cpg+c)*9:][:9]
				var t [4][3]float64 // G·f
				for j := range 3 {
					f0, f1, f2 := float64(f[j]), float64(f[3+j]), float64(f[6+j])
					t[0][j], t[1][j], t[2][j], t[3][j] = f0, (f0+f1+f2)/2, (f0-f1+f2)/2, f2
				}
				for i := range 4 {
					r := [4]float64{t[i][0], (t[i][0] + t[i][1] + t[i][2]) / 2, (t[i][0] - t[i][1] + t[i][2]) / 2, t[i][2]}
					for j, v := range r {
						u[((g*16+i*4+j)*opg+o)*cpg+c] = float32(v)
					}
				}
			}
		}
	}
}

// prepareWinograd writes the filter transforms of a forward pass into
// t.e.packed and returns the item count: (image block, group) pairs for a
// forward pass, groups for a filter gradient (whose dU_ξ t.e.packed holds).
func (t *convTask[T]) prepareWinograd() int {
	if t.mode == convBackwardFilter {
		return t.p.Groups
	}
	w, _ := any(t.w).([]float32)
	u, _ := any(t.e.packed).([]float32)
	winoFilters(&t.p, t.cpg, t.opg, w, u)
	return t.p.Groups * t.wp.blocks
}

// runWinograd computes item i: of a forward pass, image block i/Groups and
// group i%Groups; of a filter gradient, group i.
func (t *convTask[T]) runWinograd(wk, i int) {
	s := grow(t.e.scratch[wk], t.wp.scratch)
	t.e.scratch[wk] = s
	scratch, _ := any(s).([]float32)
	x, _ := any(t.x).([]float32)
	w, _ := any(t.w).([]float32)
	y, _ := any(t.y).([]float32)
	u, _ := any(t.e.packed).([]float32)
	if t.mode == convBackwardFilter {
		t.wp.filter(&t.p, t.cpg, t.opg, scratch, x, y, u, w, i)
		return
	}
	t.wp.run(&t.p, t.cpg, t.opg, scratch, x, y, u, i/t.p.Groups, i%t.p.Groups)
}

// inputs writes the input transforms V_ξ of images [n0, n0+nn) and group
// g into v, through the phase rows.
func (w *winoPlan) inputs(p *device.ConvParams, cpg int, phases, v, x []float32, n0, nn, g int) {
	hw := p.H * p.W
	for j := range nn {
		for c := range cpg {
			w.splitRows(p, phases, x[((n0+j)*p.C+g*cpg+c)*hw:][:hw])
			for ty := range w.th {
				winoInput16(&v[c*w.ldt+j*w.t1+ty*w.tw], cpg*w.ldt, &phases[2*ty*2*w.lp], 2*w.lp, w.lp, w.vecs)
			}
		}
	}
}

func (w *winoPlan) run(p *device.ConvParams, cpg, opg int, s, x, y, u []float32, blk, g int) {
	n0 := blk * w.nb
	nn := min(w.nb, p.N-n0)
	phases := s[:w.prows*2*w.lp]
	v := s[len(phases):][:16*cpg*w.ldt]
	m := s[len(phases)+len(v):][:16*opg*w.ldt]
	out := s[len(phases)+len(v)+len(m):][:4*w.lp]
	w.inputs(p, cpg, phases, v, x, n0, nn, g)
	cols := nn * w.t1
	for xi := range 16 {
		gemm.Gemm(false, false, opg, cols, cpg, 1, u[(g*16+xi)*opg*cpg:], cpg, v[xi*cpg*w.ldt:], w.ldt, 0, m[xi*opg*w.ldt:], w.ldt)
	}
	oh, ow := p.OutH(), p.OutW()
	for j := range nn {
		for o := range opg {
			yo := y[((n0+j)*p.O+g*opg+o)*oh*ow:][:oh*ow]
			for ty := range w.th {
				winoOutput16(&out[0], 2*w.lp, &m[o*w.ldt+j*w.t1+ty*w.tw], opg*w.ldt, w.vecs)
				copy(yo[2*ty*ow:][:ow], out[:ow])
				if 2*ty+1 < oh {
					copy(yo[(2*ty+1)*ow:][:ow], out[2*w.lp:][:ow])
				}
			}
		}
	}
}

// filter computes group g's filter gradient. Forward, each tile's M_ξ =
// Σ_c U_ξ·V_ξ feeds Y = Aᵀ·M·A, so dM = A·dY·Aᵀ per 2×2 tile of dy,
// dU_ξ = Σ dM_ξ·V_ξᵀ over the tiles of every image, and dw = Gᵀ·dU·G per
// filter. The image blocks are summed in order, into du (16·opg·cpg
// floats per group, group g's at g·16·opg·cpg), so results do not depend on
// the worker count.
func (w *winoPlan) filter(p *device.ConvParams, cpg, opg int, s, x, dy, du, dw []float32, g int) {
	phases := s[:w.prows*2*w.lp]
	v := s[len(phases):][:16*cpg*w.ldt]
	m := s[len(phases)+len(v):][:16*opg*w.ldt]
	rows := s[len(phases)+len(v)+len(m):][:4*w.lp]
	dug := du[g*16*opg*cpg:][:16*opg*cpg]
	oh, ow := p.OutH(), p.OutW()
	for blk := range w.blocks {
		n0 := blk * w.nb
		nn := min(w.nb, p.N-n0)
		w.inputs(p, cpg, phases, v, x, n0, nn, g)
		for j := range nn {
			for o := range opg {
				dyo := dy[((n0+j)*p.O+g*opg+o)*oh*ow:][:oh*ow]
				w.gradOutputs(m[o*w.ldt+j*w.t1:], opg*w.ldt, dyo, rows, oh, ow)
			}
		}
		cols := nn * w.t1
		beta := float32(min(blk, 1))
		for xi := range 16 {
			gemm.Gemm(false, true, opg, cpg, cols, 1, m[xi*opg*w.ldt:], w.ldt, v[xi*cpg*w.ldt:], w.ldt, beta, dug[xi*opg*cpg:], cpg)
		}
	}
	winoFilterGrads(cpg, opg, dug, dw[g*opg*cpg*9:][:opg*cpg*9])
}

// gradOutputs writes dM = A·d·Aᵀ of every 2×2 tile d of one channel's
// output gradient dyo (oh × ow, zero past its edges): element ξ of tile t
// goes to m[ξ·ldm + t]. Each row pair is first split into even and odd
// columns (rows: 4·lp floats of scratch), sixteen tiles to a vector.
func (w *winoPlan) gradOutputs(m []float32, ldm int, dyo, rows []float32, oh, ow int) {
	half := ow / 2
	for ty := range w.th {
		for a := range 2 {
			e := rows[2*a*w.lp:][:w.lp]
			o := rows[(2*a+1)*w.lp:][:w.lp]
			iy := 2*ty + a
			if iy >= oh {
				clear(e)
				clear(o)
				continue
			}
			row := dyo[iy*ow:][:ow]
			deinterleave(e, o, row, half)
			n := half
			if ow%2 == 1 {
				e[half] = row[ow-1]
				n = half + 1
			}
			clear(e[n:])
			clear(o[half:])
		}
		winoGradOutput16(&m[ty*w.tw], ldm, &rows[0], w.lp, w.vecs)
	}
}

// winoFilterGrads writes dw = Gᵀ·dU·G (3×3, in float64) for every filter of
// a group from its dU_ξ (opg × cpg matrices, ξ = 4i+j, in du).
func winoFilterGrads(cpg, opg int, du, dw []float32) {
	for o := range opg {
		for c := range cpg {
			var t [3][4]float64 // Gᵀ·dU
			for j := range 4 {
				u0, u1 := float64(du[(j*opg+o)*cpg+c]), float64(du[((4+j)*opg+o)*cpg+c])
				u2, u3 := float64(du[((8+j)*opg+o)*cpg+c]), float64(du[((12+j)*opg+o)*cpg+c])
				t[0][j], t[1][j], t[2][j] = u0+(u1+u2)/2, (u1-u2)/2, (u1+u2)/2+u3
			}
			f := dw[(o*cpg+c)*9:][:9]
			for k, r := range t {
				f[3*k], f[3*k+1], f[3*k+2] = float32(r[0]+(r[1]+r[2])/2), float32((r[1]-r[2])/2), float32((r[1]+r[2])/2+r[3])
			}
		}
	}
}

// splitRows writes the padded rows of one channel xc (one zero row above,
// the rest below), each split into its even columns E and odd columns O
// (lp floats each, zero past the row): padded column q is input column q−1.
func (w *winoPlan) splitRows(p *device.ConvParams, phases, xc []float32) {
	for r := range w.prows {
		e := phases[r*2*w.lp:][:w.lp]
		o := phases[r*2*w.lp+w.lp:][:w.lp]
		iy := r - 1
		if iy < 0 || iy >= p.H {
			clear(e)
			clear(o)
			continue
		}
		// E[k] = x[2k−1], O[k] = x[2k]: odd input columns go to E from
		// E[1], even ones to O from O[0].
		row := xc[iy*p.W:][:p.W]
		half := p.W / 2
		e[0] = 0
		deinterleave(o, e[1:], row, half)
		n := half
		if p.W%2 == 1 {
			o[half] = row[p.W-1]
			n = half + 1
		}
		clear(o[n:])
		clear(e[half+1:])
	}
}

// winoInput16, winoOutput16 and winoGradOutput16 are the transforms of
// winograd_amd64.s.

//go:noescape
func winoInput16(v *float32, ldv int, rows *float32, ldr, lp, vecs int)

//go:noescape
func winoOutput16(dst *float32, ldd int, m *float32, ldm, vecs int)

//go:noescape
func winoGradOutput16(m *float32, ldm int, rows *float32, lp, vecs int)
