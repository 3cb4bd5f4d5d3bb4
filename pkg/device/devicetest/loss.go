package devicetest

import (
	"math"
	"testing"
)

// softmaxRef returns the mean cross entropy of logits (batch × classes)
// against labels and its gradient scaled by dloss.
func softmaxRef(batch, classes int, logits, labels []float64, dloss float64) (float64, []float64) {
	var loss float64
	grad := make([]float64, len(logits))
	for b := range batch {
		z := logits[b*classes : (b+1)*classes]
		zmax := math.Inf(-1)
		for _, v := range z {
			zmax = math.Max(zmax, v)
		}
		var s float64
		for _, v := range z {
			s += math.Exp(v - zmax)
		}
		label := int(labels[b])
		loss += (zmax + math.Log(s) - z[label]) / float64(batch)
		for j, v := range z {
			grad[b*classes+j] = dloss * math.Exp(v-zmax) / s / float64(batch)
		}
		grad[b*classes+label] -= dloss / float64(batch)
	}
	return loss, grad
}

func testSoftmax(t *testing.T, h *harness) {
	for _, s := range [][2]int{{1, 1}, {1, 10}, {128, 10}, {7, 1000}} {
		batch, classes := s[0], s[1]
		logits := h.uniform(batch*classes, -8, 8)
		labels := make([]float64, batch)
		for i := range labels {
			labels[i] = float64(h.rng.IntN(classes))
		}
		loss, grad := softmaxRef(batch, classes, logits, labels, 0.7)
		L, Y := h.buf(logits), h.buf(labels)
		out := h.poisoned(1)
		h.must("softmax cross entropy", h.dev.SoftmaxCrossEntropy(batch, classes, L, Y, out))
		h.check("softmax cross entropy", out, []float64{loss})
		dl := h.poisoned(batch * classes)
		h.must("softmax cross entropy grad", h.dev.SoftmaxCrossEntropyGrad(batch, classes, L, Y, h.buf([]float64{0.7}), dl))
		h.check("softmax cross entropy grad", dl, grad)
	}
	// Large logits must not overflow: log-sum-exp has to subtract the max.
	big := []float64{1000, 990, 1010, -1000}
	loss, grad := softmaxRef(2, 2, big, []float64{1, 0}, 1)
	out := h.poisoned(1)
	h.must("softmax cross entropy (large logits)", h.dev.SoftmaxCrossEntropy(2, 2, h.buf(big), h.buf([]float64{1, 0}), out))
	h.check("softmax cross entropy (large logits)", out, []float64{loss})
	dl := h.poisoned(4)
	h.must("softmax cross entropy grad (large logits)", h.dev.SoftmaxCrossEntropyGrad(2, 2, h.buf(big), h.buf([]float64{1, 0}), h.buf([]float64{1}), dl))
	h.check("softmax cross entropy grad (large logits)", dl, grad)
}

func testWeightedSum(t *testing.T, h *harness) {
	for _, n := range vecSizes {
		x, w := h.normal(n), h.normal(n)
		var ref float64
		for i := range x {
			ref += x[i] * w[i]
		}
		y := h.poisoned(1)
		h.must("weighted sum", h.dev.WeightedSum(h.buf(x), h.buf(w), y))
		h.check("weighted sum", y, []float64{ref})
		dx := h.poisoned(n)
		h.must("weighted sum grad", h.dev.WeightedSumGrad(h.buf(w), h.buf([]float64{-1.5}), dx))
		h.check("weighted sum grad", dx, mapRef(w, func(_ int, v float64) float64 { return -1.5 * v }))
	}
}
