package ops

import (
	"fmt"
	"slices"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/collegium/collegium/pkg/device"
)

// BatchNormConfig configures BatchNorm: Eps is added to the variance,
// Momentum is the weight of a batch's statistics in the running ones
// (PyTorch's convention, typically 0.1), and Training selects batch
// statistics (and running-stat updates) over the running ones.
type BatchNormConfig struct {
	Eps, Momentum float64
	Training      bool
}

// BatchNorm normalises x, (B, C) or (N, C, H, W), per channel and applies
// the affine map gamma·x̂ + beta (gamma, beta, runMean and runVar are (C)).
// In training mode it normalises by the batch mean and biased variance and,
// each time it runs, updates the leaves runMean and runVar in place (with
// the unbiased variance, as PyTorch); in eval mode it uses them. It is
// differentiable with respect to x, gamma and beta; in training mode the
// gradient wrt x includes the dependence of the batch statistics on x.
func BatchNorm(x, gamma, beta, runMean, runVar *G.Node, c BatchNormConfig) (*G.Node, error) {
	const name = "BatchNorm"
	err := checkArgs(name, in("x", x, 2, 4), in("gamma", gamma), in("beta", beta), in("runMean", runMean), in("runVar", runVar))
	if err != nil {
		return nil, err
	}
	xs := x.Shape()
	for _, n := range []*G.Node{gamma, beta, runMean, runVar} {
		if !slices.Equal(n.Shape(), tensor.Shape{xs[1]}) {
			return nil, fmt.Errorf("ops: %s: x %v: per-channel input has shape %v, want (%d)", name, xs, n.Shape(), xs[1])
		}
	}
	if !(c.Eps >= 0) || !(c.Momentum >= 0 && c.Momentum <= 1) {
		return nil, fmt.Errorf("ops: %s: eps %v must be ≥ 0 and momentum %v in [0, 1]", name, c.Eps, c.Momentum)
	}
	p := device.BatchNormParams{ChannelLayout: channelLayout(xs), Eps: c.Eps, Momentum: c.Momentum, Training: c.Training}
	stats, err := apply(batchNormStats{p}, tensor.Shape{2, xs[1]}, x, runMean, runVar)
	if err != nil {
		return nil, err
	}
	return apply(batchNorm{p}, xs, x, stats, gamma, beta)
}

// batchNormStats is the per-channel mean and inverse standard deviation
// (2, C) that normalise x; inputs x, runMean, runVar (updated in place in
// training mode). The forward and both backward kernels read it, so the
// statistics are computed once per step.
type batchNormStats struct{ p device.BatchNormParams }

// batchNorm is y = gamma·x̂ + beta; inputs x, stats, gamma, beta.
type batchNorm struct{ p device.BatchNormParams }

// batchNormGradGamma is dgamma; inputs x, stats, dy.
type batchNormGradGamma batchNorm

// batchNormGradData is dx; inputs x, stats, gamma, dgamma, dbeta, dy.
type batchNormGradData batchNorm

func (b batchNormStats) launch(k device.Kernels, in []device.Buffer, out device.Buffer) error {
	return k.BatchNormStats(b.p, in[0], in[1], in[2], out)
}

func (b batchNorm) launch(k device.Kernels, in []device.Buffer, out device.Buffer) error {
	return k.BatchNormForward(b.p, in[0], in[1], in[2], in[3], out)
}

func (b batchNormGradGamma) launch(k device.Kernels, in []device.Buffer, out device.Buffer) error {
	return k.BatchNormBackwardGamma(b.p, in[0], in[1], in[2], out)
}

func (b batchNormGradData) launch(k device.Kernels, in []device.Buffer, out device.Buffer) error {
	return k.BatchNormBackwardData(b.p, in[0], in[1], in[2], in[3], in[4], in[5], out)
}

// diffWRT: the statistics are not differentiated as a separate input; the
// gradient for x includes their dependence on x.
func (b batchNorm) diffWRT() []bool { return []bool{true, false, true, true} }

// grads builds dbeta = Σ dy and dgamma = Σ dy·x̂ first: dx reads both.
func (b batchNorm) grads(in G.Nodes, _, dy *G.Node) (G.Nodes, error) {
	x, stats, gamma, beta := in[0], in[1], in[2], in[3]
	gs, err := applyGradients(gradient{}, gradient{},
		gradient{batchNormGradGamma(b), gamma.Shape(), G.Nodes{x, stats, dy}},
		gradient{biasGrad{b.p.ChannelLayout}, beta.Shape(), G.Nodes{dy}})
	if err != nil {
		return nil, err
	}
	gs[0], err = apply(batchNormGradData(b), x.Shape(), x, stats, gamma, gs[2], gs[3], dy)
	return gs, err
}
