package gemm

import (
	"sync"
	"unsafe"
)

// Micro-tile and cache blocking of the float32 product. The tile is mr×nr
// with mr = tileRows() (6 or 16, by kernel). kc keeps a kc×nr panel of B and
// an mr×kc panel of A in L1, mc·kc an A block in L2 and kc·nc a B block in the
// outer cache; mc is a multiple of both tile heights.
const (
	mrMax = 16
	nr    = 16
	kc    = 256
	mc    = 144
	nc    = 3072
)

// Packing thresholds, measured on AVX-512 machines (Zen 5, Xeon). Packing
// costs a copy of each element, which serves n FMAs for A and m for B, while
// in-place operands cost strided reads: badly so for a transposed A, whose
// every column step lands on a new cache line, and for rows a multiple of
// 2 KiB apart (aliased), which crowd into a few L1 sets and evict each
// other. Below packMinRows rows or packMinFlops multiply-adds nothing
// optional is packed; above, A is packed when transposed or aliased, and B
// when n ≥ packMinCols and either aliased or reused by at least
// packMinReuse rows of A. B is always packed when transposed or narrower
// than a tile, and A when it is shorter than a tile. On one Xeon core a
// 128×1024×1152 product (a convolution's) with rows 1040 apart ran at 122
// GFLOP/s unpacked and 111 with B packed; with rows 1024 apart, 97 unpacked
// and 109 packed. An aliased A was left unpacked below n = 512 until, on a
// Zen 4 core, a 1×1 convolution's filter gradient (512×64×1024, A rows 4 KiB
// apart) ran at 50 GFLOP/s in place and twice that packed. An aliased A
// that is not transposed is packed at any size once n ≥ packMinColsA
// (two column tiles): a 128×64×1024 block of a 1×1 convolution
// over 16 images of 2×2 pixels (A rows 4 KiB apart) ran at 40 GFLOP/s in
// place and 65 packed on a Zen 4 core; a transposed A in place reads whole
// cache lines and was slower packed at that size.
var (
	packMinRows  = 64
	packMinCols  = 256
	packMinFlops = 1 << 24
	packMinReuse = 256
	packMinColsA = 2 * nr
	aliasStride  = 512
)

// aliased reports whether rows ld float32s apart map to the same few L1
// sets (ld a multiple of aliasStride elements, 2 KiB).
func aliased(ld int) bool { return ld%aliasStride == 0 }

// sworkspace is the per-call scratch of the float32 product.
type sworkspace struct {
	a, b []float32
}

var spool = sync.Pool{New: func() any { return new(sworkspace) }}

// grow returns s resized to n elements, reallocating only when it is too small.
func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// operand describes where the micro-kernel reads one operand block: element
// (i, p) of op(A) is at base + i·rs + p·cs (for B: (p, j) at base + p·rs + j).
type operand struct {
	s      []float32
	rs, cs int
	packed bool
}

func sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		ScaleC(m, n, beta, c, ldc)
		return
	}
	mr := tileRows()
	big := m >= packMinRows && m*n*k >= packMinFlops
	packA := m < mr || (big && (transA || aliased(lda))) || (!transA && aliased(lda) && n >= packMinColsA)
	packB := transB || n < nr || (big && n >= packMinCols && (aliased(ldb) || m >= packMinReuse))

	var ws *sworkspace
	if packA || packB {
		ws = spool.Get().(*sworkspace)
		defer spool.Put(ws)
	}

	for jc := 0; jc < n; jc += nc {
		nb := min(nc, n-jc)
		for pc := 0; pc < k; pc += kc {
			kb := min(kc, k-pc)
			bt := beta
			if pc > 0 {
				bt = 1
			}
			var bop operand
			if packB {
				ws.b = grow(ws.b, (nb+nr-1)/nr*nr*kb)
				packBPanels(transB, b, ldb, pc, kb, jc, nb, ws.b)
				bop = operand{s: ws.b, rs: nr, packed: true}
			} else {
				bop = operand{s: b[pc*ldb:], rs: ldb}
			}
			for ic := 0; ic < m; ic += mc {
				mb := min(mc, m-ic)
				var aop operand
				if packA {
					ws.a = grow(ws.a, (mb+mr-1)/mr*mr*kb)
					packAPanels(transA, a, lda, ic, mb, pc, kb, mr, ws.a)
					aop = operand{s: ws.a, rs: 1, cs: mr, packed: true}
				} else if transA {
					aop = operand{s: a[pc*lda:], rs: 1, cs: lda}
				} else {
					aop = operand{s: a[pc:], rs: lda, cs: 1}
				}
				sgemmBlock(m, n, ic, mb, jc, nb, kb, mr, alpha, aop, bop, bt, c, ldc)
			}
		}
	}
}

