// Package synth makes small learnable datasets for tests: images that are
// a class prototype plus noise, so that a few training steps visibly
// lower the loss.
package synth

import (
	"math/rand/v2"

	"github.com/collegium/collegium/datasets"
)

// Dataset is n 1×6×6 images of 4 classes: fixed class prototypes (the
// same for every seed) plus N(0, 1.5²) noise drawn from seed.
func Dataset(n int, seed uint64) *datasets.Dataset {
	const classes, side = 4, 6
	protos := rand.New(rand.NewPCG(99, 0))
	proto := make([]float32, classes*side*side)
	for i := range proto {
		proto[i] = float32(protos.NormFloat64())
	}
	r := rand.New(rand.NewPCG(seed, 1))
	d := &datasets.Dataset{
		Name: "synthetic", Channels: 1, Height: side, Width: side, Classes: classes,
		Mean: []float32{0}, Std: []float32{1},
		Images: make([]float32, n*side*side), Labels: make([]int, n),
	}
	for i := range n {
		c := r.IntN(classes)
		d.Labels[i] = c
		for j := range side * side {
			d.Images[i*side*side+j] = proto[c*side*side+j] + float32(1.5*r.NormFloat64())
		}
	}
	return d
}
