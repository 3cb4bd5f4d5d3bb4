package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/collegium/collegium/internal/raceflag"
)

// gemmRef is the naive reference product, accumulated in float64. It also
// returns, per element of C, the magnitude bound |alpha|·Σ|a||b| + |beta·c|
// that scales the tolerance.
func gemmRef[T Float](transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) (want, scale []float64) {
	want = make([]float64, m*n)
	scale = make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s, abs float64
			for p := 0; p < k; p++ {
				var av, bv T
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
				abs += math.Abs(float64(av) * float64(bv))
			}
			w := float64(alpha) * s
			sc := math.Abs(float64(alpha)) * abs
			if beta != 0 {
				w += float64(beta) * float64(c[i*ldc+j])
				sc += math.Abs(float64(beta) * float64(c[i*ldc+j]))
			}
			want[i*n+j], scale[i*n+j] = w, sc
		}
	}
	return want, scale
}

func randSlice[T Float](r *rand.Rand, n int) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = T(r.Float64()*2 - 1)
	}
	return s
}

type gemmCase struct {
	transA, transB bool
	m, n, k        int
	pad            int
	alpha, beta    float64
}

func (tc gemmCase) String() string {
	return fmt.Sprintf("tA=%v,tB=%v,m=%d,n=%d,k=%d,pad=%d,alpha=%g,beta=%g", tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.pad, tc.alpha, tc.beta)
}

// stored returns the stored shapes of A (ar×ac) and B (br×bc).
func (tc gemmCase) stored() (int, int, int, int) {
	ar, ac := tc.m, tc.k
	if tc.transA {
		ar, ac = tc.k, tc.m
	}
	br, bc := tc.k, tc.n
	if tc.transB {
		br, bc = tc.n, tc.k
	}
	return ar, ac, br, bc
}

// checkGemm runs Gemm on random data for one case and compares with gemmRef.
// C is poisoned with NaN when beta is 0, and its padding must stay untouched.
func checkGemm[T Float](t *testing.T, r *rand.Rand, tc gemmCase, tol float64) {
	t.Helper()
	ar, ac, br, bc := tc.stored()
	lda, ldb, ldc := ac+tc.pad, bc+tc.pad, tc.n+tc.pad
	a := randSlice[T](r, max(ar*lda, 1))
	b := randSlice[T](r, max(br*ldb, 1))
	c := randSlice[T](r, max(tc.m*ldc, 1))
	if tc.beta == 0 {
		for i := range c {
			c[i] = T(math.NaN())
		}
	}
	c0 := append([]T(nil), c...)
	want, scale := gemmRef(tc.transA, tc.transB, tc.m, tc.n, tc.k, T(tc.alpha), a, lda, b, ldb, T(tc.beta), c, ldc)
	Gemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, T(tc.alpha), a, lda, b, ldb, T(tc.beta), c, ldc)
	for i := 0; i < tc.m; i++ {
		for j := 0; j < ldc && i*ldc+j < len(c); j++ {
			got := float64(c[i*ldc+j])
			if j >= tc.n {
				if math.Float64bits(got) != math.Float64bits(float64(c0[i*ldc+j])) {
					t.Fatalf("%v: padding C[%d,%d] changed", tc, i, j)
				}
				continue
			}
			w := want[i*tc.n+j]
			if math.IsNaN(got) || math.Abs(got-w) > tol*scale[i*tc.n+j]+1e-30 {
				t.Fatalf("%v: C[%d,%d] = %v, want %v (scale %v)", tc, i, j, got, w, scale[i*tc.n+j])
			}
		}
	}
}

// gemmCases lists random and edge shapes over all transpose combinations.
func gemmCases(r *rand.Rand) []gemmCase {
	dims := []int{0, 1, 2, 5, 6, 7, 15, 16, 17, 31, 33, 64}
	var cs []gemmCase
	ab := [][2]float64{{1, 0}, {1, 1}, {0.5, -1.5}, {-2, 0}, {0, 0.5}, {1, 0.25}}
	for _, tA := range []bool{false, true} {
		for _, tB := range []bool{false, true} {
			for i := 0; i < 60; i++ {
				x := ab[r.IntN(len(ab))]
				cs = append(cs, gemmCase{tA, tB, dims[r.IntN(len(dims))], dims[r.IntN(len(dims))], dims[r.IntN(len(dims))], r.IntN(3) * 3, x[0], x[1]})
			}
			for _, s := range [][3]int{{128, 16, 16}, {128, 64, 64}, {10, 1024, 90}, {64, 300, 576}, {150, 40, 1000}, {13, 3100, 20}, {300, 200, 280}} {
				x := ab[r.IntN(len(ab))]
				cs = append(cs, gemmCase{tA, tB, s[0], s[1], s[2], r.IntN(2) * 5, x[0], x[1]})
			}
		}
	}
	return cs
}

