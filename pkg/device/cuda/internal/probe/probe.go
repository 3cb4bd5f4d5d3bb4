//go:build gpu

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
	if r == C.CUDA_ERROR_STUB_LIBRARY {
		reason += ": the libcuda.so.1 loaded is the CUDA toolkit's link stub, not the NVIDIA driver's library"
	}
	msg, code := verdict(os.Args[0], reason, os.Getenv)
	fmt.Fprintln(os.Stderr, msg)
	os.Exit(code)
}
