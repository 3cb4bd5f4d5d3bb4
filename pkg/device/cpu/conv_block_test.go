package cpu

import (
	"fmt"
	"testing"

	"github.com/collegium/collegium/pkg/device/devicetest"
	"gorgonia.org/tensor"
)

// TestConformanceBlockedForward reruns the conformance suite with column
// blocks small enough that every stride-1 forward pass is blocked, most of
// them into ragged blocks of a few output rows.
func TestConformanceBlockedForward(t *testing.T) {
	defer func(v int) { colBlockElems = v }(colBlockElems)
	colBlockElems = 4000
	dev := New(2)
	defer dev.Close()
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		t.Run(fmt.Sprint(dt), func(t *testing.T) { devicetest.Run(t, dev, dt) })
	}
}

// TestConformancePerImage reruns the conformance suite with the batched
// path off, so that every convolution runs its products image by image.
func TestConformancePerImage(t *testing.T) {
	defer func(v int) { batchCols = v }(batchCols)
	batchCols = 0
	dev := New(2)
	defer dev.Close()
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		t.Run(fmt.Sprint(dt), func(t *testing.T) { devicetest.Run(t, dev, dt) })
	}
}
