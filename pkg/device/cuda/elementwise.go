//go:build gpu || cudaemu

package cuda

import (
	"fmt"

	"github.com/collegium/collegium/pkg/device"
)

// Fill sets every element of b to v.
func (d *Device) Fill(b device.Buffer, v float64) error {
	bs, err := d.operands("fill", b)
	if err != nil {
		return err
	}
	return d.elementwise("fill_f32", bs[0].n, args{}.with(func(a *args) { a.ptr(bs[0]).f32(v).i64(bs[0].n) }))
}

// Copy copies src into dst.
func (d *Device) Copy(dst, src device.Buffer) error {
	bs, err := d.operands("copy", dst, src)
	if err != nil {
		return err
	}
	if err := d.lengths("copy", bs, src.Len(), src.Len()); err != nil {
		return err
	}
	return d.elementwise("copy_f32", bs[0].n, args{}.with(func(a *args) { a.ptr(bs[0]).ptr(bs[1]).i64(bs[0].n) }))
}

// Add computes y = a + b.
func (d *Device) Add(a, b, y device.Buffer) error {
	bs, err := d.operands("add", a, b, y)
	if err != nil {
		return err
	}
	n := bs[0].n
	if err := d.lengths("add", bs, n, n, n); err != nil {
		return err
	}
	return d.elementwise("add_f32", n, args{}.with(func(p *args) { p.ptr(bs[0]).ptr(bs[1]).ptr(bs[2]).i64(n) }))
}

// Scale computes y = alpha·x.
func (d *Device) Scale(alpha float64, x, y device.Buffer) error {
	bs, err := d.operands("scale", x, y)
	if err != nil {
		return err
	}
	n := bs[0].n
	if err := d.lengths("scale", bs, n, n); err != nil {
		return err
	}
	return d.elementwise("scale_f32", n, args{}.with(func(p *args) { p.f32(alpha).ptr(bs[0]).ptr(bs[1]).i64(n) }))
}

// ReLU computes y = max(x, 0).
func (d *Device) ReLU(x, y device.Buffer) error {
	bs, err := d.operands("relu", x, y)
	if err != nil {
		return err
	}
	n := bs[0].n
	if err := d.lengths("relu", bs, n, n); err != nil {
		return err
	}
	return d.elementwise("relu_f32", n, args{}.with(func(p *args) { p.ptr(bs[0]).ptr(bs[1]).i64(n) }))
}

// ReLUGrad computes dx = dy where y > 0, else 0.
func (d *Device) ReLUGrad(y, dy, dx device.Buffer) error {
	bs, err := d.operands("relu grad", y, dy, dx)
	if err != nil {
		return err
	}
	n := bs[0].n
	if err := d.lengths("relu grad", bs, n, n, n); err != nil {
		return err
	}
	return d.elementwise("relu_grad_f32", n, args{}.with(func(p *args) { p.ptr(bs[0]).ptr(bs[1]).ptr(bs[2]).i64(n) }))
}

// checkLayout rejects negative channel layouts.
func (d *Device) checkLayout(op string, l device.ChannelLayout) error {
	if l.Outer < 0 || l.C < 0 || l.Inner < 0 {
		return fmt.Errorf("%s: %s: negative layout %+v", d.Name(), op, l)
	}
	return nil
}

// BiasAdd computes y[o,c,i] = x[o,c,i] + b[c].
func (d *Device) BiasAdd(l device.ChannelLayout, x, b, y device.Buffer) error {
	const op = "bias add"
	bs, err := d.operands(op, x, b, y)
	if err != nil {
		return err
	}
	if err := d.checkLayout(op, l); err != nil {
		return err
	}
	n := l.Len()
	if err := d.lengths(op, bs, n, l.C, n); err != nil {
		return err
	}
	return d.elementwise("bias_add_f32", n, args{}.with(func(p *args) { p.ptr(bs[0]).ptr(bs[1]).ptr(bs[2]).i32(l.C).i64(l.Inner).i64(n) }))
}

// BiasGrad computes db[c] = Σ_{o,i} dy[o,c,i].
func (d *Device) BiasGrad(l device.ChannelLayout, dy, db device.Buffer) error {
	const op = "bias grad"
	bs, err := d.operands(op, dy, db)
	if err != nil {
		return err
	}
	if err := d.checkLayout(op, l); err != nil {
		return err
	}
	if err := d.lengths(op, bs, l.Len(), l.C); err != nil {
		return err
	}
	if l.C == 0 {
		return nil
	}
	if l.Len() == 0 {
		return d.Fill(db, 0)
	}
	return d.run("bias_grad_f32", [3]int{l.C, 1, 1}, block, args{}.with(func(p *args) { p.ptr(bs[0]).ptr(bs[1]).i32(l.Outer).i32(l.C).i64(l.Inner) }))
}

