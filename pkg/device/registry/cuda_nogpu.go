//go:build !gpu && !cudaemu

package registry

import (
	"fmt"

	"github.com/collegium/collegium/pkg/device"
)

// openCUDA explains that this binary has no GPU support.
func openCUDA(n int) (device.Device, error) {
	return nil, fmt.Errorf("device cuda:%d: this binary has no GPU support; build it with `go build -tags gpu` (needs cuda.h and libcuda, see scripts/fetch-cuda.sh and README's GPU section / docs/GPU.md)", n)
}
