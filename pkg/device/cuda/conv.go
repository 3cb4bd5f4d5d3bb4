//go:build gpu || cudaemu

package cuda

import (
	"fmt"

	"github.com/collegium/collegium/pkg/device"
)

// convArgs appends the integer shape arguments every conv kernel takes, in
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

// conv validates p and the buffers (whose roles say which of x, w, y each
// is, for its length) and launches kernel with grid blocks, or one thread
// per element of the last buffer when grid is 0.
func (d *Device) conv(op, kernel string, p device.ConvParams, bufs [3]device.Buffer, roles [3]int, grid int) error {
	if err := p.Validate(); err != nil {
		return fmt.Errorf("%s: %s: %w", d.Name(), op, err)
	}
	bs, err := d.operands(op, bufs[:]...)
	if err != nil {
		return err
	}
	nx, nw, ny := convSizes(p)
	size := [3]int{roleX: nx, roleW: nw, roleY: ny}
	if err := d.lengths(op, bs, size[roles[0]], size[roles[1]], size[roles[2]]); err != nil {
		return err
	}
	if grid == 0 {
		grid = gridFor(size[roles[2]])
	}
	a := args{}
	a.ptr(bs[0]).ptr(bs[1]).ptr(bs[2])
	convArgs(&a, p)
	return d.run(kernel, [3]int{grid, 1, 1}, block, a)
}

// Conv2dForward computes y = conv(x, w): one thread per output element.
func (d *Device) Conv2dForward(p device.ConvParams, x, w, y device.Buffer) error {
	return d.conv("conv forward", "conv_fwd_f32", p, [3]device.Buffer{x, w, y}, [3]int{roleX, roleW, roleY}, 0)
}

// Conv2dBackwardData computes dx from dy and w: one thread per dx element.
func (d *Device) Conv2dBackwardData(p device.ConvParams, dy, w, dx device.Buffer) error {
	return d.conv("conv backward data", "conv_bwd_data_f32", p, [3]device.Buffer{dy, w, dx}, [3]int{roleY, roleW, roleX}, 0)
}

// Conv2dBackwardFilter computes dw from x and dy: one block per (o, c) slice.
func (d *Device) Conv2dBackwardFilter(p device.ConvParams, x, dy, dw device.Buffer) error {
	grid := 0
	if p.Validate() == nil {
		grid = p.O * (p.C / p.Groups)
	}
	return d.conv("conv backward filter", "conv_bwd_filter_f32", p, [3]device.Buffer{x, dy, dw}, [3]int{roleX, roleY, roleW}, grid)
}
