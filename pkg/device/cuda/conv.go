//go:build gpu || cudaemu

package cuda

import (
	"errors"
	"fmt"

	"github.com/collegium/collegium/pkg/device"
)

// convArgs appends the integer shape arguments every v1 conv kernel takes, in
// kernels/conv.cu's order: N C H W O KH KW G sh sw ph pw dh dw OH OW.
func convArgs(a *args, p device.ConvParams) {
	for _, v := range []int{p.N, p.C, p.H, p.W, p.O, p.KH, p.KW, p.Groups, p.StrideH, p.StrideW, p.PadH, p.PadW, p.DilH, p.DilW, p.OutH(), p.OutW()} {
		a.i32(v)
	}
}

// convSizes are the element counts of x, w and y for p.
func convSizes(p device.ConvParams) (x, w, y int) {
	return p.N * p.C * p.H * p.W, p.O * (p.C / p.Groups) * p.KH * p.KW, p.N * p.O * p.OutH() * p.OutW()
}

// Tensor roles of the conv kernels' three buffer arguments.
const (
	roleX = iota
	roleW
	roleY
)

// convOperands validates p and the buffers, whose roles say which of x, w, y
// each is (for its length).
func (d *Device) convOperands(op string, p device.ConvParams, bufs [3]device.Buffer, roles [3]int) ([]*Buffer, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %s: %w", d.Name(), op, err)
	}
	bs, err := d.operands(op, bufs[:]...)
	if err != nil {
		return nil, err
	}
	nx, nw, ny := convSizes(p)
	size := [3]int{roleX: nx, roleW: nw, roleY: ny}
	if err := d.lengths(op, bs, size[roles[0]], size[roles[1]], size[roles[2]]); err != nil {
		return nil, err
	}
	return bs, nil
}

// convV1 launches a v1 kernel with grid blocks, or one thread per element of
// the last buffer when grid is 0.
func (d *Device) convV1(kernel string, p device.ConvParams, bs []*Buffer, grid, outLen int) error {
	if grid == 0 {
		grid = gridFor(outLen)
	}
	a := args{}
	a.ptr(bs[0]).ptr(bs[1]).ptr(bs[2])
	convArgs(&a, p)
	return d.run(kernel, [3]int{grid, 1, 1}, block, a)
}

// Tile and patch limits of kernels/conv.cu's conv_tiled.
const (
	tileH, tileW   = 8, 32
	patchH, patchW = 17, 65
	maxTaps        = 9
	maxGridY       = 65535
)

// tiledConv is a convolution as conv_tiled computes it: in (N, Cin, H, W) to
// out (N, Cout, OH, OW) in groups, with the filter element (group, local out,
// local in, kh, kw) at wb + group·sg + out·so + in·si + kh·skh + kw·skw.
type tiledConv struct {
	n, cin, h, w, cout, groups, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow int
	wb, sg                                                             int
	so, si, skh, skw                                                   int
}

// forwardTiled is y = conv(x, w) for p.
func forwardTiled(p device.ConvParams) tiledConv {
	cg, og, taps := p.C/p.Groups, p.O/p.Groups, p.KH*p.KW
	return tiledConv{n: p.N, cin: p.C, h: p.H, w: p.W, cout: p.O, groups: p.Groups, kh: p.KH, kw: p.KW,
		sh: p.StrideH, sw: p.StrideW, ph: p.PadH, pw: p.PadW, dh: p.DilH, dw: p.DilW, oh: p.OutH(), ow: p.OutW(),
		wb: 0, sg: og * cg * taps, so: cg * taps, si: taps, skh: p.KW, skw: 1}
}

// backwardDataTiled is dx for p as a forward convolution of dy with the
// flipped filter, its in and out channels swapped, and padding (K-1)·dil -
// pad; it exists for stride 1 only (ok false otherwise).
func backwardDataTiled(p device.ConvParams) (t tiledConv, ok bool) {
	if p.StrideH != 1 || p.StrideW != 1 {
		return t, false
	}
	cg, og, taps := p.C/p.Groups, p.O/p.Groups, p.KH*p.KW
	return tiledConv{n: p.N, cin: p.O, h: p.OutH(), w: p.OutW(), cout: p.C, groups: p.Groups, kh: p.KH, kw: p.KW,
		sh: 1, sw: 1, ph: (p.KH-1)*p.DilH - p.PadH, pw: (p.KW-1)*p.DilW - p.PadW, dh: p.DilH, dw: p.DilW, oh: p.H, ow: p.W,
		wb: taps - 1, sg: og * cg * taps, so: taps, si: cg * taps, skh: -p.KW, skw: -1}, true
}

// outTile is the number of output channels per block: the smallest kernel
// instance that holds a group's, at most 16.
func (t tiledConv) outTile() int {
	switch og := t.cout / t.groups; {
	case og <= 4:
		return 4
	case og <= 8:
		return 8
	}
	return 16
}

// grid is the launch grid: output tiles, groups × channel blocks, images.
func (t tiledConv) grid() [3]int {
	og, oct := t.cout/t.groups, t.outTile()
	return [3]int{((t.oh + tileH - 1) / tileH) * ((t.ow + tileW - 1) / tileW), t.groups * ((og + oct - 1) / oct), t.n}
}