// GlobalAvgPool computes y[r] = mean of x[r, 0:spatial].
func (d *Device) GlobalAvgPool(rows, spatial int, x, y device.Buffer) error {
	const op = "global avg pool"
	bs, err := d.operands(op, x, y)
	if err != nil {
		return err
	}
	if rows < 0 || spatial <= 0 {
		return fmt.Errorf("%s: %s: rows %d must be non-negative and spatial %d positive", d.Name(), op, rows, spatial)
	}
	if err := d.lengths(op, bs, rows*spatial, rows); err != nil {
		return err
	}
	if rows == 0 {
		return nil
	}
	warps := block / 32
	grid := max(1, min((rows+warps-1)/warps, 65535*8))
	return d.run("global_avg_pool_f32", [3]int{grid, 1, 1}, block, args{}.with(func(p *args) { p.ptr(bs[0]).ptr(bs[1]).i64(rows).i32(spatial) }))
}

// GlobalAvgPoolGrad computes dx[r, s] = dy[r]/spatial.
func (d *Device) GlobalAvgPoolGrad(rows, spatial int, dy, dx device.Buffer) error {
	const op = "global avg pool grad"
	bs, err := d.operands(op, dy, dx)
	if err != nil {
		return err
	}
	if rows < 0 || spatial <= 0 {
		return fmt.Errorf("%s: %s: rows %d must be non-negative and spatial %d positive", d.Name(), op, rows, spatial)
	}
	n := rows * spatial
	if err := d.lengths(op, bs, rows, n); err != nil {
		return err
	}
	return d.elementwise("global_avg_pool_grad_f32", n, args{}.with(func(p *args) { p.ptr(bs[0]).ptr(bs[1]).i32(spatial).i64(n) }))
}

// checkMembers rejects member layouts without members or with negative sizes.
func (d *Device) checkMembers(op string, p device.MemberParams) error {
	if p.Batch < 0 || p.Members <= 0 || p.Width < 0 {
		return fmt.Errorf("%s: %s: batch %d, members %d, width %d: need members > 0 and no negative size", d.Name(), op, p.Batch, p.Members, p.Width)
	}
	return nil
}

// MemberMean computes y[b, j] = scale·Σ_k x[b, k·width + j].
func (d *Device) MemberMean(p device.MemberParams, x, y device.Buffer) error {
	const op = "member mean"
	bs, err := d.operands(op, x, y)
	if err != nil {
		return err
	}
	if err := d.checkMembers(op, p); err != nil {
		return err
	}
	n := p.Batch * p.Width
	if err := d.lengths(op, bs, n*p.Members, n); err != nil {
		return err
	}
	return d.elementwise("member_mean_f32", n, args{}.with(func(a *args) { a.ptr(bs[0]).ptr(bs[1]).i32(p.Members).i32(p.Width).f32(p.Scale).i64(n) }))
}

// MemberMeanGrad computes dx[b, k·width + j] = scale·dy[b, j].
func (d *Device) MemberMeanGrad(p device.MemberParams, dy, dx device.Buffer) error {
	const op = "member mean grad"
	bs, err := d.operands(op, dy, dx)
	if err != nil {
		return err
	}
	if err := d.checkMembers(op, p); err != nil {
		return err
	}
	n := p.Batch * p.Members * p.Width
	if err := d.lengths(op, bs, p.Batch*p.Width, n); err != nil {
		return err
	}
	return d.elementwise("member_mean_grad_f32", n, args{}.with(func(a *args) { a.ptr(bs[0]).ptr(bs[1]).i32(p.Members).i32(p.Width).f32(p.Scale).i64(n) }))
}

// WeightedSum computes y[0] = Σ_i w[i]·x[i].
func (d *Device) WeightedSum(x, w, y device.Buffer) error {
	const op = "weighted sum"
	bs, err := d.operands(op, x, w, y)
	if err != nil {
		return err
	}
	n := bs[0].n
	if err := d.lengths(op, bs, n, n, 1); err != nil {
		return err
	}
	return d.run("weighted_sum_f32", [3]int{1, 1, 1}, 1024, args{}.with(func(a *args) { a.ptr(bs[0]).ptr(bs[1]).ptr(bs[2]).i64(n) }))
}

// WeightedSumGrad computes dx[i] = dy[0]·w[i].
func (d *Device) WeightedSumGrad(w, dy, dx device.Buffer) error {
	const op = "weighted sum grad"
	bs, err := d.operands(op, w, dy, dx)
	if err != nil {
		return err
	}
	n := bs[0].n
	if err := d.lengths(op, bs, n, 1, n); err != nil {
		return err
	}
	return d.elementwise("weighted_sum_grad_f32", n, args{}.with(func(a *args) { a.ptr(bs[0]).ptr(bs[1]).ptr(bs[2]).i64(n) }))
}
