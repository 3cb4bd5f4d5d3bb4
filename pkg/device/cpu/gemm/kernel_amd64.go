package gemm

import "golang.org/x/sys/cpu"

// The micro-kernel in use: AVX-512 (16×16 tile) when present, else AVX2+FMA
// (6×16), else the portable Go kernel (6×16). Tests switch them off.
var (
	useAVX512 = cpu.X86.HasAVX512F
	useAVX2   = cpu.X86.HasAVX2 && cpu.X86.HasFMA
)

// kernel6x16AVX2 is kernelGo with 6 rows in AVX2+FMA assembly.
//
//go:noescape
func kernel6x16AVX2(k int, a *float32, rsa, csa int, b *float32, rsb int, c *float32, ldc int, alpha, beta float32)

// kernel16x16AVX512 is kernelGo with 16 rows in AVX-512 assembly.
//
//go:noescape
func kernel16x16AVX512(k int, a *float32, rsa, csa int, b *float32, rsb int, c *float32, ldc int, alpha, beta float32)

// rows16AVX512 is rows16Go in AVX-512 assembly, with the arithmetic of
// kernel16x16AVX512.
//
//go:noescape
func rows16AVX512(rows int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

// rows16 runs the row kernel of 16×16 products: AVX-512 when present, else
// the portable one (which only tests reach, since the batched path takes
// rows16 with AVX-512 alone).
func rows16(rows int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32) {
	if !useAVX512 {
		rows16Go(rows, a, lda, b, ldb, c, ldc, alpha, beta)
		return
	}
	rows16AVX512(rows, a, lda, b, ldb, c, ldc, alpha, beta)
}

// transpose16AVX512 is transpose16Go in AVX-512 assembly.
//
//go:noescape
func transpose16AVX512(d, s *float32, ld int)

// transpose16 sets d[j·16+p] = s[p·ld+j] for p, j < 16, in AVX-512 when
// present.
func transpose16(d, s []float32, ld int) {
	if !useAVX512 {
		transpose16Go(d, s, ld)
		return
	}
	_ = d[nr*nr-1]
	_ = s[(nr-1)*ld+nr-1]
	transpose16AVX512(&d[0], &s[0], ld)
}

// splitRow16AVX512 is splitRow16Go in AVX-512 assembly.
//
//go:noescape
func splitRow16AVX512(d, s *float32, panels, stride int)

// splitRow16 sets d[q·stride+j] = s[q·16+j] for q < panels, j < 16, in
// AVX-512 when present (the Go loop's 64-byte copies each call memmove).
func splitRow16(d, s []float32, panels, stride int) {
	if !useAVX512 || panels == 0 {
		splitRow16Go(d, s, panels, stride)
		return
	}
	_ = d[(panels-1)*stride+nr-1]
	_ = s[panels*nr-1]
	splitRow16AVX512(&d[0], &s[0], panels, stride)
}

// tileRows is the height of the micro-tile of the kernel in use.
func tileRows() int {
	if useAVX512 {
		return 16
	}
	return 6
}

// kernel runs the micro-kernel in use on one tileRows()×nr tile.
func kernel(k int, a *float32, rsa, csa int, b *float32, rsb int, c *float32, ldc int, alpha, beta float32) {
	switch {
	case useAVX512:
		kernel16x16AVX512(k, a, rsa, csa, b, rsb, c, ldc, alpha, beta)
	case useAVX2:
		kernel6x16AVX2(k, a, rsa, csa, b, rsb, c, ldc, alpha, beta)
	default:
		kernelGo(6, k, a, rsa, csa, b, rsb, c, ldc, alpha, beta)
	}
}
