package gemm

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchGemm times one product shape and reports GFLOP/s.
func benchGemm[T Float](b *testing.B, transA, transB bool, m, n, k int) {
	r := rand.New(rand.NewPCG(1, 1))
	x, y, z := randSlice[T](r, m*k), randSlice[T](r, k*n), make([]T, m*n)
	lda, ldb := k, n
	if transA {
		lda = m
	}
	if transB {
		ldb = k
	}
	b.ResetTimer()
	for b.Loop() {
		Gemm(transA, transB, m, n, k, 1, x, lda, y, ldb, 0, z, n)
	}
	b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// benchShapes are the shapes that matter: square products, a dense layer's
// forward (NN) and backward (NT, TN) products, per-member block-diagonal
// products and per-image grouped-conv products.
var benchShapes = []struct {
	name           string
	transA, transB bool
	m, n, k        int
}{
	{"square256", false, false, 256, 256, 256},
	{"square512", false, false, 512, 512, 512},
	{"square1024", false, false, 1024, 1024, 1024},
	{"square2048", false, false, 2048, 2048, 2048},
	{"dense128x1024x1024/NN", false, false, 128, 1024, 1024},
	{"dense128x1024x1024/NT", false, true, 128, 1024, 1024},
	{"dense1024x1024x128/TN", true, false, 1024, 1024, 128},
	{"member128x16x16/NN", false, false, 128, 16, 16},
	{"member128x16x16/NT", false, true, 128, 16, 16},
	{"member16x16x128/TN", true, false, 16, 16, 128},
	{"member128x64x64/NN", false, false, 128, 64, 64},
	{"member128x64x64/NT", false, true, 128, 64, 64},
	{"member64x64x128/TN", true, false, 64, 64, 128},
	{"conv10x1024x90/NN", false, false, 10, 1024, 90},
	{"conv64x1024x576/NN", false, false, 64, 1024, 576},
}

func BenchmarkSgemm(b *testing.B) {
	for _, s := range benchShapes {
		b.Run(s.name, func(b *testing.B) { benchGemm[float32](b, s.transA, s.transB, s.m, s.n, s.k) })
	}
}

func BenchmarkDgemm(b *testing.B) {
	for _, n := range []int{64, 256} {
		b.Run(fmt.Sprintf("square%d", n), func(b *testing.B) { benchGemm[float64](b, false, false, n, n, n) })
	}
}

// BenchmarkSgemmStrided times the three products of a block-diagonal layer
// (batch 128, members side by side in each row) through GemmStrided.
func BenchmarkSgemmStrided(b *testing.B) {
	for _, s := range []struct{ members, width int }{{64, 16}, {16, 64}} {
		members, w := s.members, s.width
		row := members * w
		r := rand.New(rand.NewPCG(1, 1))
		x, wt, y := randSlice[float32](r, 128*row), randSlice[float32](r, members*w*w), make([]float32, 128*row)
		for _, tr := range []string{"NN", "NT", "TN"} {
			b.Run(fmt.Sprintf("m%d-n%d/%s", members, w, tr), func(b *testing.B) {
				for b.Loop() {
					switch tr {
					case "NN":
						GemmStrided(false, false, 128, w, w, 1, x, row, w, wt, w, w*w, 0, y, row, w, members)
					case "NT":
						GemmStrided(false, true, 128, w, w, 1, x, row, w, wt, w, w*w, 0, y, row, w, members)
					case "TN":
						GemmStrided(true, false, w, w, 128, 1, x, row, w, y, row, w, 0, wt, w, w*w, members)
					}
				}
				b.ReportMetric(2*float64(128*members*w*w)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
