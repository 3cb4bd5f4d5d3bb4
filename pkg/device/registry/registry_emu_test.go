//go:build cudaemu

package registry

import (
	"strings"
	"testing"

	"github.com/collegium/collegium/pkg/device/cuda"
)

// TestOpenEmulatedCUDA: under -tags cudaemu, cuda:0 is the kernel emulator,
// and it says so; other ordinals do not exist.
func TestOpenEmulatedCUDA(t *testing.T) {
	d, err := Open("cuda:0")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	c, ok := d.(*cuda.Device)
	if !ok || !strings.Contains(c.Model(), "emulator") {
		t.Errorf("cuda:0 is %T %v, want the emulated CUDA device", d, d.Name())
	}
	if _, err := Open("cuda:1"); err == nil || !strings.Contains(err.Error(), "one device") {
		t.Errorf("cuda:1 under the emulator: got %v, want an error saying it has one device", err)
	}
}
