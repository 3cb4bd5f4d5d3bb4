//go:build amd64

package cpu

import "golang.org/x/sys/cpu"

// useVecAVX512 selects the AVX-512 loops; tests switch it off.
var useVecAVX512 = cpu.X86.HasAVX512F

// vecBody is the part of n elements the AVX-512 loops take (whole vectors
// of 16), 0 without AVX-512.
func vecBody(n int) int {
	if !useVecAVX512 {
		return 0
	}
	return n &^ 15
}

// sum32 returns Σ x in float64.
func sum32(x []float32) float64 {
	n := vecBody(len(x))
	var s float64
	if n > 0 {
		s = sum16AVX512(&x[0], n)
	}
	return s + sumGo(x[n:])
}

// sqdev32 returns Σ (x − mean)² in float64.
func sqdev32(x []float32, mean float64) float64 {
	n := vecBody(len(x))
	var s float64
	if n > 0 {
		s = sqdev16AVX512(&x[0], n, mean)
	}
	return s + sqdevGo(x[n:], mean)
}

// dotdev32 returns Σ dy·(x − mean) in float64.
func dotdev32(dy, x []float32, mean float64) float64 {
	x = x[:len(dy)]
	n := vecBody(len(dy))
	var s float64
	if n > 0 {
		s = dotdev16AVX512(&dy[0], &x[0], n, mean)
	}
	return s + dotdevGo(dy[n:], x[n:], mean)
}

// centered32 sets y = a·(x − m) + b.
func centered32(y, x []float32, m, a, b float32) {
	x = x[:len(y)]
	n := vecBody(len(y))
	if n > 0 {
		centered16AVX512(&y[0], &x[0], n, m, a, b)
	}
	centeredGo(y[n:], x[n:], m, a, b)
}

// bndx32 sets dx = a·dy + (b·(x − m) + c).
func bndx32(dx, dy, x []float32, m, a, b, c float32) {
	dy, x = dy[:len(dx)], x[:len(dx)]
	n := vecBody(len(dx))
	if n > 0 {
		bndx16AVX512(&dx[0], &dy[0], &x[0], n, m, a, b, c)
	}
	bndxGo(dx[n:], dy[n:], x[n:], m, a, b, c)
}

// relu32 sets y = max(x, 0).
func relu32(y, x []float32) {
	x = x[:len(y)]
	n := vecBody(len(y))
	if n > 0 {
		relu16AVX512(&y[0], &x[0], n)
	}
	reluGo(y[n:], x[n:])
}

// reluGrad32 sets dx = dy where y > 0, else 0.
func reluGrad32(dx, y, dy []float32) {
	y, dy = y[:len(dx)], dy[:len(dx)]
	n := vecBody(len(dx))
	if n > 0 {
		reluGrad16AVX512(&dx[0], &y[0], &dy[0], n)
	}
	reluGradGo(dx[n:], y[n:], dy[n:])
}

// sgd32 is one SGD step over a float32 span (see sgdGo).
func sgd32(theta, grad, vel []float32, lr, mom, wd float32, nesterov bool) {
	grad, vel = grad[:len(theta)], vel[:len(theta)]
	n := vecBody(len(theta))
	if n > 0 {
		sgd16AVX512(&theta[0], &grad[0], &vel[0], n, lr, mom, wd, nesterov)
	}
	sgdGo(theta[n:], grad[n:], vel[n:], lr, mom, wd, nesterov)
}

// add32 sets y = a + b.
func add32(y, a, b []float32) {
	a, b = a[:len(y)], b[:len(y)]
	n := vecBody(len(y))
	if n > 0 {
		add16AVX512(&y[0], &a[0], &b[0], n)
	}
	addGo(y[n:], a[n:], b[n:])
}

// accum32 adds x into the float64 accumulators acc.
func accum32(acc []float64, x []float32) {
	x = x[:len(acc)]
	n := vecBody(len(acc))
	if n > 0 {
		accum16AVX512(&acc[0], &x[0], n)
	}
	accumGo(acc[n:], x[n:])
}

// The AVX-512 loops (vec_amd64.s) over n elements, n a multiple of 16.

//go:noescape
func add16AVX512(y, a, b *float32, n int)

//go:noescape
func accum16AVX512(acc *float64, x *float32, n int)

//go:noescape
func sgd16AVX512(theta, grad, vel *float32, n int, lr, mom, wd float32, nesterov bool)

//go:noescape
func sum16AVX512(x *float32, n int) float64

//go:noescape
func sqdev16AVX512(x *float32, n int, mean float64) float64

//go:noescape
func dotdev16AVX512(dy, x *float32, n int, mean float64) float64

//go:noescape
func centered16AVX512(y, x *float32, n int, m, a, b float32)

//go:noescape
func bndx16AVX512(dx, dy, x *float32, n int, m, a, b, c float32)

//go:noescape
func relu16AVX512(y, x *float32, n int)

//go:noescape
func reluGrad16AVX512(dx, y, dy *float32, n int)
