package devicetest

import (
	"fmt"
	"testing"

	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/device/convref"
)

// convCases cover the dense, grouped and depthwise convolutions of CE
// models plus every geometric parameter on its own.
func convCases() []device.ConvParams {
	c := func(n, ch, h, w, o, kh, kw, g, s, pad, dil int) device.ConvParams {
		return device.ConvParams{N: n, C: ch, H: h, W: w, O: o, KH: kh, KW: kw, Groups: g,
			StrideH: s, StrideW: s, PadH: pad, PadW: pad, DilH: dil, DilW: dil}
	}
	asym := c(2, 4, 9, 7, 6, 2, 3, 2, 1, 0, 1)
	asym.StrideH, asym.PadW, asym.DilW = 2, 1, 2
	point := c(2, 6, 7, 11, 4, 1, 1, 2, 2, 0, 1)
	point.StrideW = 3
	return []device.ConvParams{
		c(2, 3, 7, 6, 4, 3, 3, 1, 1, 1, 1),      // dense
		c(2, 6, 8, 8, 6, 3, 3, 6, 1, 1, 1),      // depthwise
		c(3, 6, 5, 9, 9, 3, 3, 3, 1, 1, 1),      // grouped, odd sizes
		c(2, 4, 9, 9, 8, 3, 3, 2, 2, 1, 1),      // stride 2
		c(1, 4, 10, 11, 4, 3, 3, 1, 1, 2, 2),    // dilation 2, batch 1
		c(2, 6, 6, 7, 6, 1, 3, 3, 1, 0, 1),      // non-square kernel
		c(2, 6, 7, 5, 3, 3, 1, 3, 1, 1, 1),      // non-square kernel, O < C
		asym,                                    // per-axis stride, padding, dilation
		point,                                   // 1×1 grouped, strides 2 and 3 (a CPU gathers it point by point)
		c(2, 8, 5, 6, 12, 1, 1, 4, 1, 0, 1),     // 1×1 grouped (no im2col)
		c(3, 16, 6, 5, 24, 1, 1, 1, 1, 0, 1),    // 1×1 dense (a GPU runs it as one batched GEMM)
		c(2, 8, 9, 9, 4, 1, 1, 1, 2, 0, 1),      // 1×1 stride 2
		c(1, 5, 4, 4, 5, 5, 5, 5, 1, 2, 1),      // 5×5 depthwise
		c(2, 3, 3, 3, 2, 3, 3, 1, 1, 0, 1),      // single output pixel
		c(1, 2, 2, 1, 2, 3, 3, 1, 1, 3, 3),      // padding wider than the output
		c(1, 370, 8, 8, 370, 3, 3, 37, 1, 1, 1), // CE 37×10d
		c(1, 128, 8, 8, 128, 3, 3, 32, 1, 1, 1), // CE 32×4d
		c(2, 120, 8, 8, 120, 3, 3, 12, 2, 1, 1), // CE 12 groups, stride 2
		c(2, 40, 9, 9, 40, 3, 3, 2, 1, 1, 1),    // 20 channels per group (im2col, not direct)
		c(2, 64, 9, 8, 64, 3, 3, 2, 1, 1, 1),    // 32 per group, 8 wide (im2col: too narrow for Winograd)
		c(2, 40, 5, 25, 40, 3, 3, 2, 2, 1, 1),   // the same at stride 2, odd and even widths (a CPU splits
		c(2, 40, 5, 24, 40, 3, 3, 2, 2, 1, 1),   // the input rows into even and odd columns)
		c(2, 64, 5, 17, 64, 3, 3, 2, 1, 1, 1),   // 32 per group, 17 wide (a CPU runs it as Winograd F(2×2, 3×3))
		c(1, 40, 9, 9, 20, 3, 3, 1, 1, 2, 2),    // wide dense, dilation 2
		c(1, 12, 19, 37, 18, 3, 3, 2, 1, 1, 1),  // several 8×32 output tiles (a GPU's tiled kernel)
		c(1, 4, 33, 70, 8, 3, 3, 1, 2, 1, 1),    // several tiles at stride 2
		c(3, 32, 10, 10, 32, 3, 3, 2, 1, 1, 1),  // 16 channels per group in 2 groups (a CPU cuts the filter gradient)
		c(2, 160, 4, 4, 24, 1, 1, 1, 1, 0, 1),   // 1×1 from many channels (likewise)
		// Few pixels, many channels: a CPU multiplies blocks of images at
		// once, its products cut into row blocks (filter gradient: parts)
		// that share one gather.
		c(5, 272, 2, 2, 320, 1, 1, 2, 1, 0, 1), // 1×1 at 2×2, 2 groups
		c(17, 32, 4, 4, 128, 1, 1, 1, 1, 0, 1), // 1×1 at 4×4, two image blocks, the last ragged
		c(5, 128, 8, 8, 16, 1, 1, 1, 1, 0, 1),  // at 8×8 into few channels (the gradients' row blocks and parts)
		c(3, 128, 4, 4, 256, 1, 1, 1, 2, 0, 1), // 1×1 stride 2 (gathered point by point)
		c(2, 16, 4, 4, 128, 3, 3, 1, 1, 1, 1),  // 3×3 dense (im2col)
	}
}

func testConv(t *testing.T, h *harness) {
	for _, p := range convCases() {
		name := fmt.Sprintf("%+v", p)
		x := h.normal(p.N * p.C * p.H * p.W)
		w := h.normal(p.O * p.C / p.Groups * p.KH * p.KW)
		dy := h.normal(p.N * p.O * p.OutH() * p.OutW())
		var y, dx, dw []float64
		if !h.noRefs {
			y, dx, dw = convref.All(p, x, w, dy)
		}
		X, W, DY := h.buf(x), h.buf(w), h.buf(dy)
		Y, DX, DW := h.poisoned(len(dy)), h.poisoned(len(x)), h.poisoned(len(w))
		h.must("forward "+name, h.dev.Conv2dForward(p, X, W, Y))
		h.check("forward "+name, Y, y)
		h.must("backward data "+name, h.dev.Conv2dBackwardData(p, DY, W, DX))
		h.check("backward data "+name, DX, dx)
		h.must("backward filter "+name, h.dev.Conv2dBackwardFilter(p, X, DY, DW))
		h.check("backward filter "+name, DW, dw)
	}
}
