package models

import (
	"fmt"

	G "gorgonia.org/gorgonia"
)

// mlp is the MLP-CE: a dense first layer from the shared input to the m·n
// first-layer units of all members, L−1 block-diagonal layers (each member
// n→n), ReLU after each, and the members' readouts.
func (b *builder) mlp(x *G.Node) *G.Node {
	s := b.spec
	h := b.relu(b.dense("fc0", x, s.Input.Size(), s.Members*s.Width))
	for l := 1; l < s.Depth; l++ {
		h = b.relu(b.blockDiag(fmt.Sprintf("fc%d", l), h, s.Members, s.Width, s.Width))
	}
	return b.readout(h)
}
