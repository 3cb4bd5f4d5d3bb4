package probe

import (
	"fmt"
	"strings"
)

// CheckEnv names the environment variable that the GPU check sets to 1:
// a test binary that finds no usable GPU then fails instead of skipping.
const CheckEnv = "COLLEGIUM_GPU_CHECK"

// verdict is the message a binary named program prints, and its exit code,
// when the CUDA driver cannot be initialised for reason; getenv reads the
// environment.
func verdict(program, reason string, getenv func(string) string) (message string, code int) {
	if !strings.HasSuffix(program, ".test") {
		return fmt.Sprintf("collegium: this binary was built with -tags gpu and needs an NVIDIA GPU and driver: %s.\n"+
			"For CPU-only use build without the tag (go build ./cmd/collegium); see docs/GPU.md.", reason), 1
	}
	switch v := getenv(CheckEnv); v {
	case "", "0":
		return "SKIP: no usable CUDA GPU, so the GPU tests of this binary do not run: " + reason, 0
	case "1":
		return fmt.Sprintf("FAIL: no usable CUDA GPU, and %s=1 (a GPU check) makes that a failure: %s", CheckEnv, reason), 1
	default:
		return fmt.Sprintf("FAIL: %s=%q: want 1 (a GPU check: fail without a GPU) or 0; and no usable CUDA GPU: %s", CheckEnv, v, reason), 1
	}
}
