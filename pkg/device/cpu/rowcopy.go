package cpu

// deinterleaveRowsGo is deinterleaveRows in plain Go: the fallback of the
// assembly and the only version off amd64.
func deinterleaveRowsGo(even, odd, src []float32, m, rows, srcStride, dstStride int) {
	for r := range rows {
		e, o, s := even[r*dstStride:], odd[r*dstStride:], src[r*srcStride:][:m]
		for j := 0; j+1 < m; j += 2 {
			e[j/2], o[j/2] = s[j], s[j+1]
		}
		if m%2 == 1 {
			e[m/2] = s[m-1]
		}
	}
}
