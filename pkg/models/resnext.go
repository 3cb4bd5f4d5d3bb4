package models

import (
	"fmt"

	G "gorgonia.org/gorgonia"

	"github.com/collegium/collegium/pkg/ops"
)

// bottleneckNames are the layer names inside one bottleneck, so that each
// family keeps the names of its reference implementation.
type bottleneckNames struct {
	conv, bn         [3]string
	projConv, projBN string
}

// CIFAR ResNeXt (Xie et al.'s code and its PyTorch port) and torchvision.
var (
	cifarNames = bottleneckNames{
		conv:     [3]string{"conv_reduce", "conv_conv", "conv_expand"},
		bn:       [3]string{"bn_reduce", "bn", "bn_expand"},
		projConv: "shortcut.conv", projBN: "shortcut.bn",
	}
	torchvisionNames = bottleneckNames{
		conv:     [3]string{"conv1", "conv2", "conv3"},
		bn:       [3]string{"bn1", "bn2", "bn3"},
		projConv: "downsample.0", projBN: "downsample.1",
	}
)

// bottleneck is relu(bn(1×1 expand(relu(bn(3×3 grouped(relu(bn(1×1
// reduce(x))))))) + shortcut(x)), the stride on the 3×3 convolution, with a
// 1×1 conv + BN projection shortcut when the shape changes.
func (b *builder) bottleneck(prefix string, names bottleneckNames, x *G.Node, st stage, stride int) *G.Node {
	if b.err != nil {
		return nil
	}
	in := x.Shape()[1]
	p := func(name string) string { return prefix + "." + name }
	h := b.relu(b.bn(p(names.bn[0]), b.conv(p(names.conv[0]), x, convSpec{out: st.d, kernel: 1, stride: 1, groups: 1}, false)))
	h = b.relu(b.bn(p(names.bn[1]), b.conv(p(names.conv[1]), h, convSpec{out: st.d, kernel: 3, stride: stride, pad: 1, groups: b.spec.Members}, false)))
	h = b.bn(p(names.bn[2]), b.conv(p(names.conv[2]), h, convSpec{out: st.out, kernel: 1, stride: 1, groups: 1}, false))
	shortcut := x
	if in != st.out || stride != 1 {
		shortcut = b.bn(p(names.projBN), b.conv(p(names.projConv), x, convSpec{out: st.out, kernel: 1, stride: stride, groups: 1}, false))
	}
	return b.relu(b.add(h, shortcut))
}

// stages runs the bottleneck stages; the first block of each stage carries
// the stage's stride.
func (b *builder) stages(prefix string, names bottleneckNames, h *G.Node, stages []stage) *G.Node {
	for i, st := range stages {
		for k := range st.blocks {
			stride := 1
			if k == 0 {
				stride = st.stride
			}
			h = b.bottleneck(fmt.Sprintf("%s%d.%d", prefix, i+1, k), names, h, st, stride)
		}
	}
	return h
}

// resnext29 is the CIFAR ResNeXt: 3×3 stem to 64 + BN + ReLU, three stages,
// global average pooling and a linear classifier.
func (b *builder) resnext29(x *G.Node) *G.Node {
	h := b.relu(b.bn("bn_1", b.conv("conv_1_3x3", x, convSpec{out: 64, kernel: 3, stride: 1, pad: 1, groups: 1}, false)))
	h = b.stages("stage", cifarNames, h, resnext29Stages(b.spec))
	return b.classifier("classifier", b.globalAvgPool(h))
}

// resnextImageNet is torchvision's ResNeXt: 7×7 stride-2 stem to 64 + BN +
// ReLU, a 3×3 stride-2 padding-1 max pool, four stages, global average
// pooling and a linear classifier.
func (b *builder) resnextImageNet(x *G.Node) *G.Node {
	h := b.relu(b.bn("bn1", b.conv("conv1", x, convSpec{out: 64, kernel: 7, stride: 2, pad: 3, groups: 1}, false)))
	h = b.apply("maxpool", func() (*G.Node, error) {
		return ops.MaxPool2d(h, ops.PoolConfig{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Pad: [2]int{1, 1}})
	})
	h = b.stages("layer", torchvisionNames, h, resnextImageNetStages(b.spec))
	return b.classifier("fc", b.globalAvgPool(h))
}

// classifier is a linear layer with bias from (N, C) to the classes.
func (b *builder) classifier(name string, h *G.Node) *G.Node {
	if b.err != nil {
		return nil
	}
	return b.dense(name, h, h.Shape()[1], b.spec.Classes)
}
