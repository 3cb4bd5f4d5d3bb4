//go:build gpu || cudaemu

package cuda

import (
	"fmt"

	"github.com/collegium/collegium/pkg/device"
)

// gemmKernels names the kernel for [TransA][TransB] (kernels/gemm.cu).
var gemmKernels = [2][2]string{{"gemm_nn_f32", "gemm_nt_f32"}, {"gemm_tn_f32", "gemm_tt_f32"}}

// maxGridZ is the largest grid z dimension; larger batches are split.
const maxGridZ = 65535

// Gemm computes C_i = alpha·op(A_i)·op(B_i) + beta·C_i for every batch index
// in one launch per 65535 matrices (see device.GemmParams). K = 0 gives
// C_i = beta·C_i: the kernel's sums are then empty.
func (d *Device) Gemm(p device.GemmParams) error {
	if err := p.Validate(); err != nil {
		return fmt.Errorf("%s: %w", d.Name(), err)
	}
	bs, err := d.operands("gemm", p.A, p.B, p.C)
	if err != nil {
		return err
	}
	if p.M == 0 || p.N == 0 || p.Batch == 0 {
		return nil
	}
	name := gemmKernels[b2i(p.TransA)][b2i(p.TransB)]
	leave, err := d.enter()
	if err != nil {
		return err
	}
	defer leave()
	for b0 := 0; b0 < p.Batch; b0 += maxGridZ {
		nb := min(maxGridZ, p.Batch-b0)
		a := args{}
		a.ptrOff(bs[0], p.OffA+b0*p.StrideA).ptrOff(bs[1], p.OffB+b0*p.StrideB).ptrOff(bs[2], p.OffC+b0*p.StrideC)
		a.i32(p.M).i32(p.N).i32(p.K).f32(p.Alpha).f32(p.Beta).i32(p.LDA).i32(p.LDB).i32(p.LDC)
		a.i64(p.StrideA).i64(p.StrideB).i64(p.StrideC)
		grid := [3]int{(p.N + 63) / 64, (p.M + 63) / 64, nb}
		if err := d.launch(name, grid, 256, 0, a); err != nil {
			return err
		}
	}
	return nil
}

// b2i is 1 for true.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
