package probe

import (
	"strings"
	"testing"
)

// TestVerdict: without a usable GPU a test binary skips with exit 0, except
// under the GPU check (COLLEGIUM_GPU_CHECK=1), where it fails; any other
// binary fails; a malformed COLLEGIUM_GPU_CHECK fails and is named.
func TestVerdict(t *testing.T) {
	const reason = "CUDA driver initialisation failed: no CUDA-capable device is detected (CUresult 100)"
	for _, c := range []struct {
		program, check string
		code           int
		want           []string
	}{
		{"/tmp/bin/cuda.test", "", 0, []string{"SKIP: no usable CUDA GPU", reason}},
		{"/tmp/bin/cuda.test", "0", 0, []string{"SKIP: no usable CUDA GPU", reason}},
		{"/tmp/bin/cuda.test", "1", 1, []string{"FAIL: no usable CUDA GPU", "COLLEGIUM_GPU_CHECK=1", reason}},
		{"engine.test", "yes", 1, []string{`COLLEGIUM_GPU_CHECK="yes"`, reason}},
		{"/usr/local/bin/collegium", "", 1, []string{"needs an NVIDIA GPU and driver", "go build ./cmd/collegium", reason}},
		{"/usr/local/bin/collegium", "1", 1, []string{"needs an NVIDIA GPU and driver", reason}},
	} {
		msg, code := verdict(c.program, reason, func(name string) string {
			if name == CheckEnv {
				return c.check
			}
			return ""
		})
		if code != c.code {
			t.Errorf("%s with %s=%q: exit %d, want %d (%s)", c.program, CheckEnv, c.check, code, c.code, msg)
		}
		for _, w := range c.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s with %s=%q: message %q lacks %q", c.program, CheckEnv, c.check, msg, w)
			}
		}
	}
}
