package gemm

// Blocking of the float64 product: a kc64×nc64 block of op(B) stays in L2
// while four rows of C at a time stream over it.
const (
	kc64 = 256
	nc64 = 512
)

// dgemm is the float64 product: four rows of C share each loaded row of op(B),
// and a transposed B block is first copied row-major.
func dgemm(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	ScaleC(m, n, beta, c, ldc)
	if k == 0 || alpha == 0 {
		return
	}
	opA := func(i, p int) float64 {
		if transA {
			return alpha * a[p*lda+i]
		}
		return alpha * a[i*lda+p]
	}
	var bt []float64
	if transB {
		bt = make([]float64, min(kc64, k)*min(nc64, n))
	}
	for jc := 0; jc < n; jc += nc64 {
		nb := min(nc64, n-jc)
		for pc := 0; pc < k; pc += kc64 {
			kb := min(kc64, k-pc)
			var bb []float64
			ldbb := ldb
			if transB {
				for p := 0; p < kb; p++ {
					row := bt[p*nb : p*nb+nb]
					for j := range row {
						row[j] = b[(jc+j)*ldb+pc+p]
					}
				}
				bb, ldbb = bt, nb
			} else {
				bb = b[pc*ldb+jc:]
			}
			i := 0
			for ; i+4 <= m; i += 4 {
				c0 := c[i*ldc+jc : i*ldc+jc+nb]
				c1 := c[(i+1)*ldc+jc : (i+1)*ldc+jc+nb]
				c2 := c[(i+2)*ldc+jc : (i+2)*ldc+jc+nb]
				c3 := c[(i+3)*ldc+jc : (i+3)*ldc+jc+nb]
				for p := 0; p < kb; p++ {
					a0, a1, a2, a3 := opA(i, pc+p), opA(i+1, pc+p), opA(i+2, pc+p), opA(i+3, pc+p)
					bp := bb[p*ldbb : p*ldbb+nb]
					for j, v := range bp {
						c0[j] += a0 * v
						c1[j] += a1 * v
						c2[j] += a2 * v
						c3[j] += a3 * v
					}
				}
			}
			for ; i < m; i++ {
				ci := c[i*ldc+jc : i*ldc+jc+nb]
				for p := 0; p < kb; p++ {
					av := opA(i, pc+p)
					bp := bb[p*ldbb : p*ldbb+nb]
					for j, v := range bp {
						ci[j] += av * v
					}
				}
			}
		}
	}
}
