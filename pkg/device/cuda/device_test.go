//go:build gpu || cudaemu

package cuda

import (
	"testing"

	"github.com/collegium/collegium/pkg/device/devicetest"
	"gorgonia.org/tensor"
)

// openTest opens GPU 0 or skips when none is present.
func openTest(tb testing.TB) *Device {
	tb.Helper()
	d, err := New(0)
	if err != nil {
		tb.Skipf("no CUDA device: %v", err)
	}
	tb.Cleanup(func() {
		if err := d.Close(); err != nil {
			tb.Errorf("close: %v", err)
		}
	})
	return d
}

func TestConformanceFloat32(t *testing.T) {
	d := openTest(t)
	t.Logf("%s: %s", d.Name(), d.Model())
	devicetest.Run(t, d, tensor.Float32)
}
