package gemm

import "unsafe"

// stridedRows is how many rows of A and C the 16-wide batched path computes
// for one member before moving to the next, so that the members' adjacent
// 64-byte columns of the same rows are read and written back to back.
const stridedRows = 8

// sgemmStrided16 is the batched path for products of a 16×16 op(B), the
// members of a block-diagonal matmul of width 16 (forward and data gradient):
// each row of C is one row of A times B_i, which rows16 computes with B_i held
// in registers, so nothing of A or C is packed. A transposed B_i is
// transposed once per call into scratch.
func sgemmStrided16(transB bool, m int, alpha float32, a []float32, lda, strideA int, b []float32, ldb, strideB int, beta float32, c []float32, ldc, strideC int, batch int) {
	if transB {
		ws := spool.Get().(*sworkspace)
		defer spool.Put(ws)
		ws.b = grow(ws.b, batch*nr*nr)
		for i := range batch {
			transpose16(ws.b[i*nr*nr:], b[i*strideB:], ldb)
		}
		b, ldb, strideB = ws.b, nr, nr*nr
	}
	for i0 := 0; i0 < m; i0 += stridedRows {
		rows := min(stridedRows, m-i0)
		for i := range batch {
			rows16(rows, &a[i*strideA+i0*lda], lda, &b[i*strideB], ldb, &c[i*strideC+i0*ldc], ldc, alpha, beta)
		}
	}
}

// transpose16Go is the portable transpose16.
func transpose16Go(d, s []float32, ld int) {
	dst := (*[nr * nr]float32)(d)
	for p := range nr {
		row := (*[nr]float32)(s[p*ld:])
		for j, v := range row {
			dst[j*nr+p] = v
		}
	}
}

// rows16Go is the portable row kernel: C[rows×16] = alpha·A·B + beta·C for a
// 16×16 B, where A(i, p) is at a[i·lda + p], B(p, j) at b[p·ldb + j] and
// C(i, j) at c[i·ldc + j]; C is not read when beta is 0.
func rows16Go(rows int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32) {
	pa, pb, pc := unsafe.Pointer(a), unsafe.Pointer(b), unsafe.Pointer(c)
	for i := range rows {
		ai := (*[nr]float32)(unsafe.Add(pa, i*lda*4))
		var acc [nr]float32
		for p, av := range ai {
			bp := (*[nr]float32)(unsafe.Add(pb, p*ldb*4))
			for j := range acc {
				acc[j] += av * bp[j]
			}
		}
		ci := (*[nr]float32)(unsafe.Add(pc, i*ldc*4))
		for j, v := range acc {
			if beta == 0 {
				ci[j] = alpha * v
			} else {
				ci[j] = alpha*v + beta*ci[j]
			}
		}
	}
}
