package gemm

import "golang.org/x/sys/cpu"

// useAVX2 selects the assembly micro-kernel.
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// kernel6x16AVX2 is kernelGo in AVX2+FMA assembly.
//
//go:noescape
func kernel6x16AVX2(k int, a *float32, rsa, csa int, b *float32, rsb int, c *float32, ldc int, alpha, beta float32)

// kernel runs the fastest micro-kernel the CPU supports.
func kernel(k int, a *float32, rsa, csa int, b *float32, rsb int, c *float32, ldc int, alpha, beta float32) {
	if useAVX2 {
		kernel6x16AVX2(k, a, rsa, csa, b, rsb, c, ldc, alpha, beta)
		return
	}
	kernelGo(k, a, rsa, csa, b, rsb, c, ldc, alpha, beta)
}
