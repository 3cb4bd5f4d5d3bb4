// Package gemm is Collegium's pure-Go matrix product for the CPU device:
// row-major C = alpha·op(A)·op(B) + beta·C in float32 and float64,
// single-threaded (the CPU device parallelises over independent products
// and over row or column blocks of one product).
//
// The float32 product is a packed GEMM in the BLIS/Goto style. The
// micro-kernel computes a 6×16 tile of C (twelve 8-wide accumulators) from a
// 6×kc panel of op(A) and a kc×16 panel of op(B); on amd64 CPUs with AVX2 and
// FMA (checked at run time with golang.org/x/sys/cpu) it is Go assembly
// (VBROADCASTSS + VFMADD231PS), elsewhere a portable Go loop with the same
// contract. The kernel reads A and B through arbitrary row and column strides,
// so panels are packed (into scratch from a sync.Pool, zero-padded at the
// edges) only when it pays: op(B) is packed when it is transposed or when the
// product is large enough for its strided rows to thrash the cache, op(A) when
// it is large or fewer than 6 rows. Small products such as the per-member
// blocks of a collegial ensemble then run straight from the caller's memory.
// Loops are blocked as kc×nc panels of B and mc×kc blocks of A (see the
// constants in sgemm.go).
//
// The float64 product is a plainly blocked Go loop; it serves gradient checks.
package gemm
