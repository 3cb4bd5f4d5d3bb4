package models

import (
	"fmt"

	G "gorgonia.org/gorgonia"
)

// convNet is the ConvNet-CE: a shared 3×3 stem convolution from the input
// to the m·n channels of all members, L−1 grouped 3×3 convolutions with
// stride 2 and groups m (each member n→n channels), ReLU after each, global
// average pooling and the members' readouts.
func (b *builder) convNet(x *G.Node) *G.Node {
	s := b.spec
	c := s.Members * s.Width
	h := b.relu(b.conv("conv0", x, convSpec{out: c, kernel: 3, stride: 1, pad: 1, groups: 1}, true))
	for l := 1; l < s.Depth; l++ {
		h = b.relu(b.conv(fmt.Sprintf("conv%d", l), h, convSpec{out: c, kernel: 3, stride: 2, pad: 1, groups: s.Members}, true))
	}
	return b.readout(b.globalAvgPool(h))
}
