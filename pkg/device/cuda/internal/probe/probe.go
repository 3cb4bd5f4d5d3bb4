//go:build gpu

// Package probe initialises the CUDA driver before gorgonia.org/cu does, so
// that a gpu-tagged binary on a machine without a usable GPU says so clearly.
// cu's own init calls os.Exit(1) with a terse message when cuInit fails; Go
// initialises packages in import-path order among those whose imports are
// ready, and this package (github.com/collegium/...) needs only packages cu
// also needs, so its init runs first.
//
// When cuInit fails, a test binary (name ending in ".test") prints that it
// skips its GPU tests and exits 0; any other binary prints how to get a
// CPU-only build and exits 1. A missing libcuda.so.1 stops the process even
// earlier, in the dynamic loader ("error while loading shared libraries").
package probe

/*
#cgo LDFLAGS: -lcuda
#include <cuda.h>

static CUresult probe_init(int *count) {
	CUresult r = cuInit(0);
	if (r == CUDA_SUCCESS) r = cuDeviceGetCount(count);
	return r;
}

static const char *probe_error(CUresult r) {
	const char *s = 0;
	if (cuGetErrorString(r, &s) != CUDA_SUCCESS || s == 0) return "unknown CUDA error";
	return s;
}
*/
import "C"

import (
	"fmt"
	"os"
	"strings"
)

// Devices is the number of CUDA devices the driver reports.
var Devices int

func init() {
	var n C.int
	r := C.probe_init(&n)
	if r == C.CUDA_SUCCESS {
		Devices = int(n)
		return
	}
	reason := fmt.Sprintf("CUDA driver initialisation failed: %s (CUresult %d)", C.GoString(C.probe_error(r)), int(r))
	if strings.HasSuffix(os.Args[0], ".test") {
		fmt.Fprintf(os.Stderr, "SKIP: no usable CUDA GPU, so the GPU tests of this binary do not run: %s\n", reason)
		os.Exit(0)
	}
	fmt.Fprintf(os.Stderr, "collegium: this binary was built with -tags gpu and needs an NVIDIA GPU and driver: %s.\n"+
		"For CPU-only use build without the tag (go build ./cmd/collegium); see docs/GPU.md.\n", reason)
	os.Exit(1)
}
