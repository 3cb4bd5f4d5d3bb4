//go:build gpu || cudaemu

package cuda

import (
	"fmt"

	"github.com/collegium/collegium/pkg/device"
)

// gemmTiles are the square C tiles of kernels/gemm.cu, largest first.
var gemmTiles = []int{128, 64, 32}

// gemmTile is the largest tile whose grid has at least one block per
// multiprocessor for an M×N product batch times over, or the smallest tile.
func gemmTile(m, n, batch, multiprocessors int) int {
	for _, t := range gemmTiles {
		if ((m+t-1)/t)*((n+t-1)/t)*batch >= multiprocessors {
			return t
		}
	}
	return gemmTiles[len(gemmTiles)-1]
}

// gemmKernel names the kernel of kernels/gemm.cu for a tile and transposes.
func gemmKernel(tile int, transA, transB bool) string {
	return fmt.Sprintf("gemm_%d_%c%c_f32", tile, "nt"[b2i(transA)], "nt"[b2i(transB)])
}

// gemmTF32Kernel names the kernel of kernels/gemm_tf32.cu (64×64 tiles).
func gemmTF32Kernel(transA, transB bool) string {
	return fmt.Sprintf("gemm_tf32_%c%c_f32", "nt"[b2i(transA)], "nt"[b2i(transB)])
}

// maxGridZ is the largest grid z dimension; larger batches are split.
const maxGridZ = 65535

// Gemm computes C_i = alpha·op(A_i)·op(B_i) + beta·C_i for every batch index
// in one launch per 65535 matrices (see device.GemmParams), in float32 or,
// after SetTF32(true), on TF32 tensor cores. K = 0 gives
// C_i = beta·C_i: the kernel's sums are then empty.
func (d *Device) Gemm(p device.GemmParams) error {
	return d.gemm(p, true)
}

// gemm is Gemm, on TF32 tensor cores only when allowTF32 and SetTF32(true)
// (convolutions run their 1×1 products through here in float32).
func (d *Device) gemm(p device.GemmParams, allowTF32 bool) error {
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
	leave, err := d.enter()
	if err != nil {
		return err
	}
	defer leave()
	tile, threads := gemmTile(p.M, p.N, p.Batch, d.info.multiprocessors), 256
	name := gemmKernel(tile, p.TransA, p.TransB)
	if allowTF32 && d.tf32 {
		tile, threads, name = 64, 128, gemmTF32Kernel(p.TransA, p.TransB)
	}
	for b0 := 0; b0 < p.Batch; b0 += maxGridZ {
		nb := min(maxGridZ, p.Batch-b0)
		a := args{}
		a.ptrOff(bs[0], p.OffA+b0*p.StrideA).ptrOff(bs[1], p.OffB+b0*p.StrideB).ptrOff(bs[2], p.OffC+b0*p.StrideC)
		a.i32(p.M).i32(p.N).i32(p.K).f32(p.Alpha).f32(p.Beta).i32(p.LDA).i32(p.LDB).i32(p.LDC)
		a.i64(p.StrideA).i64(p.StrideB).i64(p.StrideC)
		grid := [3]int{(p.N + tile - 1) / tile, (p.M + tile - 1) / tile, nb}
		if err := d.launch(name, grid, threads, 0, a); err != nil {
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
