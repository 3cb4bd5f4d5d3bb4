//go:build !amd64

package cpu

// deinterleave sets even[i] = src[2i] and odd[i] = src[2i+1] for i < n.
func deinterleave(even, odd, src []float32, n int) {
	even, odd, src = even[:n], odd[:n], src[:2*n]
	for i := range n {
		even[i], odd[i] = src[2*i], src[2*i+1]
	}
}
