//go:build !amd64

package gemm

// Off amd64 only the portable kernel exists; these mirror the amd64 switches
// so that tests read the same everywhere.
var (
	useAVX512 = false
	useAVX2   = false
)

// tileRows is the height of the portable kernel's tile.
func tileRows() int { return 6 }

// kernel runs the portable micro-kernel on one 6×nr tile.
func kernel(k int, a *float32, rsa, csa int, b *float32, rsb int, c *float32, ldc int, alpha, beta float32) {
	kernelGo(6, k, a, rsa, csa, b, rsb, c, ldc, alpha, beta)
}

// rows16 runs the portable row kernel of 16×16 products; only tests reach it
// here, since the batched path takes rows16 with AVX-512 alone.
func rows16(rows int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32) {
	rows16Go(rows, a, lda, b, ldb, c, ldc, alpha, beta)
}

// transpose16 sets d[j·16+p] = s[p·ld+j] for p, j < 16.
func transpose16(d, s []float32, ld int) {
	transpose16Go(d, s, ld)
}

// splitRow16 sets d[q·stride+j] = s[q·16+j] for q < panels, j < 16.
func splitRow16(d, s []float32, panels, stride int) {
	splitRow16Go(d, s, panels, stride)
}
