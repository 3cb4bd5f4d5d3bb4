package gemm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSplitsAgreeBitwise: callers split products over workers by blocks of
// C or runs of batch items, and pick the batched path or not by the split,
// so every element of C must get the same bits however the product is cut.
// Each case computes C whole with Gemm, then block by block at ragged
// offsets, then member by member through GemmStrided, and compares bits,
// with the kernel in use and with each slower one.
func TestSplitsAgreeBitwise(t *testing.T) {
	t.Run("in use", testSplitsAgree)
	slowerKernels(t, testSplitsAgree)
}

func testSplitsAgree(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	for _, tc := range []gemmCase{
		{false, false, 128, 16, 16, 0, 1, 0},
		{false, true, 128, 16, 16, 0, 1, 1},
		{false, false, 40, 16, 16, 0, 0.5, 0.3},
		{true, false, 16, 16, 128, 0, 1, 1},
		{false, false, 130, 70, 300, 0, 1, 0},
		{true, true, 61, 45, 33, 0, -1.5, 0.3},
		{false, true, 37, 200, 64, 0, 1, 1},
		{false, false, 64, 48, 576, 0, 1, 0.7},
	} {
		ar, ac, br, bc := tc.stored()
		const batch = 3
		a, b := randSlice[float32](r, batch*ar*ac), randSlice[float32](r, batch*br*bc)
		c0 := randSlice[float32](r, batch*tc.m*tc.n)
		whole := append([]float32(nil), c0...)
		for i := range batch {
			Gemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, float32(tc.alpha), a[i*ar*ac:], ac, b[i*br*bc:], bc, float32(tc.beta), whole[i*tc.m*tc.n:], tc.n)
		}
		blocks := append([]float32(nil), c0...)
		for i := range batch {
			for i0 := 0; i0 < tc.m; i0 += 24 {
				for j0 := 0; j0 < tc.n; j0 += 40 {
					m, n := min(24, tc.m-i0), min(40, tc.n-j0)
					offA, offB := i0*ac, j0
					if tc.transA {
						offA = i0
					}
					if tc.transB {
						offB = j0 * bc
					}
					Gemm(tc.transA, tc.transB, m, n, tc.k, float32(tc.alpha), a[i*ar*ac+offA:], ac, b[i*br*bc+offB:], bc,
						float32(tc.beta), blocks[i*tc.m*tc.n+i0*tc.n+j0:], tc.n)
				}
			}
		}
		strided := append([]float32(nil), c0...)
		GemmStrided(tc.transA, tc.transB, tc.m, tc.n, tc.k, float32(tc.alpha), a, ac, ar*ac, b, bc, br*bc, float32(tc.beta), strided, tc.n, tc.m*tc.n, batch)
		for e := range whole {
			if math.Float32bits(whole[e]) != math.Float32bits(blocks[e]) || math.Float32bits(whole[e]) != math.Float32bits(strided[e]) {
				t.Fatalf("%v: element %d: whole %v, by blocks %v, batched %v", tc, e, whole[e], blocks[e], strided[e])
			}
		}
	}
}

// TestTranspose checks Transpose on ragged shapes and strides, in float32
// (16×16 blocks with AVX-512 where present) and float64.
func TestTranspose(t *testing.T) {
	for _, s := range [][2]int{{0, 5}, {1, 1}, {16, 16}, {17, 33}, {40, 16}, {16, 7}, {35, 50}} {
		rows, cols := s[0], s[1]
		lds, ldd := cols+3, rows+5
		src := make([]float32, rows*lds+1)
		for i := range src {
			src[i] = float32(i)
		}
		dst := make([]float32, cols*ldd+1)
		Transpose(dst, ldd, src, lds, rows, cols)
		src64 := make([]float64, len(src))
		for i, v := range src {
			src64[i] = float64(v)
		}
		dst64 := make([]float64, len(dst))
		Transpose(dst64, ldd, src64, lds, rows, cols)
		for i := range rows {
			for j := range cols {
				if dst[j*ldd+i] != src[i*lds+j] || dst64[j*ldd+i] != src64[i*lds+j] {
					t.Fatalf("%d×%d: element (%d, %d): %v, %v, want %v", rows, cols, i, j, dst[j*ldd+i], dst64[j*ldd+i], src[i*lds+j])
				}
			}
		}
	}
}