// fits reports whether conv_tiled can run t: its input patch fits the shared
// tile, it has at most 9 taps, and its grid is within CUDA's limits.
func (t tiledConv) fits() bool {
	g := t.grid()
	return (tileH-1)*t.sh+(t.kh-1)*t.dh+1 <= patchH && (tileW-1)*t.sw+(t.kw-1)*t.dw+1 <= patchW &&
		t.kh*t.kw <= maxTaps && g[1] <= maxGridY && g[2] <= maxGridY
}

// launchTiled runs conv_tiled for t: in and w to out.
func (d *Device) launchTiled(t tiledConv, in, w, out *Buffer) error {
	a := args{}
	a.ptr(in).ptr(w).ptr(out)
	for _, v := range []int{t.cin, t.h, t.w, t.cout, t.groups, t.kh, t.kw, t.sh, t.sw, t.ph, t.pw, t.dh, t.dw, t.oh, t.ow} {
		a.i32(v)
	}
	a.i64(t.wb).i64(t.sg).i32(t.so).i32(t.si).i32(t.skh).i32(t.skw)
	return d.run(fmt.Sprintf("conv_tiled_%d_f32", t.outTile()), t.grid(), 256, a)
}

// pointwise reports whether p is a 1×1 convolution with stride 1 and no
// padding: for each image and group a matrix product of the filter (Og×Cg)
// and the input's channels × pixels, which the GEMM kernels do better than
// a convolution kernel (ResNeXt's reduce, expand and most projections).
func pointwise(p device.ConvParams) bool {
	return p.KH == 1 && p.KW == 1 && p.StrideH == 1 && p.StrideW == 1 && p.PadH == 0 && p.PadW == 0
}

// pointwiseOperand is a matrix of a 1×1 convolution's GEMMs: the filter
// (groups apart by Og·Cg, the same for every image) or an activation
// (groups apart by their channels × H·W, images by all channels × H·W).
type pointwiseOperand struct {
	buf          *Buffer
	ld           int
	group, image int // element strides between groups and between images
}

// pointwiseFilter is p's filter as a pointwise operand.
func pointwiseFilter(p device.ConvParams, b *Buffer) pointwiseOperand {
	return pointwiseOperand{buf: b, ld: p.C / p.Groups, group: p.O / p.Groups * (p.C / p.Groups)}
}

// pointwiseActivation is an activation of p with ch channels (C or O).
func pointwiseActivation(p device.ConvParams, b *Buffer, ch int) pointwiseOperand {
	hw := p.H * p.W
	return pointwiseOperand{buf: b, ld: hw, group: ch / p.Groups * hw, image: ch * hw}
}

// pointwiseGemm runs shape (M, N, K and the transposes) on a, b, c for every
// image and group: one launch over the images when there is one group (the
// filter's image stride is 0), else one launch per image over the groups.
// With accumulate (the filter gradient's sum over images) it launches per
// image, adding into c after the first.
func (d *Device) pointwiseGemm(p device.ConvParams, shape device.GemmParams, a, b, c pointwiseOperand, accumulate bool) error {
	overImages := p.Groups == 1 && !accumulate
	launches := p.N
	if overImages {
		launches = 1
	}
	for n := range launches {
		g := shape
		g.Alpha, g.Batch = 1, p.Groups
		if accumulate && n > 0 {
			g.Beta = 1
		}
		place := func(op pointwiseOperand) (device.Buffer, int, int, int) {
			if overImages {
				return op.buf, op.ld, op.image, 0
			}
			return op.buf, op.ld, op.group, n * op.image
		}
		g.A, g.LDA, g.StrideA, g.OffA = place(a)
		g.B, g.LDB, g.StrideB, g.OffB = place(b)
		g.C, g.LDC, g.StrideC, g.OffC = place(c)
		if overImages {
			g.Batch = p.N
		}
		if err := d.gemm(g, false); err != nil {
			return err
		}
	}
	return nil
}

// Conv2dForward computes y = conv(x, w): GEMMs for 1×1 convolutions,
// conv_tiled where the shape fits it, else v1's one thread per output element.
func (d *Device) Conv2dForward(p device.ConvParams, x, w, y device.Buffer) error {
	bs, err := d.convOperands("conv forward", p, [3]device.Buffer{x, w, y}, [3]int{roleX, roleW, roleY})
	if err != nil {
		return err
	}
	if pointwise(p) {
		// y[n, group] (Og×HW) = w[group] (Og×Cg) · x[n, group] (Cg×HW)
		return d.pointwiseGemm(p, device.GemmParams{M: p.O / p.Groups, N: p.H * p.W, K: p.C / p.Groups},
			pointwiseFilter(p, bs[1]), pointwiseActivation(p, bs[0], p.C), pointwiseActivation(p, bs[2], p.O), false)
	}
	if t := forwardTiled(p); t.fits() {
		return d.launchTiled(t, bs[0], bs[1], bs[2])
	}
	return d.convV1("conv_fwd_f32", p, bs, 0, bs[2].n)
}

