package device

import "fmt"

// GemmParams describes a strided batched matrix product over row-major
// matrices: for i in [0, Batch), with A_i starting at element OffA+i·StrideA
// of A (likewise B and C),
//
//	C_i = Alpha·op(A_i)·op(B_i) + Beta·C_i
//
// where op(A_i) is M×K (A_i is K×M when TransA) and op(B_i) is K×N (N×K when
// TransB). LDA, LDB and LDC are the row strides of the stored matrices. When
// Beta is 0, C is not read (NaNs in C do not propagate).
type GemmParams struct {
	TransA, TransB   bool
	M, N, K          int
	Alpha, Beta      float64
	A, B, C          Buffer
	OffA, OffB, OffC int
	LDA, LDB, LDC    int
	StrideA          int
	StrideB          int
	StrideC          int
	Batch            int
}

// Validate checks that every matrix of the batch lies inside its buffer,
// that the strides are consistent with the matrix shapes, and that no two
// output matrices of the batch share an element (on a GPU their products run
// at once and would race on it). Outputs may interleave: the block-diagonal
// layer writes member i's columns of every row (LDC = members·width,
// StrideC = width).
func (p GemmParams) Validate() error {
	if p.M < 0 || p.N < 0 || p.K < 0 || p.Batch < 0 {
		return fmt.Errorf("gemm: negative size M=%d N=%d K=%d batch=%d", p.M, p.N, p.K, p.Batch)
	}
	if p.A == nil || p.B == nil || p.C == nil {
		return fmt.Errorf("gemm: nil buffer")
	}
	if p.A.Dtype() != p.C.Dtype() || p.B.Dtype() != p.C.Dtype() {
		return fmt.Errorf("gemm: dtypes differ: A %v, B %v, C %v", p.A.Dtype(), p.B.Dtype(), p.C.Dtype())
	}
	ar, ac := p.M, p.K
	if p.TransA {
		ar, ac = p.K, p.M
	}
	br, bc := p.K, p.N
	if p.TransB {
		br, bc = p.N, p.K
	}
	check := func(name string, b Buffer, off, ld, stride, rows, cols int) error {
		if rows == 0 || cols == 0 || p.Batch == 0 {
			return nil
		}
		if ld < cols {
			return fmt.Errorf("gemm: ld%s=%d < %d columns", name, ld, cols)
		}
		last := off + (p.Batch-1)*stride + (rows-1)*ld + cols
		if off < 0 || stride < 0 || last > b.Len() {
			return fmt.Errorf("gemm: %s (offset %d, ld %d, stride %d, %d×%d ×%d) overruns its buffer of %d", name, off, ld, stride, rows, cols, p.Batch, b.Len())
		}
		return nil
	}
	if err := check("A", p.A, p.OffA, p.LDA, p.StrideA, ar, ac); err != nil {
		return err
	}
	if err := check("B", p.B, p.OffB, p.LDB, p.StrideB, br, bc); err != nil {
		return err
	}
	if err := check("C", p.C, p.OffC, p.LDC, p.StrideC, p.M, p.N); err != nil {
		return err
	}
	if k := firstOverlap(p.M, p.N, p.LDC, p.StrideC, p.Batch); k > 0 {
		return fmt.Errorf("gemm: output matrices C_0 and C_%d of the batch overlap (%d×%d, ldC %d, strideC %d, batch %d): their products would race", k, p.M, p.N, p.LDC, p.StrideC, p.Batch)
	}
	return nil
}

// firstOverlap is the smallest k > 0 for which the rows×cols matrices at
// offsets 0 and k·stride (row stride ld ≥ cols, stride ≥ 0) share an
// element, or 0 if no two of the batch do. Matrices i and j overlap exactly
// when |i−j|·stride = r·ld + c for some |r| < rows, |c| < cols; for a
// shift s ≥ 0 only r = ⌊s/ld⌋ and ⌊s/ld⌋+1 can match.
func firstOverlap(rows, cols, ld, stride, batch int) int {
	if rows == 0 || cols == 0 || stride >= (rows-1)*ld+cols {
		return 0
	}
	for k := 1; k < batch; k++ {
		q, r := k*stride/ld, k*stride%ld
		if (q < rows && r < cols) || (q+1 < rows && ld-r < cols) {
			return k
		}
	}
	return 0
}

// ConvParams describes a grouped 2-D convolution (cross-correlation, as in
// PyTorch): x is (N, C, H, W), w is (O, C/Groups, KH, KW), y is (N, O, OutH,
// OutW). Output channel o belongs to group o/(O/Groups) and reads input
// channels [g·C/Groups, (g+1)·C/Groups).
type ConvParams struct {
	N, C, H, W       int
	O, KH, KW        int
	Groups           int
	StrideH, StrideW int
	PadH, PadW       int
	DilH, DilW       int
}

// OutH is the output height.
func (p ConvParams) OutH() int { return (p.H+2*p.PadH-p.DilH*(p.KH-1)-1)/p.StrideH + 1 }

// OutW is the output width.
func (p ConvParams) OutW() int { return (p.W+2*p.PadW-p.DilW*(p.KW-1)-1)/p.StrideW + 1 }

