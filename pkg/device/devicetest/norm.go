package devicetest

import (
	"math"
	"testing"

	"github.com/collegium/collegium/pkg/device"
)

// bnRef holds the reference results of batch normalisation of one input:
// stats is the means then the inverse standard deviations.
type bnRef struct {
	stats, y, runMean, runVar, dx, dgamma, dbeta []float64
}

// batchNormRef computes batch normalisation by its definition: per channel
// statistics over (Outer, Inner), PyTorch's running-statistics update, and
// the gradients of y with respect to x and gamma.
func batchNormRef(p device.BatchNormParams, x, gamma, beta, runMean, runVar, dy []float64) bnRef {
	l := p.ChannelLayout
	r := bnRef{y: make([]float64, len(x)), dx: make([]float64, len(x)), dgamma: make([]float64, l.C), dbeta: make([]float64, l.C),
		stats: make([]float64, 2*l.C), runMean: append([]float64(nil), runMean...), runVar: append([]float64(nil), runVar...)}
	count := float64(l.Outer * l.Inner)
	for c := range l.C {
		var idx []int
		for o := range l.Outer {
			for i := range l.Inner {
				idx = append(idx, (o*l.C+c)*l.Inner+i)
			}
		}
		mean, variance := runMean[c], runVar[c]
		if p.Training {
			mean, variance = 0, 0
			for _, i := range idx {
				mean += x[i] / count
			}
			for _, i := range idx {
				variance += (x[i] - mean) * (x[i] - mean) / count
			}
			r.runMean[c] = (1-p.Momentum)*runMean[c] + p.Momentum*mean
			r.runVar[c] = (1-p.Momentum)*runVar[c] + p.Momentum*variance*count/(count-1)
		}
		sd := math.Sqrt(variance + p.Eps)
		r.stats[c], r.stats[l.C+c] = mean, 1/sd
		var meanDy, meanDyXhat float64
		for _, i := range idx {
			xhat := (x[i] - mean) / sd
			r.y[i] = gamma[c]*xhat + beta[c]
			r.dgamma[c] += dy[i] * xhat
			r.dbeta[c] += dy[i]
			meanDy += dy[i] / count
			meanDyXhat += dy[i] * xhat / count
		}
		for _, i := range idx {
			if p.Training {
				r.dx[i] = gamma[c] / sd * (dy[i] - meanDy - (x[i]-mean)/sd*meanDyXhat)
			} else {
				r.dx[i] = gamma[c] / sd * dy[i]
			}
		}
	}
	return r
}

func testBatchNorm(t *testing.T, h *harness) {
	for _, l := range layouts[:3] {
		for _, training := range []bool{true, false} {
			p := device.BatchNormParams{ChannelLayout: l, Eps: 1e-5, Momentum: 0.1, Training: training}
			x := mapRef(h.normal(l.Len()), func(_ int, v float64) float64 { return 3 + 2*v })
			x = h.round(x)
			gamma, beta := h.uniform(l.C, 0.5, 1.5), h.normal(l.C)
			rm, rv := h.normal(l.C), h.uniform(l.C, 0.5, 2)
			dy := h.normal(l.Len())
			ref := batchNormRef(p, x, gamma, beta, rm, rv, dy)
			X, G, DY := h.buf(x), h.buf(gamma), h.buf(dy)
			RM, RV := h.buf(rm), h.buf(rv)
			stats := h.poisoned(2 * l.C)
			h.must("batch norm stats", h.dev.BatchNormStats(p, X, RM, RV, stats))
			h.check("batch norm stats", stats, ref.stats)
			h.check("batch norm running mean", RM, ref.runMean)
			h.check("batch norm running var", RV, ref.runVar)
			y := h.poisoned(l.Len())
			h.must("batch norm forward", h.dev.BatchNormForward(p, X, stats, G, h.buf(beta), y))
			h.check("batch norm forward", y, ref.y)
			dg := h.poisoned(l.C)
			h.must("batch norm backward gamma", h.dev.BatchNormBackwardGamma(p, X, stats, DY, dg))
			h.check("batch norm backward gamma", dg, ref.dgamma)
			dx := h.poisoned(l.Len())
			h.must("batch norm backward data", h.dev.BatchNormBackwardData(p, X, stats, G, dg, h.buf(ref.dbeta), DY, dx))
			h.check("batch norm backward data", dx, ref.dx)
		}
	}
}
