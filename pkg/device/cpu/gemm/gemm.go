package gemm

import "unsafe"

// Float is the element type of a product.
type Float interface{ ~float32 | ~float64 }

// Gemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices, where
// op(A) is m×k (A is k×m when transA) and op(B) is k×n (n×k when transB).
// When beta is 0, C is not read. Callers validate the sizes.
func Gemm[T Float](transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	if unsafe.Sizeof(alpha) == 4 {
		sgemm(transA, transB, m, n, k, float32(alpha), asF32(a), lda, asF32(b), ldb, float32(beta), asF32(c), ldc)
		return
	}
	dgemm(transA, transB, m, n, k, float64(alpha), asF64(a), lda, asF64(b), ldb, float64(beta), asF64(c), ldc)
}

// asF32 views a slice of a 4-byte Float as []float32 (same memory).
func asF32[T Float](s []T) []float32 {
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

// asF64 views a slice of an 8-byte Float as []float64 (same memory).
func asF64[T Float](s []T) []float64 {
	return unsafe.Slice((*float64)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

// ScaleC sets the m×n matrix C (row stride ldc) to beta·C, writing zeros
// without reading when beta is 0: the whole product when K is 0.
func ScaleC[T Float](m, n int, beta T, c []T, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		ci := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(ci)
			continue
		}
		for j := range ci {
			ci[j] *= beta
		}
	}
}

// Transpose sets dst[j·ldd + i] = src[i·lds + j] for i < rows, j < cols:
// float32 blocks of 16×16 go through an AVX-512 transpose where present.
func Transpose[T Float](dst []T, ldd int, src []T, lds, rows, cols int) {
	i0 := 0
	if unsafe.Sizeof(dst[0]) == 4 && useAVX512 {
		d, s := asF32(dst), asF32(src)
		var tile [nr * nr]float32
		for ; i0+nr <= rows; i0 += nr {
			j := 0
			for ; j+nr <= cols; j += nr {
				transpose16(tile[:], s[i0*lds+j:], lds)
				for r := range nr {
					copy(d[(j+r)*ldd+i0:][:nr], tile[r*nr:][:nr])
				}
			}
			for ; j < cols; j++ {
				for i := i0; i < i0+nr; i++ {
					d[j*ldd+i] = s[i*lds+j]
				}
			}
		}
	}
	for i := i0; i < rows; i++ {
		for j := range cols {
			dst[j*ldd+i] = src[i*lds+j]
		}
	}
}