// sgemmBlock runs the micro-kernel over the mb×nb block of C at (ic, jc) with
// a kb-deep slice of the operands. In-place operands are indexed by global
// row/column, packed ones relative to the block.
func sgemmBlock(m, n, ic, mb, jc, nb, kb, mr int, alpha float32, aop, bop operand, beta float32, c []float32, ldc int) {
	for jr := 0; jr < nb; jr += nr {
		j0 := jc + jr
		cols := min(nr, nb-jr)
		// Source column of the tile and the offset of j0 inside it.
		var bp *float32
		offj := 0
		if bop.packed {
			bp = &bop.s[jr*kb]
		} else {
			src := j0
			if cols < nr {
				src = n - nr
				offj = j0 - src
			}
			bp = &bop.s[src]
		}
		for ir := 0; ir < mb; ir += mr {
			i0 := ic + ir
			rows := min(mr, mb-ir)
			var ap *float32
			offi := 0
			if aop.packed {
				ap = &aop.s[ir*kb]
			} else {
				src := i0
				if rows < mr {
					src = m - mr
					offi = i0 - src
				}
				ap = &aop.s[src*aop.rs]
			}
			if rows == mr && cols == nr {
				kernel(kb, ap, aop.rs, aop.cs, bp, bop.rs, &c[i0*ldc+j0], ldc, alpha, beta)
				continue
			}
			edgeTile(kb, ap, aop.rs, aop.cs, bp, bop.rs, alpha, beta, c[i0*ldc+j0:], ldc, offi, rows, offj, cols)
		}
	}
}

// edgeTile computes a whole tile in scratch, holding the rows×cols part of C
// at (offi, offj) when beta ≠ 0, and writes that part back to c: the ragged
// edges of C. The kernel's own epilogue applies alpha and beta, so an edge
// element gets the same bits as it would in a full tile, wherever the
// blocks of a split product fall. It is kept apart so that full tiles do
// not pay for the scratch.
func edgeTile(kb int, ap *float32, rsa, csa int, bp *float32, rsb int, alpha, beta float32, c []float32, ldc, offi, rows, offj, cols int) {
	var tmp [mrMax * nr]float32
	if beta != 0 {
		for r := range rows {
			copy(tmp[(offi+r)*nr+offj:][:cols], c[r*ldc:][:cols])
		}
	}
	kernel(kb, ap, rsa, csa, bp, rsb, &tmp[0], nr, alpha, beta)
	for r := range rows {
		copy(c[r*ldc:][:cols], tmp[(offi+r)*nr+offj:][:cols])
	}
}

// packAPanels copies rows [i0, i0+mb) and columns [p0, p0+kb) of op(A) into
// mr-row panels, each stored column by column (mr values per column),
// zero-padding the last panel.
func packAPanels(trans bool, a []float32, lda, i0, mb, p0, kb, mr int, dst []float32) {
	if trans {
		splitRows(dst, mr, a[p0*lda+i0:], lda, kb, mb)
		return
	}
	for ir := 0; ir < mb; ir += mr {
		interleave(dst[ir*kb:ir*kb+mr*kb], mr, a[(i0+ir)*lda+p0:], lda, min(mr, mb-ir), kb)
	}
}

// packBPanels copies rows [p0, p0+kb) and columns [j0, j0+nb) of op(B) into
// nr-column panels, each stored row by row (nr values per row), zero-padding
// the last panel.
func packBPanels(trans bool, b []float32, ldb, p0, kb, j0, nb int, dst []float32) {
	if !trans {
		splitRows(dst, nr, b[p0*ldb+j0:], ldb, kb, nb)
		return
	}
	for jr := 0; jr < nb; jr += nr {
		interleave(dst[jr*kb:jr*kb+nr*kb], nr, b[(j0+jr)*ldb+p0:], ldb, min(nr, nb-jr), kb)
	}
}

