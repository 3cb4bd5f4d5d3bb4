package devicetest

import (
	"math"
	"testing"

	"github.com/collegium/collegium/pkg/device"
)

func testSGD(t *testing.T, h *harness) {
	for _, p := range []device.SGDParams{
		{LR: 0.1, Momentum: 0.9, WeightDecay: 5e-4},
		{LR: 0.05, Momentum: 0.9, WeightDecay: 1e-4, Nesterov: true},
		{LR: 0.3},
	} {
		for _, n := range vecSizes[1:] {
			theta, grad, vel := h.normal(n), h.normal(n), h.normal(n)
			wantTheta, wantVel := make([]float64, n), make([]float64, n)
			for i := range theta {
				g := grad[i] + p.WeightDecay*theta[i]
				wantVel[i] = p.Momentum*vel[i] + g
				step := wantVel[i]
				if p.Nesterov {
					step = g + p.Momentum*wantVel[i]
				}
				wantTheta[i] = theta[i] - p.LR*step
			}
			T, V := h.buf(theta), h.buf(vel)
			h.must("sgd update", h.dev.SGDUpdate(p, T, h.buf(grad), V))
			h.check("sgd param", T, wantTheta)
			h.check("sgd velocity", V, wantVel)
		}
	}
}

func testAdam(t *testing.T, h *harness) {
	for _, p := range []device.AdamParams{
		{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, Step: 1},
		{LR: 1e-2, Beta1: 0.8, Beta2: 0.99, Eps: 1e-6, WeightDecay: 0.1, Step: 3},
		{LR: 1e-2, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01, Step: 10, Decoupled: true},
	} {
		for _, n := range vecSizes[1:] {
			theta, grad := h.normal(n), h.normal(n)
			m, v := h.normal(n), h.uniform(n, 0, 1)
			wantTheta, wantM, wantV := make([]float64, n), make([]float64, n), make([]float64, n)
			for i := range theta {
				g, th := grad[i], theta[i]
				if p.Decoupled {
					th *= 1 - p.LR*p.WeightDecay
				} else {
					g += p.WeightDecay * th
				}
				wantM[i] = p.Beta1*m[i] + (1-p.Beta1)*g
				wantV[i] = p.Beta2*v[i] + (1-p.Beta2)*g*g
				mhat := wantM[i] / (1 - math.Pow(p.Beta1, float64(p.Step)))
				vhat := wantV[i] / (1 - math.Pow(p.Beta2, float64(p.Step)))
				wantTheta[i] = th - p.LR*mhat/(math.Sqrt(vhat)+p.Eps)
			}
			T, M, V := h.buf(theta), h.buf(m), h.buf(v)
			h.must("adam update", h.dev.AdamUpdate(p, T, h.buf(grad), M, V))
			h.check("adam param", T, wantTheta)
			h.check("adam first moment", M, wantM)
			h.check("adam second moment", V, wantV)
		}
	}
}
