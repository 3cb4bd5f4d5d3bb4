// Package device defines what a compute device offers the executor: memory
// (Buffers), transfers, explicit synchronisation, and the numeric kernels that
// Collegium's ops need. The CPU device (pkg/device/cpu) and the CUDA device
// (pkg/device/cuda, build tag gpu) both implement Device, so one executor and
// one test suite serve both.
//
// Kernels may run asynchronously: a kernel call only enqueues work on the
// device's stream. Results are visible to the host after Download (which
// synchronises) or Sync. Buffers passed to one kernel call must not alias
// unless the method says so.
package device

import (
	"errors"
	"fmt"

	"gorgonia.org/tensor"
)

// Buffer is a block of device memory holding Len elements of one Dtype.
type Buffer interface {
	Dtype() tensor.Dtype
	Len() int
}

// ErrNoKernel is wrapped by errors returned when a device lacks a kernel for
// an op or a dtype.
var ErrNoKernel = errors.New("no kernel")

// NoKernel returns an error saying that device dev has no kernel for op.
func NoKernel(op, dev string) error {
	return fmt.Errorf("%w for op %s on device %s", ErrNoKernel, op, dev)
}

// TF32Switch is implemented by devices that can run float32 matrix products
// on TF32 tensor cores: inputs rounded to a 10-bit mantissa (relative error
// about 1e-3 instead of float32's 1e-7), several times the throughput. It is
// off until SetTF32(true); SetTF32 fails where the hardware has no TF32.
type TF32Switch interface {
	SetTF32(on bool) error
}

// EnableTF32 switches TF32 matrix products on for dev, or says why it cannot.
func EnableTF32(dev Device) error {
	s, ok := dev.(TF32Switch)
	if !ok {
		return fmt.Errorf("device %s has no TF32 tensor cores (TF32 needs an NVIDIA GPU of compute capability 8.0 or newer)", dev.Name())
	}
	return s.SetTF32(true)
}

// Device is a place where buffers live and kernels run.
type Device interface {
	// Name identifies the device, e.g. "cpu" or "cuda:0".
	Name() string
	// Alloc returns a buffer of n elements of dt. Its contents are undefined.
	Alloc(dt tensor.Dtype, n int) (Buffer, error)
	// Free releases a buffer made by Alloc.
	Free(b Buffer) error
	// Upload copies src ([]float32 or []float64 matching dst's dtype, with
	// len(src) == dst.Len()) into dst.
	Upload(dst Buffer, src any) error
	// Download waits for pending work and copies src into dst ([]float32 or
	// []float64 with len(dst) == src.Len()).
	Download(dst any, src Buffer) error
	// Sync waits until all enqueued work has finished and reports the first
	// asynchronous error, if any.
	Sync() error
	// Close releases every resource of the device.
	Close() error

	Kernels
}

// Kernels are the numeric routines of Collegium's ops, grouped by concern
// the way gonum groups BLAS by level, so that a device can be read (and a new
// kernel placed) one concern at a time. Each returns an error for bad
// arguments or a failed launch, or an error wrapping ErrNoKernel when the
// device does not support the buffers' dtype. All tensors are dense and
// row-major.
type Kernels interface {
	Elementwise
	BLAS
	Convolution
	Normalization
	Pooling
	Ensemble
	Loss
	Optimizer
}

// Elementwise are the kernels that map each element on its own.
type Elementwise interface {
	// Fill sets every element of b to v.
	Fill(b Buffer, v float64) error
	// Copy copies src into dst (equal lengths and dtypes).
	Copy(dst, src Buffer) error
	// Add computes y = a + b elementwise. y may alias a or b.
	Add(a, b, y Buffer) error
	// Scale computes y = alpha·x elementwise. y may alias x.
	Scale(alpha float64, x, y Buffer) error
	// ReLU computes y = max(x, 0).
	ReLU(x, y Buffer) error
	// ReLUGrad computes dx = dy where y > 0, else 0, from the forward output y.
	ReLUGrad(y, dy, dx Buffer) error
}

// BLAS is the batched matrix product every dense and block-diagonal layer uses.
type BLAS interface {
	// Gemm computes, for every batch index i, C_i = alpha·op(A_i)·op(B_i) +
	// beta·C_i (see GemmParams).
	Gemm(p GemmParams) error
}

// Convolution are the grouped 2-D convolution kernels (see ConvParams).
type Convolution interface {
	// Conv2dForward computes y = conv(x, w) (see ConvParams for shapes).
	Conv2dForward(p ConvParams, x, w, y Buffer) error
	// Conv2dBackwardData computes dx from dy and w (dx is overwritten).
	Conv2dBackwardData(p ConvParams, dy, w, dx Buffer) error
	// Conv2dBackwardFilter computes dw from x and dy (dw is overwritten).
	Conv2dBackwardFilter(p ConvParams, x, dy, dw Buffer) error
}

