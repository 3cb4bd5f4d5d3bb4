//go:build !amd64

package gemm

// useAVX2 is false off amd64: only the portable kernel exists.
const useAVX2 = false

// kernel runs the portable micro-kernel.
func kernel(k int, a *float32, rsa, csa int, b *float32, rsb int, c *float32, ldc int, alpha, beta float32) {
	kernelGo(k, a, rsa, csa, b, rsb, c, ldc, alpha, beta)
}
