package gemm

import "unsafe"

// stridedGroup is how many elements of B the members interleaved by the
// batched path may span (32 KiB, to stay in L1 while the row tiles of A and C
// stream past).
const stridedGroup = 1 << 13

// GemmStrided computes the strided batch of products C_i = alpha·op(A_i)·op(B_i)
// + beta·C_i for i < batch, where A_i starts at a[i·strideA] (likewise B_i
// and C_i) and each product is as in Gemm. Batches of small products, such
// as the member blocks of a block-diagonal matmul, share one workspace and
// run tile row by tile row across the members. Callers validate the sizes.
func GemmStrided[T Float](transA, transB bool, m, n, k int, alpha T, a []T, lda, strideA int, b []T, ldb, strideB int, beta T, c []T, ldc, strideC int, batch int) {
	if unsafe.Sizeof(alpha) == 4 && smallBatch(m, n, k) && alpha != 0 {
		if useAVX512 && !transA && n == nr && k == nr {
			sgemmStrided16(transB, m, float32(alpha), asF32(a), lda, strideA, asF32(b), ldb, strideB, float32(beta), asF32(c), ldc, strideC, batch)
			return
		}
		sgemmStrided(transA, transB, m, n, k, float32(alpha), asF32(a), lda, strideA, asF32(b), ldb, strideB, float32(beta), asF32(c), ldc, strideC, batch)
		return
	}
	for i := range batch {
		Gemm(transA, transB, m, n, k, alpha, a[i*strideA:], lda, b[i*strideB:], ldb, beta, c[i*strideC:], ldc)
	}
}

// smallBatch reports whether float32 products of this shape take the batched
// path: one kc×nc block of B, at least a tile of rows, and too few
// multiply-adds for sgemm to pack A.
func smallBatch(m, n, k int) bool {
	return k > 0 && n > 0 && k <= kc && n <= nc && m >= tileRows() && (m < packMinRows || m*n*k < packMinFlops)
}

// sgemmStrided is the batched path of GemmStrided: members are taken in
// groups whose B_i fit stridedGroup, and each tile row of C is computed for
// every member of a group in turn. Member i's columns are adjacent to member
// i+1's in a block-diagonal layout, so this order streams along the rows of A
// and C instead of striding down them. The rows of an untransposed A tile are
// copied next to each other first: in that layout they are often a multiple
// of 4 KiB apart, and sixteen such rows overflow their L1 set. B_i is packed,
// once per call, only where sgemm would pack it.
func sgemmStrided(transA, transB bool, m, n, k int, alpha float32, a []float32, lda, strideA int, b []float32, ldb, strideB int, beta float32, c []float32, ldc, strideC int, batch int) {
	mr := tileRows()
	packB := transB || n < nr
	panel := (n + nr - 1) / nr * nr * k
	group := max(1, min(batch, stridedGroup/panel))
	ws := spool.Get().(*sworkspace)
	defer spool.Put(ws)
	if packB {
		ws.b = grow(ws.b, group*panel)
	}
	ws.a = grow(ws.a, mr*k)
	mFull, nFull := m/mr*mr, n/nr*nr
	for g0 := 0; g0 < batch; g0 += group {
		g1 := min(batch, g0+group)
		if packB {
			for i := g0; i < g1; i++ {
				packBPanels(transB, b[i*strideB:], ldb, 0, k, 0, n, ws.b[(i-g0)*panel:])
			}
		}
		for ir := 0; ir < m; ir += mr {
			for i := g0; i < g1; i++ {
				aop := operand{s: a[i*strideA:], rs: lda, cs: 1}
				if transA {
					aop.rs, aop.cs = 1, lda
				}
				bop, edge := operand{s: b[i*strideB:], rs: ldb}, operand{s: b[i*strideB:], rs: ldb}
				if packB {
					bop = operand{s: ws.b[(i-g0)*panel:], rs: nr, packed: true}
					edge = operand{s: bop.s[nFull*k:], rs: nr, packed: true}
				}
				ci := c[i*strideC:]
				if ir == mFull {
					sgemmBlock(m, n, ir, m-ir, 0, n, k, mr, alpha, aop, bop, beta, ci, ldc)
					continue
				}
				ap, rsa, csa := &aop.s[ir], 1, lda
				if !transA {
					copyTile(ws.a, aop.s[ir*lda:], lda, mr, k)
					ap, rsa, csa = &ws.a[0], k, 1
				}
				for jr := 0; jr < nFull; jr += nr {
					bp := &bop.s[jr]
					if packB {
						bp = &bop.s[jr*k]
					}
					kernel(k, ap, rsa, csa, bp, bop.rs, &ci[ir*ldc+jr], ldc, alpha, beta)
				}
				if nFull < n {
					sgemmBlock(m, n, ir, mr, nFull, n-nFull, k, mr, alpha, aop, edge, beta, ci, ldc)
				}
			}
		}
	}
}

// copyTile copies rows×k elements of s (row stride ld) to d with row stride k;
// a row of exactly one vector, the block-diagonal case, avoids memmove calls.
func copyTile(d, s []float32, ld, rows, k int) {
	if k == nr {
		for r := range rows {
			*(*[nr]float32)(d[r*nr:]) = *(*[nr]float32)(s[r*ld:])
		}
		return
	}
	for r := range rows {
		copy(d[r*k:(r+1)*k], s[r*ld:])
	}
}
