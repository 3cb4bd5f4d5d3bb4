package cpu

import "math"

// Float32 loops of the per-channel kernels (batch norm, bias, ReLU), in Go.
// vec_amd64.go runs them in AVX-512 where present and finishes the last
// n%16 elements here; elsewhere vec_other.go calls these directly. Sums
// accumulate in float64.

func sumGo(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v)
	}
	return s
}

// sqdevGo returns Σ (x − mean)².
func sqdevGo(x []float32, mean float64) float64 {
	var s float64
	for _, v := range x {
		d := float64(v) - mean
		s += d * d
	}
	return s
}

// dotdevGo returns Σ dy·(x − mean).
func dotdevGo(dy, x []float32, mean float64) float64 {
	x = x[:len(dy)]
	var s float64
	for i, v := range dy {
		s += float64(v) * (float64(x[i]) - mean)
	}
	return s
}

// centeredGo sets y = a·(x − m) + b.
func centeredGo(y, x []float32, m, a, b float32) {
	x = x[:len(y)]
	for i, v := range x {
		y[i] = a*(v-m) + b
	}
}

// bndxGo sets dx = a·dy + (b·(x − m) + c).
func bndxGo(dx, dy, x []float32, m, a, b, c float32) {
	dy, x = dy[:len(dx)], x[:len(dx)]
	for i := range dx {
		dx[i] = a*dy[i] + (b*(x[i]-m) + c)
	}
}

// reluGo sets y = max(x, 0), NaN propagating.
func reluGo(y, x []float32) {
	x = x[:len(y)]
	for i, v := range x {
		y[i] = max(v, 0)
	}
}

// reluGradGo sets dx = dy where y > 0, else 0, without a branch per element
// (the sign of y is a coin toss, and a mispredicted branch costs more than
// the element): dy's bits masked by y > 0.
func reluGradGo(dx, y, dy []float32) {
	y, dy = y[:len(dx)], dy[:len(dx)]
	for i := range dx {
		var mask uint32
		if y[i] > 0 {
			mask = ^uint32(0)
		}
		dx[i] = math.Float32frombits(math.Float32bits(dy[i]) & mask)
	}
}

// addGo sets y = a + b.
func addGo(y, a, b []float32) {
	a, b = a[:len(y)], b[:len(y)]
	for i := range y {
		y[i] = a[i] + b[i]
	}
}

// accumGo adds x into the float64 accumulators acc.
func accumGo(acc []float64, x []float32) {
	x = x[:len(acc)]
	for i, v := range x {
		acc[i] += float64(v)
	}
}
