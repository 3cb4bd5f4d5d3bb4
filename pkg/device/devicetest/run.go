// Package devicetest is the conformance suite that every Collegium device
// passes: each kernel runs on random (seeded) inputs into NaN-poisoned
// outputs and is compared with a plain float64 reference implementation
// written here by the definition of the operation, independently of any
// device's kernels. Bad arguments must produce errors, never panics.
package devicetest

import (
	"testing"

	"github.com/collegium/collegium/pkg/device"
	"gorgonia.org/tensor"
)

// Run checks every kernel of dev for dtype dt (Float32 or Float64) against
// the references, with relative error ‖out − ref‖/‖ref‖ at most 1e-5 in
// float32 and 1e-10 in float64, every element finite.
func Run(t *testing.T, dev device.Device, dt tensor.Dtype) {
	tests := []struct {
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
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.f(t, newHarness(t, dev, dt, uint64(i)+1))
		})
	}
}
