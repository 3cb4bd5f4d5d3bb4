//go:build gpu || cudaemu

package cuda

import (
	"fmt"

	"github.com/collegium/collegium/pkg/device"
)

// lossOperands checks the shapes of a softmax cross-entropy call.
func (d *Device) lossOperands(op string, batch, classes int, bufs []device.Buffer, lens []int) ([]*Buffer, error) {
	bs, err := d.operands(op, bufs...)
	if err != nil {
		return nil, err
	}
	if batch <= 0 || classes <= 0 {
		return nil, fmt.Errorf("%s: %s: batch %d and classes %d must be positive", d.Name(), op, batch, classes)
	}
	return bs, d.lengths(op, bs, lens...)
}

// SoftmaxCrossEntropy computes the mean cross-entropy in one block. It waits
// for the kernel so that an invalid label is reported by this call (the loss
// is computed once per step, so the wait costs little).
func (d *Device) SoftmaxCrossEntropy(batch, classes int, logits, labels, loss device.Buffer) error {
	const op = "softmax cross-entropy"
	bs, err := d.lossOperands(op, batch, classes, []device.Buffer{logits, labels, loss}, []int{batch * classes, batch, 1})
	if err != nil {
		return err
	}
	a := args{}
	a.ptr(bs[0]).ptr(bs[1]).ptr(bs[2]).i32(batch).i32(classes).devptr(d.errFlag)
	return d.runChecked("softmax_xent_f32", 1, 1024, a)
}

// SoftmaxCrossEntropyGrad computes dlogits = dloss[0]·(softmax − onehot)/batch,
// one warp per row; like the loss it waits to report invalid labels.
func (d *Device) SoftmaxCrossEntropyGrad(batch, classes int, logits, labels, dloss, dlogits device.Buffer) error {
	const op = "softmax cross-entropy grad"
	bs, err := d.lossOperands(op, batch, classes, []device.Buffer{logits, labels, dloss, dlogits}, []int{batch * classes, batch, 1, batch * classes})
	if err != nil {
		return err
	}
	a := args{}
	a.ptr(bs[0]).ptr(bs[1]).ptr(bs[2]).ptr(bs[3]).i32(batch).i32(classes).devptr(d.errFlag)
	warps := block / 32
	return d.runChecked("softmax_xent_grad_f32", max(1, min((batch+warps-1)/warps, 65535)), block, a)
}

// runChecked launches a kernel that may set the error flag and waits for it,
// so that the call itself reports the error.
func (d *Device) runChecked(name string, grid, threads int, a args) error {
	leave, err := d.enter()
	if err != nil {
		return err
	}
	defer leave()
	if err := d.launch(name, [3]int{grid, 1, 1}, threads, 0, a); err != nil {
		return err
	}
	return d.syncLocked()
}