// Validate reports the first inconsistency in p, naming the shapes.
func (p ConvParams) Validate() error {
	switch {
	case p.N <= 0 || p.C <= 0 || p.H <= 0 || p.W <= 0:
		return fmt.Errorf("conv: input shape (%d, %d, %d, %d) must be positive", p.N, p.C, p.H, p.W)
	case p.O <= 0 || p.KH <= 0 || p.KW <= 0:
		return fmt.Errorf("conv: filter shape (%d, ·, %d, %d) must be positive", p.O, p.KH, p.KW)
	case p.Groups <= 0:
		return fmt.Errorf("conv: groups %d must be positive", p.Groups)
	case p.C%p.Groups != 0:
		return fmt.Errorf("conv: input channels %d not divisible by groups %d", p.C, p.Groups)
	case p.O%p.Groups != 0:
		return fmt.Errorf("conv: output channels %d not divisible by groups %d", p.O, p.Groups)
	case p.StrideH <= 0 || p.StrideW <= 0:
		return fmt.Errorf("conv: stride (%d, %d) must be positive", p.StrideH, p.StrideW)
	case p.DilH <= 0 || p.DilW <= 0:
		return fmt.Errorf("conv: dilation (%d, %d) must be positive", p.DilH, p.DilW)
	case p.PadH < 0 || p.PadW < 0:
		return fmt.Errorf("conv: padding (%d, %d) must not be negative", p.PadH, p.PadW)
	case p.OutH() <= 0 || p.OutW() <= 0:
		return fmt.Errorf("conv: kernel %d×%d (dilation %d, %d) larger than padded input %d×%d", p.KH, p.KW, p.DilH, p.DilW, p.H+2*p.PadH, p.W+2*p.PadW)
	}
	return nil
}

// PoolParams describes a 2-D max pool (PyTorch's MaxPool2d without dilation
// or ceil mode): x is (N, C, H, W), y is (N, C, OutH, OutW), and y holds the
// maximum of each KH×KW window of x, stepped by the strides, with PadH rows
// and PadW columns of −∞ on each side.
type PoolParams struct {
	N, C, H, W       int
	KH, KW           int
	StrideH, StrideW int
	PadH, PadW       int
}

// OutH is the output height.
func (p PoolParams) OutH() int { return (p.H+2*p.PadH-p.KH)/p.StrideH + 1 }

// OutW is the output width.
func (p PoolParams) OutW() int { return (p.W+2*p.PadW-p.KW)/p.StrideW + 1 }

// Validate reports the first inconsistency in p, naming the shapes. Padding
// may be at most half the kernel, as in PyTorch, so that every window holds
// at least one element of x.
func (p PoolParams) Validate() error {
	switch {
	case p.N <= 0 || p.C <= 0 || p.H <= 0 || p.W <= 0:
		return fmt.Errorf("max pool: input shape (%d, %d, %d, %d) must be positive", p.N, p.C, p.H, p.W)
	case p.KH <= 0 || p.KW <= 0:
		return fmt.Errorf("max pool: kernel %d×%d must be positive", p.KH, p.KW)
	case p.StrideH <= 0 || p.StrideW <= 0:
		return fmt.Errorf("max pool: stride (%d, %d) must be positive", p.StrideH, p.StrideW)
	case p.PadH < 0 || p.PadW < 0 || p.PadH > p.KH/2 || p.PadW > p.KW/2:
		return fmt.Errorf("max pool: padding (%d, %d) must lie in [0, kernel/2] for kernel %d×%d", p.PadH, p.PadW, p.KH, p.KW)
	case p.H+2*p.PadH < p.KH || p.W+2*p.PadW < p.KW:
		return fmt.Errorf("max pool: kernel %d×%d larger than padded input %d×%d", p.KH, p.KW, p.H+2*p.PadH, p.W+2*p.PadW)
	}
	return nil
}

// ChannelLayout views a tensor as (Outer, C, Inner): (B, C) is Outer=B,
// Inner=1; (N, C, H, W) is Outer=N, Inner=H·W.
type ChannelLayout struct {
	Outer, C, Inner int
}

// Len is the number of elements of the viewed tensor.
func (l ChannelLayout) Len() int { return l.Outer * l.C * l.Inner }

// BatchNormParams configures batch normalisation over a ChannelLayout.
type BatchNormParams struct {
	ChannelLayout
	Eps      float64
	Momentum float64 // weight of the new batch statistic in the running ones
	Training bool
}

// MemberParams describes the member aggregation (batch, members·width) →
// (batch, width) with y = Scale·Σ over members.
type MemberParams struct {
	Batch, Members, Width int
	Scale                 float64
}

// SGDParams configures one SGD step. With WeightDecay λ the gradient used is
// g + λ·θ (coupled, as PyTorch's SGD); v ← Momentum·v + g; the step is
// θ ← θ − LR·v, or θ ← θ − LR·(g + Momentum·v) when Nesterov.
type SGDParams struct {
	LR, Momentum, WeightDecay float64
	Nesterov                  bool
}

// AdamParams configures one Adam step (Kingma & Ba, bias-corrected). Step is
// the 1-based step number. WeightDecay is decoupled (AdamW) when Decoupled,
// else added to the gradient.
type AdamParams struct {
	LR, Beta1, Beta2, Eps, WeightDecay float64
	Step                               int
	Decoupled                          bool
}