// splitRows packs the kb×cols block s (row stride ld) into w-column panels:
// d[jr·kb + p·w + r] = s[p·ld + jr + r], zero past column cols. It walks s
// row by row, so that its reads run along rows: walked panel by panel, a
// 16-column panel reads one cache line per row, rows ld apart, which for
// rows of 4 KiB and more lands every read on a new page, where the hardware
// prefetchers do not follow (a 1×1 convolution's input gradient, 64×1024×512
// per image, ran 1.6× faster on one Zen 4 core packed this way).
func splitRows(d []float32, w int, s []float32, ld, kb, cols int) {
	full := cols / w * w
	for p := range kb {
		row := s[p*ld:][:cols]
		if w == nr {
			splitRow16(d[p*nr:], row, full/nr, nr*kb)
		} else {
			for jr := 0; jr < full; jr += w {
				copy(d[jr*kb+p*w:][:w], row[jr:])
			}
		}
		if full < cols {
			dp := d[full*kb+p*w:][:w]
			copy(dp, row[full:])
			clear(dp[cols-full:])
		}
	}
}

// interleave sets d[p·w+r] = s[r·ld+p] for p < kb, r < rows, and zero for
// rows ≤ r < w: it transposes a rows×kb block into w-wide columns. A full
// 16-row block goes 16 columns at a time through transpose16 (AVX-512: an
// element per ~0.1 ns instead of ~1).
func interleave(d []float32, w int, s []float32, ld, rows, kb int) {
	if rows < w {
		clear(d[:w*kb])
	}
	d = d[:w*kb]
	if w == nr && rows == nr && useAVX512 {
		p := 0
		for ; p+nr <= kb; p += nr {
			transpose16(d[p*nr:], s[p:], ld)
		}
		if p == kb {
			return
		}
		d, s, kb = d[p*nr:], s[p:], kb-p
	}
	r := 0
	for ; r+4 <= rows; r += 4 {
		s0 := s[r*ld : r*ld+kb]
		s1 := s[(r+1)*ld : (r+1)*ld+kb]
		s2 := s[(r+2)*ld : (r+2)*ld+kb]
		s3 := s[(r+3)*ld : (r+3)*ld+kb]
		for p := range s0 {
			q := d[p*w+r : p*w+r+4]
			q[0], q[1], q[2], q[3] = s0[p], s1[p], s2[p], s3[p]
		}
	}
	for ; r < rows; r++ {
		for p, v := range s[r*ld : r*ld+kb] {
			d[p*w+r] = v
		}
	}
}

// splitRow16Go sets d[q·stride+j] = s[q·16+j] for q < panels, j < 16.
func splitRow16Go(d, s []float32, panels, stride int) {
	for q := range panels {
		copy(d[q*stride:][:nr], s[q*nr:][:nr])
	}
}

// kernelGo is the portable micro-kernel: C[rows×nr] = alpha·A·B + beta·C,
// where A(i, p) is at a[i·rsa + p·csa] and B(p, j) at b[p·rsb + j]; C is not
// read when beta is 0.
func kernelGo(rows, k int, a *float32, rsa, csa int, b *float32, rsb int, c *float32, ldc int, alpha, beta float32) {
	var buf [mrMax][nr]float32
	acc := buf[:rows]
	pa, pb := unsafe.Pointer(a), unsafe.Pointer(b)
	for p := 0; p < k; p++ {
		bp := (*[nr]float32)(unsafe.Add(pb, p*rsb*4))
		ap := unsafe.Add(pa, p*csa*4)
		for i := range acc {
			av := *(*float32)(unsafe.Add(ap, i*rsa*4))
			row := &acc[i]
			for j := range row {
				row[j] += av * bp[j]
			}
		}
	}
	pc := unsafe.Pointer(c)
	for i := range acc {
		ci := (*[nr]float32)(unsafe.Add(pc, i*ldc*4))
		for j, v := range acc[i] {
			if beta == 0 {
				ci[j] = alpha * v
			} else {
				ci[j] = alpha*v + beta*ci[j]
			}
		}
	}
}
