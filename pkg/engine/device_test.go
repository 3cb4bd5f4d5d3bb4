package engine_test

import (
	"testing"

	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/device/registry"
)

// testDevice opens the device named by COLLEGIUM_TEST_DEVICE (default cpu);
// the GPU check runs this suite with cuda:0 from a binary built with -tags gpu.
func testDevice(t *testing.T) device.Device {
	t.Helper()
	dev, err := registry.Open(deviceName())
	if err != nil {
		t.Fatalf("%s: %v", deviceEnv, err)
	}
	t.Cleanup(func() {
		if err := dev.Close(); err != nil {
			t.Errorf("close %s: %v", dev.Name(), err)
		}
	})
	return dev
}
