//go:build amd64

package cpu

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestVecLoops checks the float32 loops of vec.go, with the AVX-512 versions
// on where present and off, against float64 references on every length up
// to several vectors plus a tail, including NaN handling of the ReLUs.
func TestVecLoops(t *testing.T) {
	defer func(v bool) { useVecAVX512 = v }(useVecAVX512)
	r := rand.New(rand.NewPCG(5, 6))
	for _, asm := range []bool{useVecAVX512, false} {
		useVecAVX512 = asm
		for n := range 70 {
			x, dy := make([]float32, n), make([]float32, n)
			for i := range x {
				x[i], dy[i] = float32(3+r.NormFloat64()), float32(r.NormFloat64())
			}
			if n > 5 {
				x[n/2] = float32(math.NaN())
			}
			near := func(what string, got, want float64) {
				t.Helper()
				if !(math.Abs(got-want) <= 1e-5*(1+math.Abs(want))) && !(math.IsNaN(got) && math.IsNaN(want)) {
					t.Fatalf("asm=%v n=%d %s: got %v, want %v", asm, n, what, got, want)
				}
			}
			var s, sq, dd float64
			for i := range x {
				s += float64(x[i])
				sq += (float64(x[i]) - 2.5) * (float64(x[i]) - 2.5)
				dd += float64(dy[i]) * (float64(x[i]) - 2.5)
			}
			near("sum", sum32(x), s)
			near("sqdev", sqdev32(x, 2.5), sq)
			near("dotdev", dotdev32(dy, x, 2.5), dd)
			y, dx := make([]float32, n), make([]float32, n)
			centered32(y, x, 2.5, 1.5, -0.25)
			bndx32(dx, dy, x, 2.5, 0.5, -2, 0.125)
			for i := range x {
				near("centered", float64(y[i]), 1.5*(float64(x[i])-2.5)-0.25)
				near("bndx", float64(dx[i]), 0.5*float64(dy[i])-2*(float64(x[i])-2.5)+0.125)
			}
			relu32(y, dy)
			reluGrad32(dx, x, dy)
			for i := range x {
				near("relu", float64(y[i]), max(float64(dy[i]), 0))
				want := 0.0
				if x[i] > 0 {
					want = float64(dy[i])
				}
				near("relu grad", float64(dx[i]), want)
			}
			if n > 5 {
				relu32(y, x)
				if !math.IsNaN(float64(y[n/2])) {
					t.Fatalf("asm=%v n=%d: relu of NaN gave %v", asm, n, y[n/2])
				}
			}
		}
	}
}

// TestSGDLoop: the AVX-512 SGD step rounds like the Go loop, so the two
// give the same bits, with and without Nesterov.
func TestSGDLoop(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, nesterov := range []bool{false, true} {
		for n := range 40 {
			theta, grad, vel := make([]float32, n), make([]float32, n), make([]float32, n)
			for i := range theta {
				theta[i], grad[i], vel[i] = float32(r.NormFloat64()), float32(r.NormFloat64()), float32(r.NormFloat64())
			}
			t2, g2, v2 := append([]float32(nil), theta...), append([]float32(nil), grad...), append([]float32(nil), vel...)
			sgd32(theta, grad, vel, 0.1, 0.9, 1e-4, nesterov)
			sgdGo(t2, g2, v2, 0.1, 0.9, 1e-4, nesterov)
			for i := range theta {
				if math.Float32bits(theta[i]) != math.Float32bits(t2[i]) || math.Float32bits(vel[i]) != math.Float32bits(v2[i]) {
					t.Fatalf("nesterov=%v n=%d element %d: %v, %v vs %v, %v", nesterov, n, i, theta[i], vel[i], t2[i], v2[i])
				}
			}
		}
	}
}

// TestAddAccum: the AVX-512 add and float64 accumulation give the Go loops'
// bits (one rounding per element either way).
func TestAddAccum(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for n := range 50 {
		a, b := make([]float32, n), make([]float32, n)
		acc, acc2 := make([]float64, n), make([]float64, n)
		for i := range a {
			a[i], b[i], acc[i] = float32(r.NormFloat64()), float32(r.NormFloat64()), r.NormFloat64()
		}
		copy(acc2, acc)
		y, y2 := make([]float32, n), make([]float32, n)
		add32(y, a, b)
		addGo(y2, a, b)
		accum32(acc, a)
		accumGo(acc2, a)
		for i := range y {
			if math.Float32bits(y[i]) != math.Float32bits(y2[i]) || math.Float64bits(acc[i]) != math.Float64bits(acc2[i]) {
				t.Fatalf("n=%d element %d: %v %v, %v %v", n, i, y[i], y2[i], acc[i], acc2[i])
			}
		}
	}
}