// withPacking runs f under the default packing thresholds, with packing
// forced wherever it is optional (every stride counted as aliased), and with
// it avoided wherever possible.
func withPacking(t *testing.T, f func(t *testing.T)) {
	defRows, defCols, defFlops, defReuse, defColsA, defAlias := packMinRows, packMinCols, packMinFlops, packMinReuse, packMinColsA, aliasStride
	defer func() {
		packMinRows, packMinCols, packMinFlops, packMinReuse, packMinColsA, aliasStride = defRows, defCols, defFlops, defReuse, defColsA, defAlias
	}()
	for _, p := range []struct {
		name                                   string
		rows, cols, flops, reuse, colsA, alias int
	}{
		{"default", defRows, defCols, defFlops, defReuse, defColsA, defAlias},
		{"pack", 0, 0, 0, 0, 0, 1},
		{"inplace", math.MaxInt, math.MaxInt, math.MaxInt, math.MaxInt, math.MaxInt, math.MaxInt},
	} {
		packMinRows, packMinCols, packMinFlops, packMinReuse, packMinColsA, aliasStride = p.rows, p.cols, p.flops, p.reuse, p.colsA, p.alias
		t.Run(p.name, f)
	}
}

func TestGemmFloat32(t *testing.T) {
	withPacking(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(1, 2))
		for _, tc := range gemmCases(r) {
			checkGemm[float32](t, r, tc, 1e-5)
		}
	})
}

// slowerKernels runs f with each slower kernel the CPU could run instead of
// the one in use.
func slowerKernels(t *testing.T, f func(t *testing.T)) {
	avx512, avx2 := useAVX512, useAVX2
	defer func() { useAVX512, useAVX2 = avx512, avx2 }()
	for _, k := range []struct {
		name         string
		avx512, avx2 bool
	}{{"avx2", false, avx2}, {"portable", false, false}} {
		if k.avx512 == avx512 && k.avx2 == avx2 {
			continue
		}
		useAVX512, useAVX2 = k.avx512, k.avx2
		t.Run(k.name, f)
	}
}

// TestGemmFloat32Kernels repeats the float32 test with each slower kernel.
func TestGemmFloat32Kernels(t *testing.T) {
	slowerKernels(t, func(t *testing.T) {
		withPacking(t, func(t *testing.T) {
			r := rand.New(rand.NewPCG(3, 4))
			for _, tc := range gemmCases(r) {
				checkGemm[float32](t, r, tc, 1e-5)
			}
		})
	})
}

func TestGemmFloat64(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, tc := range gemmCases(r) {
		checkGemm[float64](t, r, tc, 1e-12)
	}
}

type namedFloat float32

func TestGemmNamedType(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	checkGemm[namedFloat](t, r, gemmCase{false, true, 20, 37, 41, 2, 1.5, 0.5}, 1e-5)
}

// TestKernelsAgree compares the micro-kernel in use with the portable one on
// strided operands.
func TestKernelsAgree(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	rows := tileRows()
	for _, k := range []int{0, 1, 3, 16, 257} {
		for _, ab := range [][2]float32{{1, 0}, {0.75, 1}, {-1, 0.5}} {
			rsa, csa, rsb, ldc := k+3, 1, nr+5, nr+2
			a := randSlice[float32](r, rows*rsa+1)
			b := randSlice[float32](r, k*rsb+nr)
			c1 := randSlice[float32](r, rows*ldc)
			c2 := append([]float32(nil), c1...)
			kernel(k, &a[0], rsa, csa, &b[0], rsb, &c1[0], ldc, ab[0], ab[1])
			kernelGo(rows, k, &a[0], rsa, csa, &b[0], rsb, &c2[0], ldc, ab[0], ab[1])
			for i := range c1 {
				if d := math.Abs(float64(c1[i] - c2[i])); d > 1e-5*float64(k+1) {
					t.Fatalf("k=%d alpha=%v beta=%v: C[%d] kernel %v, Go %v", k, ab[0], ab[1], i, c1[i], c2[i])
				}
			}
		}
	}
}

