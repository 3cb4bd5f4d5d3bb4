package ntk

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/collegium/collegium/pkg/models"
	"github.com/collegium/collegium/pkg/ops"
)

// BottleneckPath is one isolated ResNeXt bottleneck path In→Width→Width→In
// (1×1 conv, ReLU, 3×3 conv, ReLU, 1×1 conv; no BN, no bias, Kaiming
// fan-in init) on Size×Size inputs; its outputs are the In channels
// averaged over space.
type BottleneckPath struct {
	In    int `json:"in"`
	Width int `json:"width"`
	Size  int `json:"size"`
}

// InputSize is In·Size·Size.
func (b BottleneckPath) InputSize() int { return b.In * b.Size * b.Size }

// Build makes the path's graph for one example.
func (b BottleneckPath) Build() (Network, error) {
	if b.In < 1 || b.Width < 1 || b.Size < 1 {
		return Network{}, fmt.Errorf("ntk: bottleneck path %+v: every size must be ≥ 1", b)
	}
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float64, 4, G.WithShape(1, b.In, b.Size, b.Size), G.WithName("x"))
	net := Network{Graph: g, Input: x}
	conv := func(h *G.Node, name string, out, in, k int) (*G.Node, error) {
		w := G.NewTensor(g, tensor.Float64, 4, G.WithShape(out, in, k, k), G.WithName(name))
		net.Params = append(net.Params, Param{Node: w, Scale: 1, Init: kaimingInit(out*in*k*k, in*k*k, len(net.Params))})
		return ops.GroupedConv2d(h, w, ops.ConvConfig{Pad: [2]int{k / 2, k / 2}})
	}
	h, err := conv(x, "reduce", b.Width, b.In, 1)
	if err == nil {
		h, err = ops.ReLU(h)
	}
	if err == nil {
		h, err = conv(h, "conv", b.Width, b.Width, 3)
	}
	if err == nil {
		h, err = ops.ReLU(h)
	}
	if err == nil {
		h, err = conv(h, "expand", b.In, b.Width, 1)
	}
	if err == nil {
		net.Output, err = ops.GlobalAvgPool(h)
	}
	if err != nil {
		return Network{}, fmt.Errorf("ntk: bottleneck path %+v: %w", b, err)
	}
	return net, nil
}

// kaimingInit returns an initialiser drawing size values N(0, 2/fanIn) with
// models' Kaiming draw, the stream keyed by the tensor's index (a path has
// no model's tensor names).
func kaimingInit(size, fanIn, index int) func(seed uint64) []float64 {
	return func(seed uint64) []float64 {
		return models.Gaussian(size, models.KaimingStd(fanIn), seed, uint64(index)+1)
	}
}
