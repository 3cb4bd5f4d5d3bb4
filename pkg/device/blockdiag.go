package device

// BlockDiag is the shape of a block-diagonal matmul: a (Batch, Members·In)
// activation times blockdiag(w[0], …, w[Members-1]) with w of shape
// (Members, In, Out), giving (Batch, Members·Out). Member k's columns start
// at k·In (k·Out) in a row, so each of its three products is one strided
// batched Gemm over the members. It is the one place that layout is written
// down; the ops and the layer benchmarks both launch it from here.
type BlockDiag struct{ Members, Batch, In, Out int }

// Forward is y = x·blockdiag(w).
func (s BlockDiag) Forward(x, w, y Buffer) GemmParams {
	m := s.Members
	return GemmParams{
		M: s.Batch, N: s.Out, K: s.In, Alpha: 1, Batch: m,
		A: x, LDA: m * s.In, StrideA: s.In,
		B: w, LDB: s.Out, StrideB: s.In * s.Out,
		C: y, LDC: m * s.Out, StrideC: s.Out,
	}
}

// GradData is dx = dy·blockdiag(w)ᵀ.
func (s BlockDiag) GradData(dy, w, dx Buffer) GemmParams {
	m := s.Members
	return GemmParams{
		TransB: true,
		M:      s.Batch, N: s.In, K: s.Out, Alpha: 1, Batch: m,
		A: dy, LDA: m * s.Out, StrideA: s.Out,
		B: w, LDB: s.Out, StrideB: s.In * s.Out,
		C: dx, LDC: m * s.In, StrideC: s.In,
	}
}

// GradWeight is dw[k] = x_kᵀ·dy_k, x_k and dy_k being member k's columns.
func (s BlockDiag) GradWeight(x, dy, dw Buffer) GemmParams {
	m := s.Members
	return GemmParams{
		TransA: true,
		M:      s.In, N: s.Out, K: s.Batch, Alpha: 1, Batch: m,
		A: x, LDA: m * s.In, StrideA: s.In,
		B: dy, LDB: m * s.Out, StrideB: s.Out,
		C: dw, LDC: s.Out, StrideC: s.In * s.Out,
	}
}
