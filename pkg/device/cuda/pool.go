//go:build gpu || cudaemu

package cuda

import (
	"fmt"

	"github.com/collegium/collegium/pkg/device"
)

// poolArgs appends the integer shape arguments of the max-pool kernels, in
// kernels/pool.cu's order: N C H W KH KW sh sw ph pw OH OW.
func poolArgs(a *args, p device.PoolParams) {
	for _, v := range []int{p.N, p.C, p.H, p.W, p.KH, p.KW, p.StrideH, p.StrideW, p.PadH, p.PadW, p.OutH(), p.OutW()} {
		a.i32(v)
	}
}

// MaxPool2d computes y = the maximum of each window of x: one thread per
// output element.
func (d *Device) MaxPool2d(p device.PoolParams, x, y device.Buffer) error {
	const op = "max pool"
	if err := p.Validate(); err != nil {
		return fmt.Errorf("%s: %s: %w", d.Name(), op, err)
	}
	bs, err := d.operands(op, x, y)
	if err != nil {
		return err
	}
	nx, ny := p.N*p.C*p.H*p.W, p.N*p.C*p.OutH()*p.OutW()
	if err := d.lengths(op, bs, nx, ny); err != nil {
		return err
	}
	return d.elementwise("max_pool_fwd_f32", ny, args{}.with(func(a *args) {
		a.ptr(bs[0]).ptr(bs[1])
		poolArgs(a, p)
	}))
}

// MaxPool2dGrad computes dx: one thread per dx element, summing dy over the
// windows whose first maximum it is.
func (d *Device) MaxPool2dGrad(p device.PoolParams, x, dy, dx device.Buffer) error {
	const op = "max pool grad"
	if err := p.Validate(); err != nil {
		return fmt.Errorf("%s: %s: %w", d.Name(), op, err)
	}
	bs, err := d.operands(op, x, dy, dx)
	if err != nil {
		return err
	}
	nx, ny := p.N*p.C*p.H*p.W, p.N*p.C*p.OutH()*p.OutW()
	if err := d.lengths(op, bs, nx, ny, nx); err != nil {
		return err
	}
	return d.elementwise("max_pool_grad_f32", nx, args{}.with(func(a *args) {
		a.ptr(bs[0]).ptr(bs[1]).ptr(bs[2])
		poolArgs(a, p)
	}))
}
