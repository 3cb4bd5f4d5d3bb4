// Package gemm is Collegium's pure-Go matrix product for the CPU device:
// row-major C = alpha·op(A)·op(B) + beta·C in float32 and float64,
// single-threaded (the CPU device parallelises over independent products
// and over row or column blocks of one product).
//
// The float32 product is a GEMM in the BLIS/Goto style around one
// micro-kernel that computes a tile of C from an mr×kc panel of op(A) and a
// kc×16 panel of op(B), keeping the tile in vector registers. The kernel is
// chosen at run time with golang.org/x/sys/cpu: on amd64 with AVX-512 a 16×16
// tile (sixteen 16-wide accumulators, A broadcast from memory into each
// VFMADD231PS), with AVX2+FMA a 6×16 tile (twelve 8-wide accumulators,
// VBROADCASTSS + VFMADD231PS), elsewhere a portable Go loop with the 6×16
// contract. The kernel reads A and B through arbitrary row and column
// strides, so operands are packed (into scratch from a sync.Pool, zero-padded
// at the edges) only where it pays: for large products, whose strided rows
// would thrash the caches and TLB (mid-sized ones already when A is
// transposed), B whenever it is transposed, A when it has fewer rows than a
// tile (thresholds in sgemm.go). Small products, such as the per-member blocks of
// a collegial ensemble or per-image convolutions, run straight from the
// caller's memory; their ragged edges are computed as a tile shifted back
// inside the matrix, of which only the missing rows or columns are written.
// Loops are blocked as kc×nc panels of B and mc×kc blocks of A (constants in
// sgemm.go). GemmStrided runs a strided batch of small products, such as a
// block-diagonal matmul's members, tile row by tile row across the members
// with one workspace (strided.go); with AVX-512, members of a 16×16 op(B)
// (a width-16 block-diagonal matmul's forward and data gradient) instead
// stream rows of A through a kernel that keeps B_i in registers (strided16.go).
//
// The float64 product is a plainly blocked Go loop; it serves gradient checks.
package gemm
