package cpu

import (
	"fmt"
	"math"

	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/device/cpu/gemm"
	"gorgonia.org/tensor"
)

// SoftmaxCrossEntropy computes the mean over rows of −log softmax(logits)[label]
// with a stable log-sum-exp, in float64. Losses are small (batch × classes),
// so they run on the calling goroutine.
func (d *Device) SoftmaxCrossEntropy(batch, classes int, logits, labels, loss device.Buffer) error {
	dt, err := checkSoftmax("softmax cross entropy", batch, classes, logits, labels, loss)
	if err != nil {
		return err
	}
	if dt == tensor.Float32 {
		softmaxLoss(batch, classes, elems[float32](logits), elems[float32](labels), elems[float32](loss))
	} else {
		softmaxLoss(batch, classes, elems[float64](logits), elems[float64](labels), elems[float64](loss))
	}
	return nil
}

// SoftmaxCrossEntropyGrad computes dlogits = dloss[0]·(softmax − onehot)/batch.
func (d *Device) SoftmaxCrossEntropyGrad(batch, classes int, logits, labels, dloss, dlogits device.Buffer) error {
	const op = "softmax cross entropy grad"
	dt, err := checkSoftmax(op, batch, classes, logits, labels, dloss)
	if err != nil {
		return err
	}
	if _, err := operands(op, logits, dlogits); err != nil {
		return err
	}
	if err := length(op, "dlogits", dlogits, batch*classes); err != nil {
		return err
	}
	if dt == tensor.Float32 {
		softmaxGrad(batch, classes, elems[float32](logits), elems[float32](labels), elems[float32](dloss), elems[float32](dlogits))
	} else {
		softmaxGrad(batch, classes, elems[float64](logits), elems[float64](labels), elems[float64](dloss), elems[float64](dlogits))
	}
	return nil
}

// checkSoftmax validates the shapes and the labels (integral class indices
// in [0, classes)) of a softmax cross entropy; scalar is the loss or dloss.
func checkSoftmax(op string, batch, classes int, logits, labels, scalar device.Buffer) (tensor.Dtype, error) {
	if batch <= 0 || classes <= 0 {
		return tensor.Dtype{}, fmt.Errorf("cpu: %s: batch %d and classes %d must be positive", op, batch, classes)
	}
	dt, err := operands(op, logits, labels, scalar)
	if err != nil {
		return dt, err
	}
	if err := length(op, "logits", logits, batch*classes); err != nil {
		return dt, err
	}
	if err := length(op, "labels", labels, batch); err != nil {
		return dt, err
	}
	if err := length(op, "loss", scalar, 1); err != nil {
		return dt, err
	}
	if dt == tensor.Float32 {
		return dt, checkLabels(op, classes, elems[float32](labels))
	}
	return dt, checkLabels(op, classes, elems[float64](labels))
}

func checkLabels[T gemm.Float](op string, classes int, labels []T) error {
	for b, v := range labels {
		f := float64(v)
		if !(f >= 0 && f < float64(classes)) || f != math.Trunc(f) {
			return fmt.Errorf("cpu: %s: label %v of row %d is not a class index in [0, %d)", op, f, b, classes)
		}
	}
	return nil
}

// logSumExp returns max(z) and log Σ exp(z − max(z)).
func logSumExp[T gemm.Float](z []T) (zmax, lse float64) {
	zmax = math.Inf(-1)
	for _, v := range z {
		zmax = max(zmax, float64(v))
	}
	var s float64
	for _, v := range z {
		s += math.Exp(float64(v) - zmax)
	}
	return zmax, math.Log(s)
}

func softmaxLoss[T gemm.Float](batch, classes int, logits, labels, loss []T) {
	var total float64
	for b := range batch {
		z := logits[b*classes : (b+1)*classes]
		zmax, lse := logSumExp(z)
		total += zmax + lse - float64(z[int(labels[b])])
	}
	loss[0] = T(total / float64(batch))
}

func softmaxGrad[T gemm.Float](batch, classes int, logits, labels, dloss, dlogits []T) {
	k := float64(dloss[0]) / float64(batch)
	for b := range batch {
		z := logits[b*classes : (b+1)*classes]
		dz := dlogits[b*classes : (b+1)*classes]
		zmax, lse := logSumExp(z)
		for j, v := range z {
			dz[j] = T(k * math.Exp(float64(v)-zmax-lse))
		}
		dz[int(labels[b])] -= T(k)
	}
}

// WeightedSum computes y[0] = Σ_i w[i]·x[i], in float64.
func (d *Device) WeightedSum(x, w, y device.Buffer) error {
	const op = "weighted sum"
	dt, err := operands(op, x, w, y)
	if err != nil {
		return err
	}
	if err := length(op, "weights", w, x.Len()); err != nil {
		return err
	}
	if err := length(op, "output", y, 1); err != nil {
		return err
	}
	if dt == tensor.Float32 {
		weightedSum(elems[float32](x), elems[float32](w), elems[float32](y))
	} else {
		weightedSum(elems[float64](x), elems[float64](w), elems[float64](y))
	}
	return nil
}

// WeightedSumGrad computes dx[i] = dy[0]·w[i].
func (d *Device) WeightedSumGrad(w, dy, dx device.Buffer) error {
	const op = "weighted sum grad"
	dt, err := operands(op, w, dy, dx)
	if err != nil {
		return err
	}
	if err := length(op, "dx", dx, w.Len()); err != nil {
		return err
	}
	if err := length(op, "dy", dy, 1); err != nil {
		return err
	}
	if dt == tensor.Float32 {
		scaleBy(elems[float32](dx), elems[float32](w), elems[float32](dy)[0])
	} else {
		scaleBy(elems[float64](dx), elems[float64](w), elems[float64](dy)[0])
	}
	return nil
}

func weightedSum[T gemm.Float](x, w, y []T) {
	var s float64
	for i, v := range x {
		s += float64(w[i]) * float64(v)
	}
	y[0] = T(s)
}

// scaleBy sets dst = k·src.
func scaleBy[T gemm.Float](dst, src []T, k T) {
	for i, v := range src[:len(dst)] {
		dst[i] = k * v
	}
}
