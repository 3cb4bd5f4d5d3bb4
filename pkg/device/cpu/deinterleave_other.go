//go:build !amd64

package cpu

// deinterleave sets even[i] = src[2i] and odd[i] = src[2i+1] for i < n.
func deinterleave(even, odd, src []float32, n int) {
	deinterleaveRowsGo(even, odd, src, 2*n, 1, 0, 0)
}
