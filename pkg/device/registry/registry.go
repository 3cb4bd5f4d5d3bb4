// Package registry opens a device by name: "cpu" or "cuda:N". CUDA devices
// exist only in binaries built with -tags gpu (or -tags cudaemu, where cuda:0
// is the CPU emulator of the CUDA kernels, for tests); without the tag
// "cuda:N" is a clear error saying how to build one.
package registry

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/device/cpu"
)

// Open returns the device called name: "cpu" (all cores) or "cuda:N" (GPU
// ordinal N).
func Open(name string) (device.Device, error) {
	if name == "cpu" {
		return cpu.New(0), nil
	}
	if rest, ok := strings.CutPrefix(name, "cuda:"); ok {
		n, err := strconv.Atoi(rest)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("device %q: want cuda:N with N a GPU ordinal ≥ 0", name)
		}
		return openCUDA(n)
	}
	return nil, fmt.Errorf("unknown device %q: want cpu or cuda:N", name)
}
