//go:build gpu || cudaemu

package cuda

import (
	"fmt"

	"github.com/collegium/collegium/pkg/device"
)

// bnOperands checks the buffers of a batch-norm call: tensors of l.Len()
// elements, per-channel vectors of l.C elements and the 2·C statistics, in
// that order in the result, and p itself.
func (d *Device) bnOperands(op string, p device.BatchNormParams, tensors, channels []device.Buffer, stats device.Buffer) ([]*Buffer, error) {
	bs, err := d.operands(op, append(append(append([]device.Buffer{}, tensors...), channels...), stats)...)
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
	want = append(want, 2*p.C)
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

// BatchNormStats computes the statistics that normalise each channel: in
// training one block per channel (two passes, double sums) that also updates
// the running ones; in eval from the running ones.
func (d *Device) BatchNormStats(p device.BatchNormParams, x, runMean, runVar, stats device.Buffer) error {
	const op = "batch norm stats"
	bs, err := d.bnOperands(op, p, []device.Buffer{x}, []device.Buffer{runMean, runVar}, stats)
	if err != nil {
		return err
	}
	if p.C == 0 {
		return nil
	}
	bx, bm, bv, bst := bs[0], bs[1], bs[2], bs[3]
	a := args{}
	if p.Training {
		a.ptr(bx).ptr(bm).ptr(bv).ptr(bst).i32(p.Outer).i32(p.C).i64(p.Inner).f32(p.Eps).f32(p.Momentum)
		return d.run("bn_stats_train_f32", [3]int{p.C, 1, 1}, block, a)
	}
	a.ptr(bm).ptr(bv).ptr(bst).i32(p.C).f32(p.Eps)
	return d.elementwise("bn_stats_eval_f32", p.C, a)
}

// BatchNormForward computes y = gamma·(x − mean)·invstd + beta elementwise.
func (d *Device) BatchNormForward(p device.BatchNormParams, x, stats, gamma, beta, y device.Buffer) error {
	const op = "batch norm forward"
	bs, err := d.bnOperands(op, p, []device.Buffer{x, y}, []device.Buffer{gamma, beta}, stats)
	if err != nil {
		return err
	}
	if p.Len() == 0 {
		return nil
	}
	a := args{}
	a.ptr(bs[0]).ptr(bs[4]).ptr(bs[2]).ptr(bs[3]).ptr(bs[1]).i32(p.C).i64(p.Inner).i64(p.Len())
	return d.elementwise("bn_forward_f32", p.Len(), a)
}

// BatchNormBackwardGamma computes dgamma[c] = Σ dy·x̂, one block per channel.
func (d *Device) BatchNormBackwardGamma(p device.BatchNormParams, x, stats, dy, dgamma device.Buffer) error {
	const op = "batch norm backward gamma"
	bs, err := d.bnOperands(op, p, []device.Buffer{x, dy}, []device.Buffer{dgamma}, stats)
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
	a.ptr(bs[0]).ptr(bs[3]).ptr(bs[1]).ptr(bs[2]).i32(p.Outer).i32(p.C).i64(p.Inner)
	return d.run("bn_backward_gamma_f32", [3]int{p.C, 1, 1}, block, a)
}

// BatchNormBackwardData computes dx elementwise from dgamma and dbeta.
func (d *Device) BatchNormBackwardData(p device.BatchNormParams, x, stats, gamma, dgamma, dbeta, dy, dx device.Buffer) error {
	const op = "batch norm backward data"
	bs, err := d.bnOperands(op, p, []device.Buffer{x, dy, dx}, []device.Buffer{gamma, dgamma, dbeta}, stats)
	if err != nil {
		return err
	}
	if p.Len() == 0 {
		return nil
	}
	a := args{}
	a.ptr(bs[0]).ptr(bs[6]).ptr(bs[3]).ptr(bs[4]).ptr(bs[5]).ptr(bs[1]).ptr(bs[2]).i32(p.C).i64(p.Inner).i64(p.Len()).
		i64(p.Outer * p.Inner).i32(b2i(p.Training))
	return d.elementwise("bn_backward_data_f32", p.Len(), a)
}