// Normalization are the per-channel kernels: bias and batch normalisation,
// over x viewed as (Outer, C, Inner).
type Normalization interface {
	// BiasAdd computes y[o,c,i] = x[o,c,i] + b[c] for x viewed as (Outer, C, Inner).
	BiasAdd(l ChannelLayout, x, b, y Buffer) error
	// BiasGrad computes db[c] = Σ_{o,i} dy[o,c,i].
	BiasGrad(l ChannelLayout, dy, db Buffer) error
	// BatchNormStats writes the statistics that normalise channel c of the
	// (Outer, C, Inner) view of x: stats[c] = mean and stats[C+c] =
	// 1/sqrt(var + eps). In training mode they are the batch mean and biased
	// variance, and runMean and runVar are updated in place with p.Momentum
	// (PyTorch's rule, unbiased variance for the running estimate); in eval
	// mode they come from runMean and runVar. The forward and both backward
	// kernels read them instead of recomputing them.
	BatchNormStats(p BatchNormParams, x, runMean, runVar, stats Buffer) error
	// BatchNormForward computes y = gamma·(x − mean)·invstd + beta.
	BatchNormForward(p BatchNormParams, x, stats, gamma, beta, y Buffer) error
	// BatchNormBackwardGamma computes dgamma[c] = Σ dy·x̂, x̂ = (x −
	// mean)·invstd.
	BatchNormBackwardGamma(p BatchNormParams, x, stats, dy, dgamma Buffer) error
	// BatchNormBackwardData computes dx. In training mode the statistics
	// depend on x: dx = gamma·invstd·(dy − dbeta/m − x̂·dgamma/m) over the m
	// = Outer·Inner values of a channel, with dgamma from
	// BatchNormBackwardGamma and dbeta = Σ dy (BiasGrad); in eval mode dx =
	// dy·gamma·invstd and dgamma, dbeta are not read.
	BatchNormBackwardData(p BatchNormParams, x, stats, gamma, dgamma, dbeta, dy, dx Buffer) error
}

// Pooling are the spatial reductions (see PoolParams).
type Pooling interface {
	// GlobalAvgPool computes y[r] = mean over x[r, 0:spatial] for x viewed as
	// (rows, spatial).
	GlobalAvgPool(rows, spatial int, x, y Buffer) error
	// GlobalAvgPoolGrad computes dx[r, s] = dy[r]/spatial.
	GlobalAvgPoolGrad(rows, spatial int, dy, dx Buffer) error

	// MaxPool2d computes y = the maximum of each window of x (see
	// PoolParams); NaN ranks above every number, so it propagates.
	MaxPool2d(p PoolParams, x, y Buffer) error
	// MaxPool2dGrad computes dx (overwritten): each dy element is added to
	// the element of x where its window's maximum lies, the first one in
	// row-major order on ties (PyTorch's rule). The positions are found
	// again from x, not stored by the forward pass.
	MaxPool2dGrad(p PoolParams, x, dy, dx Buffer) error
}

// Ensemble are the kernels that combine the members of a collegial ensemble
// (see MemberParams).
type Ensemble interface {
	// MemberMean computes y[b, j] = scale·Σ_k x[b, k·width + j] for x of
	// shape (batch, members·width) and y of shape (batch, width).
	MemberMean(p MemberParams, x, y Buffer) error
	// MemberMeanGrad computes dx[b, k·width + j] = scale·dy[b, j].
	MemberMeanGrad(p MemberParams, dy, dx Buffer) error
}

// Loss are the kernels that reduce outputs to a scalar loss.
type Loss interface {
	// SoftmaxCrossEntropy computes loss[0] = mean over rows b of
	// −log softmax(logits[b, :])[labels[b]]; labels hold class indices as
	// floats. A label outside [0, classes) is an error.
	SoftmaxCrossEntropy(batch, classes int, logits, labels, loss Buffer) error
	// SoftmaxCrossEntropyGrad computes dlogits = dloss[0]·(softmax − onehot)/batch.
	SoftmaxCrossEntropyGrad(batch, classes int, logits, labels, dloss, dlogits Buffer) error

	// WeightedSum computes y[0] = Σ_i w[i]·x[i].
	WeightedSum(x, w, y Buffer) error
	// WeightedSumGrad computes dx[i] = dy[0]·w[i].
	WeightedSumGrad(w, dy, dx Buffer) error
}

// Optimizer are the in-place parameter updates (see SGDParams, AdamParams).
type Optimizer interface {
	// SGDUpdate applies one step of SGD with momentum to param in place,
	// using and updating velocity (see SGDParams).
	SGDUpdate(p SGDParams, param, grad, velocity Buffer) error
	// AdamUpdate applies one Adam step to param in place, updating the first
	// and second moment buffers m and v (see AdamParams).
	AdamUpdate(p AdamParams, param, grad, m, v Buffer) error
}

// Launcher is implemented by ops that the executor can run: Launch enqueues
// the op's forward computation on the device's kernels, reading inputs in
// argument order and writing out.
type Launcher interface {
	Launch(k Kernels, inputs []Buffer, out Buffer) error
}
