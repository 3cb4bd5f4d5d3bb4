//go:build amd64

package cpu

import "golang.org/x/sys/cpu"

// useInterleaveAVX512 selects the assembly (de)interleaves, which need
// AVX-512 with its 32-bit mask registers (BW); tests switch it off.
var useInterleaveAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW

// deinterleaveRowsAVX512 is deinterleaveRows in AVX-512.
//
//go:noescape
func deinterleaveRowsAVX512(even, odd, src *float32, m, rows, srcStride, dstStride int)

// interleaveRowsAVX512 is interleaveRows in AVX-512.
//
//go:noescape
func interleaveRowsAVX512(dst, even, odd *float32, m, rows, dstStride, srcStride int)

// deinterleaveAVX512 is deinterleave in AVX-512: for one row it sets up
// fewer masks than deinterleaveRowsAVX512, and im2col's stride-2 gather
// calls it once per input row and tap row.
//
//go:noescape
func deinterleaveAVX512(even, odd, src *float32, n int)

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
	deinterleaveRowsGo(even, odd, src, 2*n, 1, 0, 0)
}

// deinterleaveRows splits rows rows of m elements, row r at src[r·srcStride:],
// into column phases: element j of row r goes to even[r·dstStride + j/2]
// when j is even and to odd[r·dstStride + j/2] when odd. Nothing else is
// written; one call covers all the rows of a plane that land in the same
// phase planes, so the per-row cost is a few instructions, not a call.
func deinterleaveRows(even, odd, src []float32, m, rows, srcStride, dstStride int) {
	if m == 0 || rows == 0 {
		return
	}
	last := (rows - 1) * dstStride
	even, odd, src = even[:last+(m+1)/2], odd[:last+m/2], src[:(rows-1)*srcStride+m]
	if useInterleaveAVX512 && m > 1 {
		deinterleaveRowsAVX512(&even[0], &odd[0], &src[0], m, rows, srcStride, dstStride)
		return
	}
	deinterleaveRowsGo(even, odd, src, m, rows, srcStride, dstStride)
}

// interleaveRows is the inverse of deinterleaveRows: dst[r·dstStride + j]
// = even[r·srcStride + j/2] for even j < m and odd[r·srcStride + j/2] for
// odd j.
func interleaveRows(dst, even, odd []float32, m, rows, dstStride, srcStride int) {
	if m == 0 || rows == 0 {
		return
	}
	last := (rows - 1) * srcStride
	dst, even, odd = dst[:(rows-1)*dstStride+m], even[:last+(m+1)/2], odd[:last+m/2]
	if useInterleaveAVX512 && m > 1 {
		interleaveRowsAVX512(&dst[0], &even[0], &odd[0], m, rows, dstStride, srcStride)
		return
	}
	interleaveRowsGo(dst, even, odd, m, rows, dstStride, srcStride)
}

// interleaveRowsGo is interleaveRows in plain Go.
func interleaveRowsGo(dst, even, odd []float32, m, rows, dstStride, srcStride int) {
	for r := range rows {
		d, e, o := dst[r*dstStride:][:m], even[r*srcStride:], odd[r*srcStride:]
		for j := 0; j+1 < m; j += 2 {
			d[j], d[j+1] = e[j/2], o[j/2]
		}
		if m%2 == 1 {
			d[m-1] = e[m/2]
		}
	}
}

// copyRowsAVX512 is copyRows in AVX-512 for rows of at most 32 elements.
//
//go:noescape
func copyRowsAVX512(dst, src *float32, rows, dstStride, srcStride, masks int)

// copyRows copies rows rows of m elements, row r from src[r·srcStride:] to
// dst[r·dstStride:], and zeroes each destination row from m up to width
// (width ≥ m): how the direct kernels' planes take a row-strided tensor
// in, with zero columns where rows wrap, and give their outputs back. Rows
// of up to 32 elements go through AVX-512 in one call, not a copy and a
// clear per row.
func copyRows(dst, src []float32, m, width, rows, dstStride, srcStride int) {
	if rows == 0 || width == 0 {
		return
	}
	dst, src = dst[:(rows-1)*dstStride+width], src[:(rows-1)*srcStride+m]
	if !useInterleaveAVX512 || width > 32 || m == 0 {
		copyRowsGo(dst, src, m, width, rows, dstStride, srcStride)
		return
	}
	lanes := func(n int) int { return 1<<min(max(n, 0), 16) - 1 }
	masks := lanes(m) | lanes(width)<<16 | lanes(m-16)<<32 | lanes(width-16)<<48
	copyRowsAVX512(&dst[0], &src[0], rows, dstStride, srcStride, masks)
}

// copyRowsGo is copyRows in plain Go.
func copyRowsGo(dst, src []float32, m, width, rows, dstStride, srcStride int) {
	for r := range rows {
		row := dst[r*dstStride:][:width]
		copy(row, src[r*srcStride:][:m])
		clear(row[m:])
	}
}
