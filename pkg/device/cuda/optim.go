//go:build gpu || cudaemu

package cuda

import (
	"fmt"
	"math"

	"github.com/collegium/collegium/pkg/device"
)

// SGDUpdate applies one SGD step with momentum and coupled weight decay.
func (d *Device) SGDUpdate(p device.SGDParams, param, grad, velocity device.Buffer) error {
	const op = "sgd update"
	bs, err := d.operands(op, param, grad, velocity)
	if err != nil {
		return err
	}
	n := bs[0].n
	if err := d.lengths(op, bs, n, n, n); err != nil {
		return err
	}
	a := args{}
	a.ptr(bs[0]).ptr(bs[1]).ptr(bs[2]).f32(p.LR).f32(p.Momentum).f32(p.WeightDecay).i32(b2i(p.Nesterov)).i64(n)
	return d.elementwise("sgd_f32", n, a)
}

// AdamUpdate applies one bias-corrected Adam step; the corrections
// 1 − β^step are computed here in float64.
func (d *Device) AdamUpdate(p device.AdamParams, param, grad, m, v device.Buffer) error {
	const op = "adam update"
	bs, err := d.operands(op, param, grad, m, v)
	if err != nil {
		return err
	}
	if p.Step < 1 {
		return fmt.Errorf("%s: %s: step %d must be at least 1", d.Name(), op, p.Step)
	}
	n := bs[0].n
	if err := d.lengths(op, bs, n, n, n, n); err != nil {
		return err
	}
	bc1 := 1 - math.Pow(p.Beta1, float64(p.Step))
	bc2 := 1 - math.Pow(p.Beta2, float64(p.Step))
	a := args{}
	a.ptr(bs[0]).ptr(bs[1]).ptr(bs[2]).ptr(bs[3]).f32(p.LR).f32(p.Beta1).f32(p.Beta2).f32(p.Eps).f32(p.WeightDecay)
	a.f32(bc1).f32(bc2).i32(b2i(p.Decoupled)).i64(n)
	return d.elementwise("adam_f32", n, a)
}
