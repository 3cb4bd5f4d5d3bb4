//go:build gpu || cudaemu

package cuda

import (
	"fmt"

	"github.com/collegium/collegium/pkg/device"
)

// bnOperands checks the buffers of a batch-norm call: tensors of l.Len()
// elements and per-channel vectors of l.C elements, and p itself.
func (d *Device) bnOperands(op string, p device.BatchNormParams, tensors, channels []device.Buffer) ([]*Buffer, error) {
	bs, err := d.operands(op, append(append([]device.Buffer{}, tensors...), channels...)...)
	if err != nil {
		return nil, err
	}
	if err := d.checkLayout(op, p.ChannelLayout); err != nil {
		return nil, err
	}
	want := make([]int, 0, len(bs))
	for range tensors {
		want = append(want, p.Len())
	}
	for range channels {
		want = append(want, p.C)
	}
	if err := d.lengths(op, bs, want...); err != nil {
		return nil, err
	}
	if !(p.Eps >= 0) {
		return nil, fmt.Errorf("%s: %s: eps %v must be non-negative", d.Name(), op, p.Eps)
	}
	if p.Training && p.Outer*p.Inner < 2 && p.C > 0 {
		return nil, fmt.Errorf("%s: %s: training needs more than one value per channel, got %d", d.Name(), op, p.Outer*p.Inner)
	}
	return bs, nil
}

// BatchNormForward normalises x per channel; in training one block per
// channel computes the statistics and updates the running ones.
func (d *Device) BatchNormForward(p device.BatchNormParams, x, gamma, beta, runMean, runVar, y device.Buffer) error {
	const op = "batch norm forward"
	bs, err := d.bnOperands(op, p, []device.Buffer{x, y}, []device.Buffer{gamma, beta, runMean, runVar})
	if err != nil {
		return err
	}
	if p.Len() == 0 {
		return nil
	}
	bx, by, bg, bb, bm, bv := bs[0], bs[1], bs[2], bs[3], bs[4], bs[5]
	a := args{}
	if p.Training {
		a.ptr(bx).ptr(bg).ptr(bb).ptr(bm).ptr(bv).ptr(by).i32(p.Outer).i32(p.C).i64(p.Inner).f32(p.Eps).f32(p.Momentum)
		return d.run("bn_forward_train_f32", [3]int{p.C, 1, 1}, block, a)
	}
	a.ptr(bx).ptr(bg).ptr(bb).ptr(bm).ptr(bv).ptr(by).i32(p.C).i64(p.Inner).f32(p.Eps).i64(p.Len())
	return d.elementwise("bn_forward_eval_f32", p.Len(), a)
}

// BatchNormBackwardData computes dx, one block per channel.
func (d *Device) BatchNormBackwardData(p device.BatchNormParams, x, gamma, runVar, dy, dx device.Buffer) error {
	const op = "batch norm backward data"
	bs, err := d.bnOperands(op, p, []device.Buffer{x, dy, dx}, []device.Buffer{gamma, runVar})
	if err != nil {
		return err
	}
	if p.Len() == 0 {
		return nil
	}
	a := args{}
	a.ptr(bs[0]).ptr(bs[3]).ptr(bs[4]).ptr(bs[1]).ptr(bs[2]).i32(p.Outer).i32(p.C).i64(p.Inner).f32(p.Eps).i32(b2i(p.Training))
	return d.run("bn_backward_data_f32", [3]int{p.C, 1, 1}, block, a)
}

// BatchNormBackwardGamma computes dgamma[c] = Σ dy·x̂, one block per channel.
func (d *Device) BatchNormBackwardGamma(p device.BatchNormParams, x, runMean, runVar, dy, dgamma device.Buffer) error {
	const op = "batch norm backward gamma"
	bs, err := d.bnOperands(op, p, []device.Buffer{x, dy}, []device.Buffer{runMean, runVar, dgamma})
	if err != nil {
		return err
	}
	if p.C == 0 {
		return nil
	}
	if p.Len() == 0 {
		return d.Fill(dgamma, 0)
	}
	a := args{}
	a.ptr(bs[0]).ptr(bs[2]).ptr(bs[3]).ptr(bs[1]).ptr(bs[4]).i32(p.Outer).i32(p.C).i64(p.Inner).f32(p.Eps).i32(b2i(p.Training))
	return d.run("bn_backward_gamma_f32", [3]int{p.C, 1, 1}, block, a)
}