// TestTranspose16 checks transpose16, under each kernel choice, on a strided
// source.
func TestTranspose16(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	test := func(t *testing.T) {
		for _, ld := range []int{nr, nr + 3, 1024} {
			s, d := randSlice[float32](r, (nr-1)*ld+nr), make([]float32, nr*nr)
			transpose16(d, s, ld)
			for p := range nr {
				for j := range nr {
					if d[j*nr+p] != s[p*ld+j] {
						t.Fatalf("ld=%d: d[%d·16+%d] = %v, want %v", ld, j, p, d[j*nr+p], s[p*ld+j])
					}
				}
			}
		}
	}
	t.Run("in use", test)
	slowerKernels(t, test)
}

// TestRows16 checks the row kernel in use and the portable one against the
// reference on strided operands, with C poisoned by NaN when beta is 0.
func TestRows16(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, f := range []struct {
		name string
		fn   func(rows int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)
	}{{"in use", rows16}, {"portable", rows16Go}} {
		for _, rows := range []int{1, 3, 4, 5, 8, 13, 128} {
			for _, ab := range [][2]float32{{1, 0}, {1, 1}, {-0.75, 0}, {0.5, -1.5}} {
				lda, ldb, ldc := nr+r.IntN(3)*7, nr+r.IntN(2)*5, nr+r.IntN(3)*9
				a, b, c := randSlice[float32](r, rows*lda), randSlice[float32](r, nr*ldb), randSlice[float32](r, rows*ldc)
				if ab[1] == 0 {
					for i := range c {
						c[i] = float32(math.NaN())
					}
				}
				c0 := append([]float32(nil), c...)
				want, scale := gemmRef(false, false, rows, nr, nr, ab[0], a, lda, b, ldb, ab[1], c, ldc)
				f.fn(rows, &a[0], lda, &b[0], ldb, &c[0], ldc, ab[0], ab[1])
				for i := range rows {
					for j := range ldc {
						got := c[i*ldc+j]
						if j >= nr {
							if math.Float32bits(got) != math.Float32bits(c0[i*ldc+j]) {
								t.Fatalf("%s rows=%d: padding C[%d,%d] changed", f.name, rows, i, j)
							}
							continue
						}
						w, s := want[i*nr+j], scale[i*nr+j]
						if math.IsNaN(float64(got)) || math.Abs(float64(got)-w) > 1e-5*s+1e-30 {
							t.Fatalf("%s rows=%d alpha=%v beta=%v: C[%d,%d] = %v, want %v", f.name, rows, ab[0], ab[1], i, j, got, w)
						}
					}
				}
			}
		}
	}
}

func TestGemmNoAllocs(t *testing.T) {
	if raceflag.Enabled {
		t.Skip("the race detector makes sync.Pool drop items")
	}
	r := rand.New(rand.NewPCG(11, 12))
	for _, s := range [][3]int{{128, 16, 16}, {64, 1024, 576}, {200, 300, 300}} {
		m, n, k := s[0], s[1], s[2]
		a, b, c := randSlice[float32](r, m*k), randSlice[float32](r, k*n), make([]float32, m*n)
		for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}} {
			lda, ldb := k, n
			if tr[0] {
				lda = m
			}
			if tr[1] {
				ldb = k
			}
			allocs := testing.AllocsPerRun(5, func() {
				Gemm(tr[0], tr[1], m, n, k, 1, a, lda, b, ldb, 0, c, n)
			})
			if allocs != 0 {
				t.Errorf("%v trans=%v: %v allocs per call", s, tr, allocs)
			}
		}
	}
}

