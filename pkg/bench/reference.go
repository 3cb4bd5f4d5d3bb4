package bench

import "github.com/collegium/collegium/pkg/device/convref"

// reference is the float64 value of element i of the output of product p,
// computed from the host copies of the inputs, and the sum of the absolute
// values of its terms (the scale of its rounding error).
func (l *layer) reference(p Pass, i int) (val, abs float64) {
	if l.c.IsConv() {
		return l.convReference(p, i)
	}
	return l.matmulReference(p, i)
}

// matmulReference: y[b, k·n+j] = Σ_i x[b, k·n+i]·W_k[i, j];
// dx[b, k·n+i] = Σ_j dy[b, k·n+j]·W_k[i, j]; dW_k[i, j] = Σ_b x[b, k·n+i]·dy[b, k·n+j].
func (l *layer) matmulReference(p Pass, idx int) (val, abs float64) {
	n, width := l.c.PerGroup(), l.c.Channels
	add := func(a, b float32) {
		t := float64(a) * float64(b)
		val += t
		abs += max(t, -t)
	}
	switch p {
	case Forward, BackwardData:
		b, col := idx/width, idx%width
		k, r := col/n, col%n
		row := l.hx
		if p == BackwardData {
			row = l.hdy
		}
		for t := range n {
			if p == Forward {
				add(row[b*width+k*n+t], l.hw[k*n*n+t*n+r])
			} else {
				add(row[b*width+k*n+t], l.hw[k*n*n+r*n+t])
			}
		}
	case BackwardWeight:
		k, i, j := idx/(n*n), idx/n%n, idx%n
		for b := range l.c.Batch {
			add(l.hx[b*width+k*n+i], l.hdy[b*width+k*n+j])
		}
	}
	return val, abs
}

// convReference is one output, input-gradient or filter-gradient element
// of the grouped cross-correlation (pkg/device/convref).
func (l *layer) convReference(p Pass, idx int) (val, abs float64) {
	cp := l.c.ConvParams()
	switch p {
	case BackwardData:
		return convref.BackwardData(cp, l.hdy, l.hw, idx)
	case BackwardWeight:
		return convref.BackwardFilter(cp, l.hx, l.hdy, idx)
	}
	return convref.Forward(cp, l.hx, l.hw, idx)
}
