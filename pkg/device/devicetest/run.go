// Package devicetest is the conformance suite that every Collegium device
// passes: each kernel runs on random (seeded) inputs into NaN-poisoned
// outputs and is compared with a plain float64 reference implementation
// written here by the definition of the operation, independently of any
// device's kernels. Bad arguments must produce errors, never panics.
package devicetest

import (
	"fmt"
	"math"
	"testing"

	"github.com/collegium/collegium/pkg/device"
	"gorgonia.org/tensor"
)

// Run checks every kernel of dev for dtype dt (Float32 or Float64) against
// the references, with relative error ‖out − ref‖/‖ref‖ at most 1e-5 in
// float32 and 1e-10 in float64, every element finite.
func Run(t *testing.T, dev device.Device, dt tensor.Dtype) {
	for i, tc := range suite {
		t.Run(tc.name, func(t *testing.T) {
			tc.f(t, newHarness(t, dev, dt, uint64(i)+1))
		})
	}
}

// suite is every conformance test, in order; a test's index seeds its inputs.
var suite = []struct {
	name string
	f    func(*testing.T, *harness)
}{
	{"Elementwise", testElementwise},
	{"Gemm", testGemm},
	{"GemmTF32", testGemmTF32},
	{"Conv2d", testConv},
	{"Bias", testBias},
	{"BatchNorm", testBatchNorm},
	{"GlobalAvgPool", testPooling},
	{"MaxPool2d", testMaxPool},
	{"MemberMean", testMemberMean},
	{"SoftmaxCrossEntropy", testSoftmax},
	{"WeightedSum", testWeightedSum},
	{"SGD", testSGD},
	{"Adam", testAdam},
	{"BadArguments", testBadArguments},
}

// Deterministic runs the conformance suite on each of devs with the same
// inputs (and on the first of them twice) and requires every result the
// suite reads back to be bit-identical across the runs. Pass devices of
// one kind that split work differently, e.g. CPU devices with 1, 2 and 8
// workers: no kernel may let the number of workers, or the order in which
// they finish, change a sum. It skips the costliest references (Run checks
// the results against them).
func Deterministic(t *testing.T, dt tensor.Dtype, devs ...device.Device) {
	for i, tc := range suite {
		t.Run(tc.name, func(t *testing.T) {
			runs := append([]device.Device{devs[0]}, devs...)
			var first [][]float64
			for r, dev := range runs {
				var got [][]float64
				h := newHarness(t, dev, dt, uint64(i)+1)
				h.downloads, h.noRefs = &got, true
				tc.f(t, h)
				if r == 0 {
					first = got
					continue
				}
				if err := sameBits(first, got); err != nil {
					t.Errorf("run %d (device %d of %d) differs from the first: %v", r, r-1, len(devs), err)
				}
			}
		})
	}
}

// sameBits reports the first result that differs between a and b in any bit.
func sameBits(a, b [][]float64) error {
	if len(a) != len(b) {
		return fmt.Errorf("%d results read back, then %d", len(a), len(b))
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return fmt.Errorf("result %d: %d elements, then %d", i, len(a[i]), len(b[i]))
		}
		for j := range a[i] {
			if math.Float64bits(a[i][j]) != math.Float64bits(b[i][j]) {
				return fmt.Errorf("result %d, element %d: %v, then %v", i, j, a[i][j], b[i][j])
			}
		}
	}
	return nil
}
