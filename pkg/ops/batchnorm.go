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
	return apply(batchNorm{p}, xs, x, gamma, beta, runMean, runVar)
}

// batchNorm is y = gamma·x̂ + beta; inputs x, gamma, beta, runMean, runVar
// (the last two updated in place in training mode).
type batchNorm struct{ p device.BatchNormParams }

// batchNormGradData is dx; inputs x, gamma, runVar, dy.
type batchNormGradData batchNorm

// batchNormGradGamma is dgamma; inputs x, runMean, runVar, dy.
type batchNormGradGamma batchNorm

func (b batchNorm) launch(k device.Kernels, in []device.Buffer, out device.Buffer) error {
	return k.BatchNormForward(b.p, in[0], in[1], in[2], in[3], in[4], out)
}

func (b batchNormGradData) launch(k device.Kernels, in []device.Buffer, out device.Buffer) error {
	return k.BatchNormBackwardData(b.p, in[0], in[1], in[2], in[3], out)
}

func (b batchNormGradGamma) launch(k device.Kernels, in []device.Buffer, out device.Buffer) error {
	return k.BatchNormBackwardGamma(b.p, in[0], in[1], in[2], in[3], out)
}

func (b batchNorm) diffWRT() []bool { return []bool{true, true, true, false, false} }

func (b batchNorm) grads(in G.Nodes, _, dy *G.Node) (G.Nodes, error) {
	x, gamma, beta, runMean, runVar := in[0], in[1], in[2], in[3], in[4]
	return applyGradients(
		gradient{batchNormGradData(b), x.Shape(), G.Nodes{x, gamma, runVar, dy}},
		gradient{batchNormGradGamma(b), gamma.Shape(), G.Nodes{x, runMean, runVar, dy}},
		gradient{biasGrad{b.p.ChannelLayout}, beta.Shape(), G.Nodes{dy}},
		gradient{}, gradient{})
}
