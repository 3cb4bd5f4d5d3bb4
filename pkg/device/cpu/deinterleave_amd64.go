//go:build amd64

package cpu

import "golang.org/x/sys/cpu"

// useInterleaveAVX512 selects the assembly (de)interleaves, which need
// AVX-512 with its 32-bit mask registers (BW); tests switch it off.
var useInterleaveAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW

// deinterleaveAVX512 is deinterleave in AVX-512.
//
//go:noescape
func deinterleaveAVX512(even, odd, src *float32, n int)

// interleaveAVX512 is interleave in AVX-512.
//
//go:noescape
func interleaveAVX512(dst, even, odd *float32, n int)

// deinterleave sets even[i] = src[2i] and odd[i] = src[2i+1] for i < n: the
// two column phases of a row of a stride-2 convolution's input.
func deinterleave(even, odd, src []float32, n int) {
	if n == 0 {
		return
	}
	even, odd, src = even[:n], odd[:n], src[:2*n]
	if useInterleaveAVX512 {
		deinterleaveAVX512(&even[0], &odd[0], &src[0], n)
		return
	}
	for i := range n {
		even[i], odd[i] = src[2*i], src[2*i+1]
	}
}

// interleave sets dst[2i] = even[i] and dst[2i+1] = odd[i] for i < n, the
// inverse of deinterleave.
func interleave(dst, even, odd []float32, n int) {
	if n == 0 {
		return
	}
	dst, even, odd = dst[:2*n], even[:n], odd[:n]
	if useInterleaveAVX512 {
		interleaveAVX512(&dst[0], &even[0], &odd[0], n)
		return
	}
	for i := range n {
		dst[2*i], dst[2*i+1] = even[i], odd[i]
	}
}
