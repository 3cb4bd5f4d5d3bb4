//go:build amd64

package cpu

import "testing"

// TestInterleave checks deinterleave for every length up to three vector
// steps and a tail, with the assembly on and off, and that nothing past n
// pairs is written.
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
		}
	}
}

// TestInterleaveRows checks deinterleaveRows and interleaveRows, with the
// assembly on and off, against the index formulas for row lengths from 0
// to past two vector steps (odd ones included), one to three rows and
// strides with gaps between the rows, and that no element outside the
// rows' m elements is written.
func TestInterleaveRows(t *testing.T) {
	defer func(v bool) { useInterleaveAVX512 = v }(useInterleaveAVX512)
	const fill = -1
	for _, asm := range []bool{useInterleaveAVX512, false} {
		useInterleaveAVX512 = asm
		for m := range 71 {
			for rows := 1; rows <= 3; rows++ {
				ss, ds := m+3, (m+1)/2+2
				src := make([]float32, rows*ss)
				for i := range src {
					src[i] = float32(i) + 0.5
				}
				even, odd := make([]float32, rows*ds), make([]float32, rows*ds)
				for i := range even {
					even[i], odd[i] = fill, fill
				}
				deinterleaveRows(even, odd, src, m, rows, ss, ds)
				for i := range even {
					r, k := i/ds, i%ds
					we, wo := float32(fill), float32(fill)
					if 2*k < m {
						we = src[r*ss+2*k]
					}
					if 2*k+1 < m {
						wo = src[r*ss+2*k+1]
					}
					if even[i] != we || odd[i] != wo {
						t.Fatalf("asm=%v m=%d rows=%d: deinterleaveRows at %d: %v, %v, want %v, %v", asm, m, rows, i, even[i], odd[i], we, wo)
					}
				}
				dst := make([]float32, rows*ss)
				for i := range dst {
					dst[i] = fill
				}
				interleaveRows(dst, even, odd, m, rows, ss, ds)
				for i := range dst {
					want := float32(fill)
					if i%ss < m {
						want = src[i]
					}
					if dst[i] != want {
						t.Fatalf("asm=%v m=%d rows=%d: interleaveRows at %d: %v, want %v", asm, m, rows, i, dst[i], want)
					}
				}
			}
		}
	}
}

// TestCopyRows checks copyRows, with the assembly on and off, against its
// formula for row lengths 0–34 and widths from the row length to 35 (past
// one and two vectors), one to three rows and strides with gaps, and that
// nothing outside each row's width is written.
func TestCopyRows(t *testing.T) {
	defer func(v bool) { useInterleaveAVX512 = v }(useInterleaveAVX512)
	const fill = -1
	for _, asm := range []bool{useInterleaveAVX512, false} {
		useInterleaveAVX512 = asm
		for m := range 35 {
			for width := m; width <= 35; width++ {
				for rows := 1; rows <= 3; rows++ {
					ss, ds := m+2, width+3
					src := make([]float32, rows*ss)
					for i := range src {
						src[i] = float32(i) + 0.5
					}
					dst := make([]float32, rows*ds)
					for i := range dst {
						dst[i] = fill
					}
					copyRows(dst, src, m, width, rows, ds, ss)
					for i, v := range dst {
						r, j := i/ds, i%ds
						want := float32(fill)
						switch {
						case j < m:
							want = src[r*ss+j]
						case j < width:
							want = 0
						}
						if v != want {
							t.Fatalf("asm=%v m=%d width=%d rows=%d: element %d = %v, want %v", asm, m, width, rows, i, v, want)
						}
					}
				}
			}
		}
	}
}
