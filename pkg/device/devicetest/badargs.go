package devicetest

import (
	"fmt"
	"testing"

	"github.com/collegium/collegium/pkg/device"
	"gorgonia.org/tensor"
)

// rejects fails the test unless call returns an error without panicking.
func rejects(t *testing.T, what string, call func() error) {
	t.Helper()
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("panic: %v", r)
				t.Errorf("%s: panicked instead of returning an error: %v", what, r)
			}
		}()
		return call()
	}()
	if err == nil {
		t.Errorf("%s: no error", what)
	}
}

func testBadArguments(t *testing.T, h *harness) {
	other := tensor.Float64
	if h.dt == tensor.Float64 {
		other = tensor.Float32
	}
	wrong, err := h.dev.Alloc(other, 12)
	if err != nil {
		t.Fatalf("alloc %v: %v", other, err)
	}
	b12, b11, b1 := h.buf(h.normal(12)), h.buf(h.normal(11)), h.buf([]float64{0})
	dev := h.dev

	rejects(t, "upload: wrong length", func() error { return dev.Upload(b12, h.host(make([]float64, 11))) })
	rejects(t, "upload: wrong type", func() error { return dev.Upload(b12, []int{1}) })
	rejects(t, "download: wrong length", func() error { return dev.Download(h.host(make([]float64, 13)), b12) })
	rejects(t, "copy: lengths differ", func() error { return dev.Copy(b12, b11) })
	rejects(t, "copy: dtypes differ", func() error { return dev.Copy(b12, wrong) })
	rejects(t, "add: lengths differ", func() error { return dev.Add(b12, b12, b11) })
	rejects(t, "add: nil buffer", func() error { return dev.Add(b12, nil, b12) })
	rejects(t, "fill: nil buffer", func() error { return dev.Fill(nil, 1) })
	rejects(t, "relu grad: lengths differ", func() error { return dev.ReLUGrad(b12, b11, b12) })

	gp := device.GemmParams{M: 3, N: 4, K: 2, Alpha: 1, A: b12, B: b12, C: b11, LDA: 2, LDB: 4, LDC: 4, Batch: 1}
	rejects(t, "gemm: C too short", func() error { return dev.Gemm(gp) })
	gp.C = wrong
	rejects(t, "gemm: dtypes differ", func() error { return dev.Gemm(gp) })
	gp.C, gp.Batch, gp.StrideA = b12, 2, 7
	rejects(t, "gemm: batch overruns", func() error { return dev.Gemm(gp) })
	gp.Batch, gp.LDA = 1, 1
	rejects(t, "gemm: lda too small", func() error { return dev.Gemm(gp) })
	// Two 2×2 products into one buffer of 12: the same matrix (strideC 0),
	// then matrices one row apart.
	race := device.GemmParams{M: 2, N: 2, K: 2, Alpha: 1, A: b12, B: b12, C: b12, LDA: 2, LDB: 2, LDC: 2, StrideA: 4, StrideB: 4, Batch: 2}
	rejects(t, "gemm: batch outputs at one address", func() error { return dev.Gemm(race) })
	race.StrideC = 2
	rejects(t, "gemm: batch outputs overlap", func() error { return dev.Gemm(race) })

	cp := device.ConvParams{N: 1, C: 3, H: 2, W: 2, O: 1, KH: 1, KW: 1, Groups: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1}
	w3, y4 := h.buf(h.normal(3)), h.buf(h.normal(4))
	rejects(t, "conv forward: input length", func() error { return dev.Conv2dForward(cp, b11, w3, y4) })
	rejects(t, "conv backward data: filter length", func() error { return dev.Conv2dBackwardData(cp, y4, b12, b12) })
	rejects(t, "conv backward filter: output length", func() error { return dev.Conv2dBackwardFilter(cp, b12, b11, w3) })
	bad := cp
	bad.Groups = 2
	rejects(t, "conv: groups do not divide channels", func() error { return dev.Conv2dForward(bad, b12, w3, y4) })
	bad = cp
	bad.KH = 5
	rejects(t, "conv: kernel larger than input", func() error { return dev.Conv2dForward(bad, b12, w3, y4) })

	l := device.ChannelLayout{Outer: 2, C: 3, Inner: 2}
	c3, c6 := h.buf(h.normal(3)), h.buf(h.normal(6))
	rejects(t, "bias add: bias length", func() error { return dev.BiasAdd(l, b12, b12, b12) })
	rejects(t, "bias grad: output length", func() error { return dev.BiasGrad(l, b12, b11) })
	bn := device.BatchNormParams{ChannelLayout: l, Eps: 1e-5, Momentum: 0.1, Training: true}
	rejects(t, "batch norm stats: stats length", func() error { return dev.BatchNormStats(bn, b12, c3, c3, c3) })
	rejects(t, "batch norm forward: gamma length", func() error { return dev.BatchNormForward(bn, b12, c6, b12, c3, b12) })
	rejects(t, "batch norm backward data: dx length", func() error { return dev.BatchNormBackwardData(bn, b12, c6, c3, c3, c3, b12, b11) })
	rejects(t, "batch norm backward gamma: x length", func() error { return dev.BatchNormBackwardGamma(bn, b11, c6, b12, c3) })

	rejects(t, "global avg pool: output length", func() error { return dev.GlobalAvgPool(3, 4, b12, b12) })
	rejects(t, "global avg pool grad: input length", func() error { return dev.GlobalAvgPoolGrad(3, 4, c3, b11) })
	pp := device.PoolParams{N: 1, C: 3, H: 2, W: 2, KH: 2, KW: 2, StrideH: 2, StrideW: 2}
	rejects(t, "max pool: output length", func() error { return dev.MaxPool2d(pp, b12, b11) })
	rejects(t, "max pool: dtypes differ", func() error { return dev.MaxPool2d(pp, wrong, c3) })
	rejects(t, "max pool grad: dy length", func() error { return dev.MaxPool2dGrad(pp, b12, b12, b12) })
	rejects(t, "max pool grad: dx length", func() error { return dev.MaxPool2dGrad(pp, b12, c3, b11) })
	badPool := pp
	badPool.PadH = 2
	rejects(t, "max pool: padding over half the kernel", func() error { return dev.MaxPool2d(badPool, b12, c3) })
	badPool = pp
	badPool.KW = 3
	rejects(t, "max pool: kernel larger than input", func() error { return dev.MaxPool2d(badPool, b12, c3) })
	badPool = pp
	badPool.StrideW = 0
	rejects(t, "max pool: zero stride", func() error { return dev.MaxPool2dGrad(badPool, b12, c3, b12) })
	mp := device.MemberParams{Batch: 2, Members: 3, Width: 2, Scale: 1}
	rejects(t, "member mean: output length", func() error { return dev.MemberMean(mp, b12, b12) })
	rejects(t, "member mean grad: dx length", func() error { return dev.MemberMeanGrad(mp, h.buf(h.normal(4)), b11) })

	logits := h.buf(h.normal(6))
	rejects(t, "softmax: label out of range", func() error {
		return dev.SoftmaxCrossEntropy(2, 3, logits, h.buf([]float64{0, 3}), b1)
	})
	rejects(t, "softmax: negative label", func() error {
		return dev.SoftmaxCrossEntropy(2, 3, logits, h.buf([]float64{-1, 0}), b1)
	})
	rejects(t, "softmax: non-integer label", func() error {
		return dev.SoftmaxCrossEntropy(2, 3, logits, h.buf([]float64{0.5, 1}), b1)
	})
	rejects(t, "softmax: labels length", func() error {
		return dev.SoftmaxCrossEntropy(2, 3, logits, c3, b1)
	})
	rejects(t, "softmax grad: label out of range", func() error {
		return dev.SoftmaxCrossEntropyGrad(2, 3, logits, h.buf([]float64{2, 7}), b1, h.buf(h.normal(6)))
	})
	rejects(t, "softmax grad: dlogits length", func() error {
		return dev.SoftmaxCrossEntropyGrad(2, 3, logits, h.buf([]float64{2, 1}), b1, b12)
	})
	rejects(t, "weighted sum: lengths differ", func() error { return dev.WeightedSum(b12, b11, b1) })
	rejects(t, "weighted sum grad: dy length", func() error { return dev.WeightedSumGrad(b12, b12, b12) })
	rejects(t, "sgd: lengths differ", func() error { return dev.SGDUpdate(device.SGDParams{LR: 0.1}, b12, b11, b12) })
	rejects(t, "adam: step 0", func() error {
		return dev.AdamUpdate(device.AdamParams{LR: 0.1, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}, b12, b12, b12, b12)
	})
	rejects(t, "adam: dtypes differ", func() error {
		return dev.AdamUpdate(device.AdamParams{LR: 0.1, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, Step: 1}, b12, b12, wrong, b12)
	})
}