// checkGemmStrided runs GemmStrided on a random batch for one case and
// compares every member with gemmRef. Members sit side by side in shared rows
// (the block-diagonal layout) or one below the other; C is poisoned with NaN
// when beta is 0, and elements outside the members must stay untouched.
func checkGemmStrided[T Float](t *testing.T, r *rand.Rand, tc gemmCase, batch int, sideBySide bool, tol float64) {
	t.Helper()
	ar, ac, br, bc := tc.stored()
	// layout returns the row stride, member stride and length of a batch of
	// rows×cols matrices (one element more, so that empty members slice).
	layout := func(rows, cols int) (ld, stride, size int) {
		ld, stride = cols+tc.pad, rows*(cols+tc.pad)+tc.pad
		if sideBySide {
			ld, stride = batch*cols+tc.pad, cols
		}
		return ld, stride, (batch-1)*stride + rows*ld + 1
	}
	lda, sa, na := layout(ar, ac)
	ldb, sb, nb := layout(br, bc)
	ldc, sc, nc := layout(tc.m, tc.n)
	a, b, c := randSlice[T](r, na), randSlice[T](r, nb), randSlice[T](r, nc)
	if tc.beta == 0 {
		for i := range c {
			c[i] = T(math.NaN())
		}
	}
	c0 := append([]T(nil), c...)
	inside := make([]bool, len(c))
	type result struct{ want, scale []float64 }
	res := make([]result, batch)
	for i := range batch {
		res[i].want, res[i].scale = gemmRef(tc.transA, tc.transB, tc.m, tc.n, tc.k, T(tc.alpha), a[i*sa:], lda, b[i*sb:], ldb, T(tc.beta), c[i*sc:], ldc)
	}
	GemmStrided(tc.transA, tc.transB, tc.m, tc.n, tc.k, T(tc.alpha), a, lda, sa, b, ldb, sb, T(tc.beta), c, ldc, sc, batch)
	for i := range batch {
		for x := range tc.m {
			for y := range tc.n {
				e := i*sc + x*ldc + y
				inside[e] = true
				got, w, s := float64(c[e]), res[i].want[x*tc.n+y], res[i].scale[x*tc.n+y]
				if math.IsNaN(got) || math.Abs(got-w) > tol*s+1e-30 {
					t.Fatalf("%v batch=%d side=%v: C_%d[%d,%d] = %v, want %v (scale %v)", tc, batch, sideBySide, i, x, y, got, w, s)
				}
			}
		}
	}
	for e := range c {
		if !inside[e] && math.Float64bits(float64(c[e])) != math.Float64bits(float64(c0[e])) {
			t.Fatalf("%v batch=%d side=%v: C[%d] outside the members changed", tc, batch, sideBySide, e)
		}
	}
}

// stridedCases lists random small shapes, the block-diagonal member shapes,
// and shapes past the batched path's limits, over all transposes.
func stridedCases(r *rand.Rand) []gemmCase {
	dims := []int{0, 1, 5, 6, 15, 16, 17, 32, 33, 64}
	ab := [][2]float64{{1, 0}, {1, 1}, {0.5, -1.5}, {-2, 0}, {0, 0.5}}
	var cs []gemmCase
	for _, tA := range []bool{false, true} {
		for _, tB := range []bool{false, true} {
			for range 20 {
				x := ab[r.IntN(len(ab))]
				cs = append(cs, gemmCase{tA, tB, dims[r.IntN(len(dims))], dims[r.IntN(len(dims))], dims[r.IntN(len(dims))], r.IntN(2) * 3, x[0], x[1]})
			}
			for _, s := range [][3]int{{128, 16, 16}, {37, 16, 16}, {16, 16, 16}, {128, 64, 64}, {16, 16, 128}, {64, 64, 128}, {40, 20, 300}} {
				for _, beta := range []float64{0, 1} {
					cs = append(cs, gemmCase{tA, tB, s[0], s[1], s[2], r.IntN(2) * 4, 1, beta})
				}
			}
		}
	}
	return cs
}

func testGemmStrided(t *testing.T, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 14))
	for _, tc := range stridedCases(r) {
		for _, batch := range []int{1, 3, 9} {
			checkGemmStrided[float32](t, r, tc, batch, r.IntN(2) == 0, 1e-5)
		}
	}
}

func TestGemmStridedFloat32(t *testing.T) {
	withPacking(t, func(t *testing.T) { testGemmStrided(t, 13) })
}

// TestGemmStridedKernels repeats the batched test with each slower kernel.
func TestGemmStridedKernels(t *testing.T) {
	slowerKernels(t, func(t *testing.T) { testGemmStrided(t, 15) })
}

func TestGemmStridedFloat64(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	for _, tc := range stridedCases(r) {
		checkGemmStrided[float64](t, r, tc, 3, r.IntN(2) == 0, 1e-12)
	}
}

func TestGemmStridedNoAllocs(t *testing.T) {
	if raceflag.Enabled {
		t.Skip("the race detector makes sync.Pool drop items")
	}
	r := rand.New(rand.NewPCG(19, 20))
	for _, s := range [][2]int{{64, 16}, {16, 64}} {
		members, width := s[0], s[1]
		row := members * width
		x, w, y := randSlice[float32](r, 128*row), randSlice[float32](r, members*width*width), make([]float32, 128*row)
		for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}} {
			allocs := testing.AllocsPerRun(5, func() {
				if tr[0] {
					GemmStrided(true, false, width, width, 128, 1, x, row, width, y, row, width, 0, w, width, width*width, members)
					return
				}
				GemmStrided(false, tr[1], 128, width, width, 1, x, row, width, w, width, width*width, 0, y, row, width, members)
			})
			if allocs != 0 {
				t.Errorf("members=%d width=%d trans=%v: %v allocs per call", members, width, tr, allocs)
			}
		}
	}
}
