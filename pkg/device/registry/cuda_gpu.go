//go:build gpu || cudaemu

package registry

import (
	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/device/cuda"
)

// openCUDA opens GPU ordinal n.
func openCUDA(n int) (device.Device, error) {
	return cuda.New(n)
}