// Conv2dBackwardData computes dx from dy and w: GEMMs for 1×1
// convolutions, conv_tiled at stride 1 where the shape fits it, else v1's
// one thread per dx element.
func (d *Device) Conv2dBackwardData(p device.ConvParams, dy, w, dx device.Buffer) error {
	bs, err := d.convOperands("conv backward data", p, [3]device.Buffer{dy, w, dx}, [3]int{roleY, roleW, roleX})
	if err != nil {
		return err
	}
	if pointwise(p) {
		// dx[n, group] (Cg×HW) = w[group]ᵀ (Cg×Og) · dy[n, group] (Og×HW)
		return d.pointwiseGemm(p, device.GemmParams{TransA: true, M: p.C / p.Groups, N: p.H * p.W, K: p.O / p.Groups},
			pointwiseFilter(p, bs[1]), pointwiseActivation(p, bs[0], p.O), pointwiseActivation(p, bs[2], p.C), false)
	}
	if t, ok := backwardDataTiled(p); ok && t.fits() {
		return d.launchTiled(t, bs[0], bs[1], bs[2])
	}
	return d.convV1("conv_bwd_data_f32", p, bs, 0, bs[2].n)
}

// Conv2dBackwardFilter computes dw from x and dy: GEMMs summed over the
// images for 1×1 convolutions, conv_wgrad_tiled where the shape fits
// conv_tiled, else v1's one block per (o, c) slice.
func (d *Device) Conv2dBackwardFilter(p device.ConvParams, x, dy, dw device.Buffer) error {
	bs, err := d.convOperands("conv backward filter", p, [3]device.Buffer{x, dy, dw}, [3]int{roleX, roleY, roleW})
	if err != nil {
		return err
	}
	if pointwise(p) {
		// dw[group] (Og×Cg) += dy[n, group] (Og×HW) · x[n, group]ᵀ (HW×Cg)
		return d.pointwiseGemm(p, device.GemmParams{TransB: true, M: p.O / p.Groups, N: p.C / p.Groups, K: p.H * p.W},
			pointwiseActivation(p, bs[1], p.O), pointwiseActivation(p, bs[0], p.C), pointwiseFilter(p, bs[2]), true)
	}
	if w := newWgrad(p, d.info.multiprocessors); w.fits {
		return d.wgradTiled(p, w, bs)
	}
	return d.convV1("conv_bwd_filter_f32", p, bs, p.O*(p.C/p.Groups), 0)
}

// wgradPlan is a launch of conv_wgrad_tiled: outTile output channels per
// block, blocks over (group, channel blocks) × splits of the (image, tile)
// items, each split writing partial sums when there is more than one.
type wgradPlan struct {
	outTile, blocks, splits int
	fits                    bool
}

// wgradChunk is the input channels per block (CHUNK in kernels/conv.cu).
const wgradChunk = 8

// newWgrad plans p's filter gradient for a GPU with that many
// multiprocessors: splits enough to launch about four blocks per
// multiprocessor, never more than there are items.
func newWgrad(p device.ConvParams, multiprocessors int) wgradPlan {
	t := forwardTiled(p)
	cg, og := p.C/p.Groups, p.O/p.Groups
	w := wgradPlan{outTile: 8}
	if og <= 4 {
		w.outTile = 4
	}
	w.blocks = p.Groups * ((og + w.outTile - 1) / w.outTile) * ((cg + wgradChunk - 1) / wgradChunk)
	items := p.N * ((t.oh + tileH - 1) / tileH) * ((t.ow + tileW - 1) / tileW)
	w.splits = max(1, min(items, (4*multiprocessors+w.blocks-1)/w.blocks))
	w.fits = t.fits() && w.blocks <= maxGridY
	return w
}

// wgradTiled runs plan w for p on x, dy, dw (bs), through a pooled buffer
// of partial sums when the items are split.
func (d *Device) wgradTiled(p device.ConvParams, w wgradPlan, bs []*Buffer) (err error) {
	out := bs[2]
	if w.splits > 1 {
		part, err := d.Alloc(out.dt, w.splits*out.n)
		if err != nil {
			return fmt.Errorf("%s: conv backward filter: partial sums: %w", d.Name(), err)
		}
		defer func() { err = errors.Join(err, d.Free(part)) }()
		out = part.(*Buffer)
	}
	a := args{}
	a.ptr(bs[0]).ptr(bs[1]).ptr(out)
	for _, v := range []int{p.N, p.C, p.H, p.W, p.O, p.Groups, p.KH, p.KW, p.StrideH, p.StrideW, p.PadH, p.PadW, p.DilH, p.DilW, p.OutH(), p.OutW()} {
		a.i32(v)
	}
	if err := d.run(fmt.Sprintf("conv_wgrad_tiled_%d_f32", w.outTile), [3]int{w.splits, w.blocks, 1}, 256, a); err != nil {
		return err
	}
	if w.splits == 1 {
		return nil
	}
	s := args{}
	s.ptr(out).ptr(bs[2]).i32(w.splits).i64(bs[2].n)
	return d.elementwise("sum_partials_f32", bs[2].n, s)
}
