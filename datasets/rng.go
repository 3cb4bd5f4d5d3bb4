package datasets

import (
	"math/bits"
	"math/rand/v2"
)

// Random streams of a Loader. Every draw is a pure function of the seed and
// the position (stream, epoch, batch), so a loader restored at any position
// draws exactly what an uninterrupted one would, with no RNG state to save.
const (
	streamPermutation = iota + 1
	streamAugment
	streamImage // one image of an ImageLoader: (epoch, position in the epoch)
)

// seedAt reseeds src for one position of one stream.
func seedAt(src *rand.PCG, seed uint64, parts ...uint64) {
	h := splitmix(seed)
	for _, p := range parts {
		h = splitmix(h ^ p)
	}
	src.Seed(h, splitmix(h))
}

// splitmix is the SplitMix64 finaliser: it spreads nearby inputs (epoch 3,
// epoch 4) over unrelated seeds.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// uniform returns an unbiased integer in [0, n), n > 0, by Lemire's
// multiply-and-reject, written out here so the sequence depends only on PCG
// (fixed by its algorithm) and not on a library's choice of method.
func uniform(src *rand.PCG, n int) int {
	bound := uint64(n)
	hi, lo := bits.Mul64(src.Uint64(), bound)
	if lo < bound {
		threshold := -bound % bound
		for lo < threshold {
			hi, lo = bits.Mul64(src.Uint64(), bound)
		}
	}
	return int(hi)
}

// permute fills order with a seeded random permutation (Fisher–Yates).
func permute(src *rand.PCG, order []int) {
	for i := range order {
		order[i] = i
	}
	for i := len(order) - 1; i > 0; i-- {
		j := uniform(src, i+1)
		order[i], order[j] = order[j], order[i]
	}
}
