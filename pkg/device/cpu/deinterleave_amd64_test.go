//go:build amd64

package cpu

import "testing"

// TestInterleave checks deinterleave and interleave for every length up to
// three vector steps and a tail, with the assembly on and off, and that
// nothing past n pairs is written.
func TestInterleave(t *testing.T) {
	defer func(v bool) { useInterleaveAVX512 = v }(useInterleaveAVX512)
	for _, asm := range []bool{useInterleaveAVX512, false} {
		useInterleaveAVX512 = asm
		for n := range 53 {
			src := make([]float32, 2*n+2)
			for i := range src {
				src[i] = float32(i) + 0.5
			}
			even, odd := make([]float32, n+1), make([]float32, n+1)
			even[n], odd[n] = -1, -1
			deinterleave(even, odd, src, n)
			for i := range n {
				if even[i] != src[2*i] || odd[i] != src[2*i+1] {
					t.Fatalf("asm=%v n=%d: deinterleave element %d: %v, %v", asm, n, i, even[i], odd[i])
				}
			}
			if even[n] != -1 || odd[n] != -1 {
				t.Fatalf("asm=%v n=%d: deinterleave wrote past n", asm, n)
			}
			dst := make([]float32, 2*n+2)
			dst[2*n], dst[2*n+1] = -1, -1
			interleave(dst, even, odd, n)
			for i := range 2 * n {
				if dst[i] != src[i] {
					t.Fatalf("asm=%v n=%d: interleave element %d: %v, want %v", asm, n, i, dst[i], src[i])
				}
			}
			if dst[2*n] != -1 || dst[2*n+1] != -1 {
				t.Fatalf("asm=%v n=%d: interleave wrote past n", asm, n)
			}
		}
	}
}
