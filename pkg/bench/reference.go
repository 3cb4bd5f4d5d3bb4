package bench

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

// convReference sums over the window of one output, input-gradient or
// filter-gradient element of the grouped cross-correlation.
func (l *layer) convReference(p Pass, idx int) (val, abs float64) {
	cp := l.c.ConvParams()
	cg, oh, ow := l.c.PerGroup(), cp.OutH(), cp.OutW()
	k, s, pad := cp.KH, cp.StrideH, cp.PadH
	xAt := func(n, c, h, w int) int { return ((n*cp.C+c)*cp.H+h)*cp.W + w }
	yAt := func(n, o, h, w int) int { return ((n*cp.O+o)*oh+h)*ow + w }
	wAt := func(o, ci, kh, kw int) int { return ((o*cg+ci)*k+kh)*k + kw }
	add := func(a, b float32) {
		t := float64(a) * float64(b)
		val += t
		abs += max(t, -t)
	}
	switch p {
	case Forward:
		n, o, h, w := idx/(cp.O*oh*ow), idx/(oh*ow)%cp.O, idx/ow%oh, idx%ow
		for ci := range cg {
			for kh := range k {
				for kw := range k {
					ih, iw := h*s-pad+kh, w*s-pad+kw
					if ih >= 0 && ih < cp.H && iw >= 0 && iw < cp.W {
						add(l.hx[xAt(n, o/cg*cg+ci, ih, iw)], l.hw[wAt(o, ci, kh, kw)])
					}
				}
			}
		}
	case BackwardData:
		n, c, h, w := idx/(cp.C*cp.H*cp.W), idx/(cp.H*cp.W)%cp.C, idx/cp.W%cp.H, idx%cp.W
		for og := range cg {
			o := c/cg*cg + og
			for kh := range k {
				for kw := range k {
					th, tw := h+pad-kh, w+pad-kw
					if th < 0 || tw < 0 || th%s != 0 || tw%s != 0 || th/s >= oh || tw/s >= ow {
						continue
					}
					add(l.hdy[yAt(n, o, th/s, tw/s)], l.hw[wAt(o, c%cg, kh, kw)])
				}
			}
		}
	case BackwardWeight:
		o, ci, kh, kw := idx/(cg*k*k), idx/(k*k)%cg, idx/k%k, idx%k
		c := o/cg*cg + ci
		for n := range cp.N {
			for h := range oh {
				ih := h*s - pad + kh
				if ih < 0 || ih >= cp.H {
					continue
				}
				for w := range ow {
					if iw := w*s - pad + kw; iw >= 0 && iw < cp.W {
						add(l.hx[xAt(n, c, ih, iw)], l.hdy[yAt(n, o, h, w)])
					}
				}
			}
		}
	}
	return val, abs
}
