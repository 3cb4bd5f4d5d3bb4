package bench

import (
	"fmt"
	"math"
	"strings"

	"github.com/collegium/collegium/pkg/device"
)

// Op is the layer family of a case.
type Op string

// The benchmarked layers. BlockDiag and GroupedConv are the CE layers; Dense
// and Conv are their one-group equivalents.
const (
	BlockDiag   Op = "blockdiag" // y_k = x_k·W_k for k < m, x of shape (B, m·n)
	Dense       Op = "dense"     // y = x·W, x of shape (B, n)
	GroupedConv Op = "gconv"     // grouped conv2d, groups > 1
	Conv        Op = "conv"      // dense conv2d
)

// Case is one layer shape. Matmul cases (Op BlockDiag or Dense) use Batch
// rows and Channels = Groups·n columns; conv cases use Batch images of
// Channels×H×W with Channels output channels, a Kernel×Kernel filter, Stride
// and "same" padding Kernel/2.
type Case struct {
	Op       Op
	Batch    int
	Channels int
	Groups   int
	H, W     int
	Kernel   int
	Stride   int
}

// bytesPerElem is the size of a float32: every benchmark runs in single
// precision.
const bytesPerElem = 4

// maxElems bounds every tensor of a case so that element and byte counts
// stay far from integer overflow.
const maxElems = 1 << 40

// IsConv reports whether c is a convolution case.
func (c Case) IsConv() bool { return c.Op == Conv || c.Op == GroupedConv }

// PerGroup is the number of channels (matmul: columns) of each group.
func (c Case) PerGroup() int { return c.Channels / c.Groups }

// Name is the canonical name of c, which ParseCase accepts back, e.g.
// "blockdiag-B128-m16-n64", "dense-B128-1024", "gconv-N32-C370-H32-g37".
func (c Case) Name() string {
	switch c.Op {
	case BlockDiag:
		return fmt.Sprintf("blockdiag-B%d-m%d-n%d", c.Batch, c.Groups, c.PerGroup())
	case Dense:
		return fmt.Sprintf("dense-B%d-%d", c.Batch, c.Channels)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s-N%d-C%d-H%d-g%d", c.Op, c.Batch, c.Channels, c.H, c.Groups)
	if c.W != c.H {
		fmt.Fprintf(&b, "-W%d", c.W)
	}
	if c.Kernel != 3 {
		fmt.Fprintf(&b, "-k%d", c.Kernel)
	}
	if c.Stride != 1 {
		fmt.Fprintf(&b, "-s%d", c.Stride)
	}
	return b.String()
}

// ConvParams is the convolution of a conv case.
func (c Case) ConvParams() device.ConvParams {
	return device.ConvParams{
		N: c.Batch, C: c.Channels, H: c.H, W: c.W,
		O: c.Channels, KH: c.Kernel, KW: c.Kernel, Groups: c.Groups,
		StrideH: c.Stride, StrideW: c.Stride, PadH: c.Kernel / 2, PadW: c.Kernel / 2,
		DilH: 1, DilW: 1,
	}
}

// Validate reports the first inconsistency of c, naming it.
func (c Case) Validate() error {
	switch c.Op {
	case BlockDiag, Dense, GroupedConv, Conv:
	default:
		return fmt.Errorf("unknown op %q (want blockdiag, dense, gconv or conv)", c.Op)
	}
	if c.Batch <= 0 || c.Channels <= 0 || c.Groups <= 0 {
		return fmt.Errorf("%s: batch %d, channels %d and groups %d must be positive", c.Op, c.Batch, c.Channels, c.Groups)
	}
	if c.Channels%c.Groups != 0 {
		return fmt.Errorf("%s: %d channels not divisible by %d groups", c.Op, c.Channels, c.Groups)
	}
	if (c.Op == Dense || c.Op == Conv) && c.Groups != 1 {
		return fmt.Errorf("%s has one group, not %d (use blockdiag or gconv)", c.Op, c.Groups)
	}
	if c.IsConv() {
		if err := c.ConvParams().Validate(); err != nil {
			return err
		}
	}
	for _, n := range []float64{c.inputElems(), c.weightElems(), c.outputElems()} {
		if n > maxElems {
			return fmt.Errorf("%s: a tensor of %.3g elements is beyond any device", c.Op, n)
		}
	}
	return nil
}

// inputElems, weightElems and outputElems count the tensors' elements in
// float64 so that Validate can reject shapes whose counts would overflow.
func (c Case) inputElems() float64 {
	if c.IsConv() {
		return float64(c.Batch) * float64(c.Channels) * float64(c.H) * float64(c.W)
	}
	return float64(c.Batch) * float64(c.Channels)
}

func (c Case) weightElems() float64 {
	k := 1.0
	if c.IsConv() {
		k = float64(c.Kernel) * float64(c.Kernel)
	}
	return float64(c.Channels) * float64(c.PerGroup()) * k
}

func (c Case) outputElems() float64 {
	if c.IsConv() {
		p := c.ConvParams()
		return float64(c.Batch) * float64(c.Channels) * float64(p.OutH()) * float64(p.OutW())
	}
	return float64(c.Batch) * float64(c.Channels)
}

// Sizes are the element counts of a case's input, weight and output tensors.
type Sizes struct {
	Input, Weight, Output int
}

// Sizes counts the elements of c's tensors (c must be valid).
func (c Case) Sizes() Sizes {
	return Sizes{Input: int(c.inputElems()), Weight: int(c.weightElems()), Output: int(c.outputElems())}
}

// Params is the number of weights of the layer.
func (c Case) Params() int { return c.Sizes().Weight }

// productFLOPs is the FLOP count of one of the three products (forward,
// backward data, backward weights), which all have the same MAC count.
func (c Case) productFLOPs() int64 {
	macs := int64(c.Sizes().Output) * int64(c.PerGroup())
	if c.IsConv() {
		macs *= int64(c.Kernel) * int64(c.Kernel)
	}
	return 2 * macs
}

// productBytes is the traffic of one product: each of its two inputs read
// and its output written once (all three tensors, in every pass).
func (c Case) productBytes() int64 {
	s := c.Sizes()
	return bytesPerElem * int64(s.Input+s.Weight+s.Output)
}

// FLOPs is the useful FLOP count of pass p: 2 per multiply-accumulate.
func (c Case) FLOPs(p Pass) int64 { return int64(p.products()) * c.productFLOPs() }

// Bytes is the memory traffic of pass p counting inputs read and outputs
// written once.
func (c Case) Bytes(p Pass) int64 { return int64(p.products()) * c.productBytes() }

// Equivalents are the dense layers to compare a grouped case with: the one
// of the same activation width and the one of (nearly) the same parameter
// count, width Channels/√Groups. A dense case has none.
func (c Case) Equivalents() []Case {
	if c.Groups == 1 {
		return nil
	}
	op := Dense
	if c.IsConv() {
		op = Conv
	}
	wide := c
	wide.Op, wide.Groups = op, 1
	same := wide
	same.Channels = max(1, int(math.Round(float64(c.Channels)/math.Sqrt(float64(c.Groups)))))
	return []Case{wide, same}
}
